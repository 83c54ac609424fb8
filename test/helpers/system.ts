import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec.js';
import { createDataConverter } from '../../codec/data-converter.js';
import { parseEncryptionKeys, type EncryptionKey } from '../../codec/encryption-keys.js';
import { listen, opsListenerTimeouts, urlOf, webhookListenerTimeouts } from '../../api/listen.js';
import { createApiMetrics, type ApiMetrics } from '../../api/metrics.js';
import { createOpsApp } from '../../api/ops-app.js';
import { createWebhookApp } from '../../api/webhook-app.js';
import { createAiProvider, type AiProviderConfig } from '../../ai/create-provider.js';
import type { AiProvider } from '../../ai/provider.js';
import { parseWebhookPublicKey } from '../../freshchat/webhook-signature.js';
import { createLogger } from '../../lib/logger.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import type { SandboxMessageView as SandboxMessage, SandboxConversationView } from '../../sandbox/control-client.js';
import { loadAssistantSettings, mergeSettings, type AssistantSettings } from '../../settings/assistant-settings.js';
import { createConversationWorker } from '../../worker/create-worker.js';
import { conversationWorkflowId, decisionsQuery, stateQuery, type ConversationStateView, type DecisionRecord } from '../../workflows/messages.js';
import type { Store } from '../../store/store.js';
import type { EmbeddingsConfig } from '../../knowledge/embeddings.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId } from '../../workflows/knowledge-sync-workflow.js';
import { capturedLogs } from './log-capture.js';
import { openTestStore, type TestStore } from './stores.js';
import { testServer, type TestServer } from './temporal-server.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const sampleKnowledgeBase = join(repoRoot, 'knowledge-base', 'sample.yaml');

/** A fixed test key, so tests can also decrypt what they read from history. */
export const testEncryptionKeySetting = `test:${Buffer.alloc(32, 7).toString('base64')}`;
export const sandboxToken = 'sandbox-secret-token-0123456789';
/** A fixed CONTACT_ID_SECRET, so tests can compute the contact ids the worker derives. */
export const testContactIdSecret = 'test-contact-id-secret-0123456789abcdef';
export const aiAgentEmail = 'ai-agent@sandbox.test';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface SystemOptions {
  routingMode?: 'auto' | 'assigned-only';
  settings?: DeepPartial<AssistantSettings> & Record<string, unknown>;
  ai?: AiProviderConfig | ((settings: AssistantSettings) => AiProvider);
  encryptionKeys?: EncryptionKey[] | null;
  handoffGroupId?: string;
  /** false = the test starts its own worker (e.g. as a child process). */
  startWorker?: boolean;
  /** The webhook's body limit (default 64 KiB here; production's default is 1 MiB). */
  maxBodyBytes?: number;
  /** OPS_AUTH_TOKEN of the ops listener (default: none). */
  opsAuthToken?: string;
  /** The session store (default: a fresh SQLite file); closed by the system when it made it. */
  store?: TestStore;
  /** Hybrid retrieval against this embeddings endpoint. */
  embeddings?: EmbeddingsConfig;
}

/** Writes a settings file with test-friendly durations (seconds, not minutes). */
export function writeTestSettings(overrides: SystemOptions['settings'] = {}): string {
  const base = {
    knowledgeBase: sampleKnowledgeBase,
    topics: [
      { name: 'orders', description: 'Order status, tracking, changing or cancelling an order', policy: 'answer' },
      { name: 'shipping', description: 'Delivery times and costs', policy: 'answer' },
      { name: 'returns', description: 'Returns and refunds', policy: 'answer' },
      { name: 'account', description: 'Login, password, account details', policy: 'answer' },
      { name: 'billing', description: 'Invoices, charges, payment problems', policy: 'escalate' },
    ],
    handoff: { phrases: ['talk to a human', 'real person', 'human'], sentimentAtOrBelow: 'very_negative', minConfidence: 0.2, maxAiRepliesPerSession: 50 },
    conversation: { quietWindowSeconds: 0.3, inactivitySeconds: 600, nudge: false },
  };
  const merged = mergeSettings(base, overrides as Record<string, unknown>);
  const dir = mkdtempSync(join(tmpdir(), 'fc-settings-'));
  const path = join(dir, 'settings.yaml');
  writeFileSync(path, stringify(merged));
  return path;
}

