import type { Server } from 'node:http';
import { AesGcmPayloadCodec } from '../codec/aes-gcm-codec.js';
import { createDataConverter } from '../codec/data-converter.js';
import { exitOnConfigError, loadApiStartup, loadDotEnv } from '../config/startup.js';
import { createLogger } from '../lib/logger.js';
import { connectClient, ensureSearchAttributes } from '../lib/temporal.js';
import { openStore } from '../store/store.js';
import { listen, opsListenerTimeouts, webhookListenerTimeouts } from './listen.js';
import { createApiMetrics } from './metrics.js';
import { createOpsApp } from './ops-app.js';
import { createWebhookApp } from './webhook-app.js';

export interface RunningApi {
  /** The public listener (PORT): the Freshchat webhook and health checks. */
  webhook: Server;
  /** The ops listener (OPS_HOST:OPS_PORT): codec server, contacts, reports, the dashboard, metrics. */
  ops: Server;
}

/** `npm run api`: the webhook listener and the ops listener against the Temporal cluster in the environment. */
export async function runApi(): Promise<RunningApi> {
  loadDotEnv();
  let startup;
  try {
    startup = loadApiStartup();
  } catch (error) {
    exitOnConfigError(error);
  }
  const { env } = startup;
  const logger = createLogger('api');
  const client = await connectClient(createDataConverter(startup.encryptionKeys));
  await ensureSearchAttributes(client.connection, client.options.namespace, logger);
  const store = openStore(env);
  // Migrations at start-up; a store that is down is tried again by each report request.
  await store.ready().catch((error: Error) => logger.error({ store: store.location, error: error.message }, 'session store unavailable: reports answer 503 until it is back'));
  const metrics = createApiMetrics();
  const webhookApp = createWebhookApp({
    client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    webhookKey: startup.webhookKey,
    maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
    logger,
    metrics,
  });
  const opsApp = createOpsApp({
    client,
    logger,
    store,
    metrics,
    authToken: env.OPS_AUTH_TOKEN,
    temporalUi: { baseUrl: env.TEMPORAL_UI_URL, namespace: client.options.namespace },
    codec: startup.encryptionKeys
      ? { codec: new AesGcmPayloadCodec(startup.encryptionKeys), codecAuthToken: env.CODEC_AUTH_TOKEN, allowedOrigins: [new URL(env.TEMPORAL_UI_URL).origin] }
      : undefined,
  });
  const webhook = await listen(webhookApp, { port: env.PORT, timeouts: webhookListenerTimeouts });
  const ops = await listen(opsApp, { port: env.OPS_PORT, host: env.OPS_HOST, timeouts: opsListenerTimeouts });
  logger.info({ port: env.PORT }, 'webhook API listening');
  logger.info(
    { host: env.OPS_HOST, port: env.OPS_PORT, codecServer: startup.encryptionKeys ? '/codec' : 'off', dashboard: '/dashboard', metrics: '/metrics', auth: env.OPS_AUTH_TOKEN ? 'bearer or basic' : 'none' },
    'ops API listening',
  );
  return { webhook, ops };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runApi().catch((error) => {
    process.stderr.write(`api failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
