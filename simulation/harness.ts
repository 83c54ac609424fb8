/**
 * The product as `npm run simulate` runs it: the real workflow, activities, AI provider and
 * settings, on the configured Temporal (or a dev server of its own), each scenario against a
 * Freshchat sandbox of its own, in this process, on a throwaway task queue. The webhooks are
 * real: signed by the sandbox, verified by the webhook API over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { createAiProvider } from '../ai/create-provider.js';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createApiMetrics } from '../api/metrics.js';
import { createWebhookApp } from '../api/webhook-app.js';
import { createDataConverter, encryptedFailureConverterPath } from '../codec/data-converter.js';
import { parseEncryptionKeys } from '../codec/encryption-keys.js';
import type { Env } from '../config/env.js';
import { loadWorkerStartup, type WorkerStartup } from '../config/startup.js';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import type { KnowledgeSourceEnv } from '../knowledge/sources/index.js';
import { freePort } from '../lib/free-port.js';
import type { Logger } from '../lib/logger.js';
import { connectClient, connectWorker, ensureSearchAttributes } from '../lib/temporal.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { startDevServer, type DevServer } from '../scripts/dev-server.js';
import { loadAssistantSettings, type AssistantSettings } from '../settings/assistant-settings.js';
import { openStore, type Store } from '../store/store.js';
import { createConversationWorker, quietBundlerLogger, workflowsPath } from '../worker/create-worker.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId, type KnowledgeSyncSummary } from '../workflows/knowledge-sync-workflow.js';
import type { Scenario } from './scenario.js';

const sandboxToken = 'simulation-sandbox-token';
const aiAgentEmail = 'ai-agent@simulation.test';

/** One scenario's own Freshchat, webhook API and worker. */
export interface ScenarioSystem {
  sandbox: Sandbox;
  taskQueue: string;
  settings: AssistantSettings;
  close(): Promise<void>;
}

export interface SimulationHarness {
  client: Client;
  /** The Temporal Web UI, for links in the report (a dev server of our own is gone when the run ends). */
  uiUrl?: string;
  namespace: string;
  /** What the knowledge sync of the run did. */
  knowledge: KnowledgeSyncSummary;
  providerName: string;
  startScenarioSystem(scenario: Scenario): Promise<ScenarioSystem>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The environment: the AI provider, settings file, Temporal, a real help center (FRESHDESK_*). */
  env: Env;
  /** Where the product's own log lines go (the Temporal Runtime's logger is the caller's to install). */
  logger: Logger;
  /** Progress lines ("starting the Temporal dev server"). */
  say?: (line: string) => void;
}

/**
 * Starts what every scenario shares: Temporal (the configured cluster, or a dev server of the
 * run's own), the workflow bundle, a throwaway store, and the knowledge, synced once from the
 * settings' sources (a freshdesk source reads FRESHDESK_API_URL when set, else the run's own
 * sandbox help center).
 */