export interface TestSystem {
  server: TestServer;
  sandbox: Sandbox;
  client: Client;
  /** The public listener: the webhook. */
  apiUrl: string;
  /** The ops listener: codec server, contacts, metrics. */
  opsUrl: string;
  /** The API's metrics, as both listeners count them. */
  metrics: ApiMetrics;
  taskQueue: string;
  settings: AssistantSettings;
  settingsPath: string;
  encryptionKeys: EncryptionKey[] | null;
  store: Store;
  /** DATABASE_URL or SQLITE_PATH of `store`, for the product's processes (doctor, report). */
  storeEnv: Record<string, string>;
  startWorker(overrides?: { handoffGroupId?: string; aiAgentEmail?: string }): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const server = await testServer();
  const taskQueue = `test-${randomUUID()}`;
  const encryptionKeys = options.encryptionKeys === undefined ? parseEncryptionKeys(testEncryptionKeySetting) : options.encryptionKeys;
  const dataConverter = createDataConverter(encryptionKeys);
  const settingsPath = writeTestSettings(options.settings);
  const settings = loadAssistantSettings(settingsPath);
  const sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', capturedLogs) });
  const client = new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter });
  const testStore = options.store ?? (await openTestStore('sqlite'));
  const { store } = testStore;
  // As the worker and the API do at start-up; a store a test made unreachable on purpose is retried later.
  await store.ready().catch(() => undefined);

  const metrics = createApiMetrics();
  const webhookApp = createWebhookApp({
    client,
    taskQueue,
    webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine),
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    logger: createLogger('api', capturedLogs),
    metrics,
  });
  const opsApp = createOpsApp({
    client,
    logger: createLogger('api', capturedLogs),
    store,
    metrics,
    authToken: options.opsAuthToken,
    temporalUi: { baseUrl: server.uiUrl, namespace: server.namespace },
    codec: encryptionKeys ? { codec: new AesGcmPayloadCodec(encryptionKeys), allowedOrigins: [server.uiUrl] } : undefined,
  });
  const http = await listen(webhookApp, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
  const opsHttp = await listen(opsApp, { port: 0, host: '127.0.0.1', timeouts: opsListenerTimeouts });
  const apiUrl = urlOf(http);
  const opsUrl = urlOf(opsHttp);
  sandbox.setWebhookUrl(`${apiUrl}/webhooks/freshchat`);

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const system: TestSystem = {
    server,
    sandbox,
    client,
    apiUrl,
    opsUrl,
    metrics,
    taskQueue,
    settings,
    settingsPath,
    encryptionKeys,
    store,
    storeEnv: testStore.env as Record<string, string>,
    async startWorker(overrides = {}) {
      const provider =
        typeof options.ai === 'function' ? options.ai(settings) : createAiProvider(options.ai ?? { provider: 'faq' }, settings, createLogger('openai-provider', capturedLogs));
      worker = await createConversationWorker({
        connection: server.env.nativeConnection,
        namespace: server.namespace,
        taskQueue,
        dataConverter,
        freshchat: { apiUrl: sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail: overrides.aiAgentEmail ?? aiAgentEmail, handoffGroupId: overrides.handoffGroupId ?? options.handoffGroupId },
        routingMode: options.routingMode ?? 'auto',
        provider,
        settings,
        settingsPath,
        uiUrl: server.uiUrl,
        contactIdSecret: testContactIdSecret,
        store,
        // The sandbox's help center, for settings that name a freshdesk knowledge source.
        knowledgeEnv: { FRESHDESK_API_URL: sandbox.baseUrl, FRESHDESK_API_KEY: sandbox.freshdeskApiKey },
        embeddings: options.embeddings,
        toolEnv: shopEnv(sandbox),
        logger: createLogger('worker', capturedLogs),
        workflowBundle: server.bundle,
      });
      running = worker.run();
      // As a worker does at start-up with nothing synced: the knowledge sync, here awaited, so every test starts with the knowledge indexed.
      await client.workflow.execute(knowledgeSyncWorkflow, { taskQueue, workflowId: knowledgeSyncWorkflowId(taskQueue), workflowIdConflictPolicy: 'USE_EXISTING' });
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = undefined;
    },
    async close() {
      await system.stopWorker();
      await new Promise((r) => http.close(r));
      await new Promise((r) => opsHttp.close(r));
      await sandbox.close();
      if (!options.store) await testStore.dispose();
    },
  };
  if (options.startWorker !== false) await system.startWorker();
  return system;
}

/**
 * What `npm run worker` is given to join this system as its own process: environment
 * variables only (SPEC §7), the same Temporal, task queue, sandbox, keys, store and settings
 * as the system's in-process worker.
 */
/** What settings with tools name: the sandbox's sample shop (as `npm start` sets it). */
export function shopEnv(sandbox: Sandbox): Record<string, string> {
  return { SHOP_API_URL: sandbox.shopApiUrl, SHOP_API_TOKEN: sandbox.shopApiToken };
}

