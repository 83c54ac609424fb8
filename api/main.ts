import type { Server } from 'node:http';
import { AesGcmPayloadCodec } from '../codec/aes-gcm-codec.js';
import { createDataConverter } from '../codec/data-converter.js';
import { exitOnConfigError, loadApiStartup, loadDotEnv } from '../config/startup.js';
import { createLogger } from '../lib/logger.js';
import { connectClient, ensureSearchAttributes } from '../lib/temporal.js';
import { createApiApp } from './app.js';

/** `npm run api`: the webhook API (and codec server) against the Temporal cluster in the environment. */
export async function runApi(): Promise<Server> {
  loadDotEnv();
  let startup;
  try {
    startup = loadApiStartup();
  } catch (error) {
    exitOnConfigError(error);
  }
  const logger = createLogger('api');
  const client = await connectClient(createDataConverter(startup.encryptionKeys));
  await ensureSearchAttributes(client.connection, client.options.namespace, logger);
  const uiOrigin = new URL(startup.env.TEMPORAL_UI_URL).origin;
  const app = createApiApp({
    client,
    taskQueue: startup.env.TEMPORAL_TASK_QUEUE,
    webhookKey: startup.webhookKey,
    maxBodyBytes: startup.env.WEBHOOK_MAX_BODY_BYTES,
    logger,
    codec: startup.encryptionKeys
      ? { codec: new AesGcmPayloadCodec(startup.encryptionKeys), authToken: startup.env.CODEC_AUTH_TOKEN, allowedOrigins: [uiOrigin] }
      : undefined,
  });
  return new Promise((resolve) => {
    const server = app.listen(startup.env.PORT, () => {
      logger.info({ port: startup.env.PORT, codecServer: startup.encryptionKeys ? '/codec' : 'off' }, 'webhook API listening');
      resolve(server);
    });
  });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runApi().catch((error) => {
    process.stderr.write(`api failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