export async function startSimulationHarness(options: HarnessOptions): Promise<SimulationHarness> {
  const say = options.say ?? (() => undefined);
  const runId = randomUUID().slice(0, 8);
  const { logger } = options;
  const dir = mkdtempSync(join(tmpdir(), 'freshchat-simulate-'));
  const stops: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    // Keys of the run's own: its histories are throwaway, and encrypted like production's.
    const env: Env = {
      ...options.env,
      FRESHCHAT_API_URL: 'http://127.0.0.1:9/v2', // each scenario has its own sandbox
      FRESHCHAT_API_TOKEN: sandboxToken,
      FRESHCHAT_AI_AGENT_EMAIL: aiAgentEmail,
      PAYLOAD_ENCRYPTION: 'on',
      PAYLOAD_ENCRYPTION_KEYS: `sim${runId}:${randomBytes(32).toString('base64')}`,
      CONTACT_ID_SECRET: randomBytes(32).toString('base64'),
      NODE_ENV: 'development',
      DATABASE_URL: undefined,
      SQLITE_PATH: join(dir, 'store.sqlite'),
    };
    const startup: WorkerStartup = loadWorkerStartup(env);
    const dataConverter = createDataConverter(parseEncryptionKeys(env.PAYLOAD_ENCRYPTION_KEYS!));

    /** uiUrl: the Web UI for links in notes; reportUiUrl only when it outlives the run. */
    let temporal: { connection: NativeConnection; client: Client; namespace: string; uiUrl: string; reportUiUrl?: string };
    if (options.env.TEMPORAL_ADDRESS) {
      const { connection, namespace } = await connectWorker();
      stops.push(() => connection.close());
      const client = await connectClient(dataConverter);
      stops.push(() => client.connection.close());
      await ensureSearchAttributes(connection, namespace, logger);
      temporal = { connection, client, namespace, uiUrl: startup.env.TEMPORAL_UI_URL, reportUiUrl: options.env.TEMPORAL_UI_URL };
    } else {
      say('Starting a Temporal dev server for this run (TEMPORAL_ADDRESS is not set)…');
      const server: DevServer = await startDevServer({ dataDir: join(dir, 'temporal'), port: await freePort(), uiPort: await freePort(), log: say });
      stops.push(() => server.stop());
      const connection = await NativeConnection.connect({ address: server.address });
      stops.push(() => connection.close());
      const clientConnection = await Connection.connect({ address: server.address });
      stops.push(() => clientConnection.close());
      temporal = { connection, client: new Client({ connection: clientConnection, namespace: server.namespace, dataConverter }), namespace: server.namespace, uiUrl: server.uiUrl };
    }

    const store: Store = openStore(startup.env);
    stops.push(() => store.close());
    await store.ready();
    const bundle = await bundleWorkflowCode({ workflowsPath, failureConverterPath: encryptedFailureConverterPath, logger: quietBundlerLogger });
    const metrics = createApiMetrics();

    // The help center: the configured Freshdesk account, or a sandbox's.
    let knowledgeEnv: KnowledgeSourceEnv = { FRESHDESK_API_URL: startup.env.FRESHDESK_API_URL, FRESHDESK_API_KEY: startup.env.FRESHDESK_API_KEY };
    if (!knowledgeEnv.FRESHDESK_API_URL) {
      const helpCenter = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger });
      stops.push(() => helpCenter.close());
      knowledgeEnv = { FRESHDESK_API_URL: helpCenter.baseUrl, FRESHDESK_API_KEY: helpCenter.freshdeskApiKey };
    }

    const startWorker = (taskQueue: string, settings: AssistantSettings, sandbox: Sandbox, mode: 'auto' | 'assigned-only'): Promise<Worker> =>
      createConversationWorker({
        connection: temporal.connection,
        namespace: temporal.namespace,
        taskQueue,
        dataConverter,
        freshchat: { apiUrl: sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail },
        routingMode: mode,
        provider: createAiProvider(startup.aiProvider, settings, logger),
        settings,
        uiUrl: temporal.uiUrl,
        contactIdSecret: startup.contactIdSecret,
        store,
        knowledgeEnv,
        embeddings: startup.embeddings,
        // The tools call the configured shop (SHOP_API_URL), or the scenario's sandbox's sample shop.
        toolEnv: options.env.SHOP_API_URL ? options.env : { ...options.env, SHOP_API_URL: sandbox.shopApiUrl, SHOP_API_TOKEN: sandbox.shopApiToken },
        logger,
        workflowBundle: bundle,
      });

    /** A worker on a throwaway task queue and the sandbox it talks to: closed together. */
    const startSystem = async (settings: AssistantSettings, mode: 'auto' | 'assigned-only'): Promise<ScenarioSystem & { worker: Worker }> => {
      const taskQueue = `simulate-${runId}-${randomUUID().slice(0, 8)}`;
      const sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger });
      let http: Server | undefined;
      let worker: Worker | undefined;
      let running: Promise<void> | undefined;
      const closeSystem = async () => {
        if (worker && worker.getState() === 'RUNNING') worker.shutdown();
        await running?.catch(() => undefined);
        if (http) await new Promise((r) => http!.close(r));
        await sandbox.close();
      };
      try {
        const webhookApp = createWebhookApp({ client: temporal.client, taskQueue, webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine), maxBodyBytes: 1024 * 1024, logger, metrics });
        http = await listen(webhookApp, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
        sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);
        worker = await startWorker(taskQueue, settings, sandbox, mode);
        running = worker.run();
        return { sandbox, taskQueue, settings, worker, close: closeSystem };
      } catch (error) {
        await closeSystem();
        throw error;
      }
    };

    say('Syncing the knowledge of the settings file…');
    const knowledgeSystem = await startSystem(startup.settings, startup.env.FRESHCHAT_ROUTING_MODE);
    let knowledge: KnowledgeSyncSummary;
    try {
      knowledge = await temporal.client.workflow.execute(knowledgeSyncWorkflow, {
        taskQueue: knowledgeSystem.taskQueue,
        workflowId: knowledgeSyncWorkflowId(knowledgeSystem.taskQueue),
      });
    } finally {
      await knowledgeSystem.close();
    }

    return {
      client: temporal.client,
      uiUrl: temporal.reportUiUrl,
      namespace: temporal.namespace,
      knowledge,
      providerName: startup.aiProvider.provider,
      async startScenarioSystem(scenario) {
        const settings = loadAssistantSettings(startup.settingsPath, scenario.settings);
        return startSystem(settings, scenario.mode ?? startup.env.FRESHCHAT_ROUTING_MODE);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export type { Logger };