export function workerProcessEnv(system: TestSystem): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TEMPORAL_ADDRESS: system.server.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: system.taskQueue,
    TEMPORAL_UI_URL: system.server.uiUrl,
    FRESHCHAT_API_URL: system.sandbox.apiUrl,
    FRESHCHAT_API_TOKEN: sandboxToken,
    FRESHCHAT_AI_AGENT_EMAIL: aiAgentEmail,
    FRESHDESK_API_URL: system.sandbox.baseUrl,
    FRESHDESK_API_KEY: system.sandbox.freshdeskApiKey,
    ...shopEnv(system.sandbox),
    ASSISTANT_SETTINGS: system.settingsPath,
    PAYLOAD_ENCRYPTION_KEYS: testEncryptionKeySetting,
    // The same contact ids as the in-process workers of the system.
    CONTACT_ID_SECRET: testContactIdSecret,
    ...system.storeEnv,
  };
}

// ---- helpers for driving a conversation --------------------------------------------------

/** As the sandbox's control API shows them (sandbox/control-client.ts). */
export type { SandboxMessageView as SandboxMessage, SandboxConversationView } from '../../sandbox/control-client.js';

export async function sandboxCall<T>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sandbox.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Redelivers a recorded webhook the way Freshchat retries one: again until the receiver
 * answers 2xx (a slow answer on a loaded machine is a failed attempt, as it is for Freshchat),
 * up to five more times. Resolves with the number of attempts that were made.
 */
export async function redeliver(sandbox: Sandbox, deliveryId: string): Promise<number> {
  for (let attempt = 1; attempt <= 6; attempt++) {
    const delivery = await sandboxCall<{ status: string }>(sandbox, 'POST', `/sandbox/webhooks/${deliveryId}/redeliver`);
    if (delivery.status === 'delivered') return attempt;
    await sleep(200 * 2 ** attempt);
  }
  throw new Error(`webhook delivery ${deliveryId} was refused six times`);
}

export async function newCustomer(sandbox: Sandbox, email?: string): Promise<string> {
  const user = await sandboxCall<{ id: string }>(sandbox, 'POST', '/sandbox/users', { email, first_name: 'Casey' });
  return user.id;
}

export async function startConversation(sandbox: Sandbox, text: string, userId?: string): Promise<string> {
  const user = userId ?? (await newCustomer(sandbox, `customer-${randomUUID().slice(0, 8)}@example.com`));
  const created = await sandboxCall<{ conversation_id: string }>(sandbox, 'POST', '/sandbox/conversations', { user_id: user, text });
  return created.conversation_id;
}

export function customerSays(sandbox: Sandbox, conversationId: string, text: string): Promise<{ id: string }> {
  return sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/customer-messages`, { text });
}

export function repSays(sandbox: Sandbox, conversationId: string, text: string, agentId = sandbox.reps[0]!.id): Promise<{ id: string }> {
  return sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/agent-messages`, { agent_id: agentId, text });
}

export function assign(sandbox: Sandbox, conversationId: string, agentId: string, assignorId = sandbox.reps[0]!.id): Promise<unknown> {
  return sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/assign`, { agent_id: agentId, assignor_id: assignorId });
}

export function conversationView(sandbox: Sandbox, conversationId: string): Promise<SandboxConversationView> {
  return sandboxCall(sandbox, 'GET', `/sandbox/conversations/${conversationId}`);
}

export const textOf = (m: SandboxMessage): string => m.message_parts.map((p) => p.text?.content ?? '').join('');

/** Messages the AI agent posted that the customer sees. */
export async function aiReplies(sandbox: Sandbox, conversationId: string): Promise<SandboxMessage[]> {
  const view = await conversationView(sandbox, conversationId);
  return view.messages.filter((m) => m.actor_id === sandbox.aiAgentId && (m.message_type ?? 'normal') === 'normal');
}

export async function privateNotes(sandbox: Sandbox, conversationId: string): Promise<SandboxMessage[]> {
  const view = await conversationView(sandbox, conversationId);
  return view.messages.filter((m) => m.message_type === 'private');
}

export function workflowHandle(system: TestSystem, conversationId: string): WorkflowHandle {
  return system.client.workflow.getHandle(conversationWorkflowId(conversationId));
}

export function workflowState(system: TestSystem, conversationId: string): Promise<ConversationStateView> {
  return workflowHandle(system, conversationId).query(stateQuery);
}

export function workflowDecisions(system: TestSystem, conversationId: string): Promise<DecisionRecord[]> {
  return workflowHandle(system, conversationId).query(decisionsQuery);
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
