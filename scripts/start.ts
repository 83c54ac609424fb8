import { join } from 'node:path';
import { opsCodecEndpoint } from '../config/env.js';
import { loadDotEnv, localEnvPath } from '../config/startup.js';
import { writeLocalEnv } from './local-env.js';
import { defaultSqlitePath } from '../store/store.js';
import { startSandbox } from '../sandbox/server.js';
import { runApi } from '../api/main.js';
import { runWorker } from '../worker/main.js';
import { applyDevSecrets } from './dev-secrets.js';
import { startDevServer } from './dev-server.js';

/**
 * `npm start`. With no settings it runs the whole system locally and wired together: the
 * Temporal dev server (persistent, with its Web UI), the Freshchat sandbox, the worker and
 * the webhook API. Whatever is configured is used instead: TEMPORAL_ADDRESS means no dev
 * server, FRESHCHAT_API_URL means no sandbox.
 */
async function start(): Promise<void> {
  loadDotEnv({ local: false });
  const env = process.env;
  const given = { ...env };
  const dataDir = join(process.cwd(), '.data');
  const port = Number(env.PORT ?? 3000);
  const lines: string[] = await applyDevSecrets(env, dataDir);
  const stops: Array<() => Promise<void>> = [];

  if (!env.TEMPORAL_ADDRESS) {
    const server = await startDevServer({
      dataDir: join(dataDir, 'temporal'),
      uiCodecEndpoint: env.PAYLOAD_ENCRYPTION === 'off' ? undefined : opsCodecEndpoint(env),
    });
    env.TEMPORAL_ADDRESS = server.address;
    env.TEMPORAL_NAMESPACE = server.namespace;
    env.TEMPORAL_UI_URL ??= server.uiUrl;
    stops.push(server.stop);
    lines.push(`Temporal dev server: ${server.address}   Web UI: ${server.uiUrl}   (data: ${join(dataDir, 'temporal')})`);
  }

  if (!env.FRESHCHAT_API_URL) {
    env.FRESHCHAT_API_TOKEN ??= 'sandbox-token';
    env.FRESHCHAT_AI_AGENT_EMAIL ??= 'ai-agent@sandbox.test';
    const sandbox = await startSandbox({
      port: Number(env.SANDBOX_PORT ?? 3100),
      apiToken: env.FRESHCHAT_API_TOKEN,
      aiAgentEmail: env.FRESHCHAT_AI_AGENT_EMAIL,
      webhookUrl: `http://127.0.0.1:${port}/webhooks/freshchat`,
      ...(env.SHOP_API_TOKEN && { shopApiToken: env.SHOP_API_TOKEN }),
    });
    env.FRESHCHAT_API_URL = sandbox.apiUrl;
    env.FRESHCHAT_WEBHOOK_PUBLIC_KEY = sandbox.publicKeyOneLine;
    // The sandbox's help center is the sample settings' freshdesk knowledge source.
    env.FRESHDESK_API_URL ??= sandbox.baseUrl;
    env.FRESHDESK_API_KEY ??= sandbox.freshdeskApiKey;
    // ...and its sample shop is the sample settings' tools' API (order status, refund).
    env.SHOP_API_URL ??= sandbox.shopApiUrl;
    env.SHOP_API_TOKEN ??= sandbox.shopApiToken;
    stops.push(sandbox.close);
    lines.push(`Freshchat sandbox: ${sandbox.baseUrl}   (chat as a customer and watch the agent side there; API ${sandbox.apiUrl})`);
  }

  const written = await writeLocalEnv(join(process.cwd(), localEnvPath), given, env);
  lines.push(`Local settings for npm run doctor|worker|api: ${localEnvPath} (${written.length} generated)`);

  await runApi();
  lines.push(`Webhook API: http://localhost:${port}/webhooks/freshchat   health: /healthz /readyz`);
  const opsUrl = opsCodecEndpoint(env).replace(/\/codec$/, '');
  lines.push(`Ops API: ${opsUrl}   dashboard: ${opsUrl}/dashboard   reports: /reports   metrics: /metrics   codec server: /codec   contacts: /contacts/<ct_…>/conversations`);
  lines.push(`Session store: ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : (env.SQLITE_PATH ?? defaultSqlitePath)}`);
  let workerReady!: () => void;
  const ready = new Promise<void>((resolve) => (workerReady = resolve));
  const worker = runWorker({ onReady: workerReady });
  await Promise.race([ready, worker]);
  lines.push(`Worker: task queue ${env.TEMPORAL_TASK_QUEUE ?? 'freshchat-ai'}, AI provider ${env.AI_PROVIDER ?? 'faq'}, routing ${env.FRESHCHAT_ROUTING_MODE ?? 'auto'}`);
  process.stdout.write(`\nFreshchat AI agent is running.\n${lines.map((l) => `  ${l}`).join('\n')}\n\nPress Ctrl+C to stop.\n\n`);

  // The Temporal Runtime turns Ctrl+C into a worker shutdown; then the rest stops.
  await worker;
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(0);
}

start().catch((error) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
