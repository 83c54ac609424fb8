import { setTimeout as delay } from 'node:timers/promises';
import { Runtime } from '@temporalio/worker';
import { activityHistogramBuckets } from '../activities/activity-metrics.js';
import { createDataConverter } from '../codec/data-converter.js';
import { hostPort } from '../config/env.js';
import { createProvider, exitOnConfigError, loadDotEnv, loadWorkerStartup, type WorkerStartup } from '../config/startup.js';
import { createLogger } from '../lib/logger.js';
import { PinoSdkLogger } from '../lib/sdk-logger.js';
import { connectWorkerWhenReachable, ensureSearchAttributes } from '../lib/temporal.js';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { ensureKnowledgeSyncSchedule, startKnowledgeSyncIfNeverSynced } from '../knowledge/sync-schedule.js';
import type { Logger } from '../lib/logger.js';
import { openStore, type Store } from '../store/store.js';
import { createConversationWorker } from './create-worker.js';
import type { KnowledgeSyncSummary } from '../workflows/knowledge-sync-workflow.js';

/**
 * `npm run worker`: the conversation worker against the Temporal cluster and Freshchat account
 * in the environment. `onReady` is called once it polls and its knowledge is synced (a first
 * sync, when nothing was ever synced, is waited for up to a minute): `npm start` says
 * "running" only then, so the first chat already has the help center.
 */
export async function runWorker(options: { onReady?: () => void } = {}): Promise<void> {
  loadDotEnv();
  let startup;
  try {
    startup = loadWorkerStartup();
  } catch (error) {
    exitOnConfigError(error);
  }
  const logger = createLogger('worker');
  const { METRICS_HOST: metricsHost, METRICS_PORT: metricsPort } = startup.env;
  // The SDK's own exporter serves its runtime metrics and the product counters (workflows/product-metrics.ts).
  const metricsAddress = metricsPort === undefined ? undefined : hostPort(metricsHost, metricsPort);
  Runtime.install({
    logger: new PinoSdkLogger(logger),
    ...(metricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, histogramBucketOverrides: activityHistogramBuckets } } } }),
  });
  if (metricsAddress) logger.info({ address: metricsAddress, path: '/metrics' }, 'worker metrics listening (Prometheus)');
  // Before connecting, so that a worker that cannot reach Temporal still says what it fell back to.
  for (const warning of startup.warnings) logger.warn({ setting: warning.setting }, warning.message);
  const { connection, namespace } = await connectWorkerWhenReachable(logger);
  await ensureSearchAttributes(connection, namespace, logger);
  const store = openStore(startup.env);
  // Migrations at start-up; while the store is down, session records wait in their workflows and replies go on.
  await store.ready().catch((error: Error) => logger.error({ store: store.location, error: error.message }, 'session store unavailable: session records are retried until it is back'));
  const worker = await createConversationWorker({
    connection,
    namespace,
    taskQueue: startup.env.TEMPORAL_TASK_QUEUE,
    dataConverter: createDataConverter(startup.encryptionKeys),
    freshchat: {
      apiUrl: startup.env.FRESHCHAT_API_URL,
      apiToken: startup.env.FRESHCHAT_API_TOKEN,
      aiAgentEmail: startup.env.FRESHCHAT_AI_AGENT_EMAIL,
      handoffGroupId: startup.env.FRESHCHAT_HANDOFF_GROUP_ID,
    },
    routingMode: startup.env.FRESHCHAT_ROUTING_MODE,
    provider: createProvider(startup),
    settings: startup.settings,
    settingsPath: startup.settingsPath,
    uiUrl: startup.env.TEMPORAL_UI_URL,
    contactIdSecret: startup.contactIdSecret,
    store,
    knowledgeEnv: { FRESHDESK_API_URL: startup.env.FRESHDESK_API_URL, FRESHDESK_API_KEY: startup.env.FRESHDESK_API_KEY },
    embeddings: startup.embeddings,
    maxCachedWorkflows: startup.env.WORKER_MAX_CACHED_WORKFLOWS,
    logger,
  });
  logger.info({ namespace, taskQueue: startup.env.TEMPORAL_TASK_QUEUE, provider: startup.aiProvider.provider, encryption: startup.encryptionKeys ? 'on' : 'off' }, 'worker started');
  const running = worker.run();
  await Promise.race([keepKnowledgeInSync(connection, namespace, startup, store, logger), running]);
  options.onReady?.();
  await running;
  await connection.close();
  await store.close();
}

/**
 * The knowledge-sync schedule, and a first sync when nothing was ever synced. A Temporal that
 * refuses schedules (permissions) is logged, not fatal: `npm run knowledge-sync` still works.
 */
async function keepKnowledgeInSync(connection: NativeConnection, namespace: string, startup: WorkerStartup, store: Store, logger: Logger): Promise<void> {
  // With the worker's data converter: the first sync's result is encrypted like every payload.
  const client = new Client({ connection, namespace, dataConverter: createDataConverter(startup.encryptionKeys) });
  const taskQueue = startup.env.TEMPORAL_TASK_QUEUE;
  try {
    await ensureKnowledgeSyncSchedule(client, taskQueue, startup.settings.knowledge.syncIntervalMinutes, logger);
    const firstSync = await startKnowledgeSyncIfNeverSynced(client, store, taskQueue, logger);
    // Unref'd: a worker stopped during the first sync exits at once, not when this minute is up.
    const summary: KnowledgeSyncSummary | undefined = await Promise.race([firstSync?.result(), delay(60_000, undefined, { ref: false })]);
    if (summary) logger.info({ synced: summary.synced.map((s) => s.source), failed: summary.failed.map((f) => f.source) }, 'first knowledge sync done');
  } catch (error) {
    logger.error({ error: (error as Error).message }, 'could not schedule the knowledge sync: run npm run knowledge-sync, and see npm run doctor');
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runWorker().catch((error) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
