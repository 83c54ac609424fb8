/**
 * What the benchmarks share: an AI that takes a fixed time, the product in this process (the
 * Freshchat sandbox, the real webhook API, a worker on a task queue of its own), waiting for the
 * AI's reply in the sandbox, percentiles.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import { FaqProvider } from '../ai/faq-provider.js';
import type { AiProvider } from '../ai/provider.js';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createApiMetrics } from '../api/metrics.js';
import { createWebhookApp } from '../api/webhook-app.js';
import type { DataConverter } from '@temporalio/common';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { createLogger } from '../lib/logger.js';
import { textOfMessage, type SandboxControl } from '../sandbox/control-client.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { AssistantSettings } from '../settings/assistant-settings.js';
import type { Store } from '../store/store.js';
import { createConversationWorker } from '../worker/create-worker.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId } from '../workflows/knowledge-sync-workflow.js';

export const benchSandboxToken = 'bench-sandbox-token-0123456789';
export const benchAiAgentEmail = 'ai-agent@sandbox.test';
/** Product logs go nowhere: a benchmark prints figures only. */
export const discard = { write: () => undefined };

/** The faq provider's decision, after `aiMs`: an AI endpoint that takes that long. */
export function slowAi(aiMs: number): AiProvider {
  const faq = new FaqProvider();
  return { name: 'faq', decide: async (input, signal) => (await sleep(aiMs, undefined, { signal }), faq.decide(input, signal)) };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Waits until the AI has posted `count` replies in the conversation (visible in the sandbox,
 * polled every `pollMs`); fails after `timeoutMs` from `started` (a performance.now() time).
 */
export async function untilAiReplies(
  control: SandboxControl,
  aiAgentId: string,
  conversationId: string,
  count: number,
  options: { started: number; pollMs: number; timeoutMs: number; what: string },
): Promise<void> {
  for (;;) {
    const view = await control.conversation(conversationId);
    const replies = view.messages.filter((m) => m.actor_id === aiAgentId && m.message_type !== 'private' && textOfMessage(m).length > 0);
    if (replies.length >= count) return;
    if (performance.now() - options.started > options.timeoutMs) throw new Error(`${options.what}: no reply ${count} in ${conversationId} within ${options.timeoutMs / 1000} s`);
    await sleep(options.pollMs);
  }
}

export interface ProductStack {
  sandbox: Sandbox;
  taskQueue: string;
  worker: Worker;
  close(): Promise<void>;
}

/**
 * The product as `npm start` runs it, in this process: a sandbox, the webhook API on a free
 * port (the sandbox's webhooks go there), and a worker on a task queue of its own whose AI
 * answers in `aiMs`; the knowledge sync has run once before it returns.
 */
export async function startProductStack(deps: {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  dataConverter: DataConverter;
  settings: AssistantSettings;
  store: Store;
  workflowBundle: WorkflowBundleOption;
  aiMs: number;
  /** The worker's sticky cache size; absent, the SDK's default. */
  maxCachedWorkflows?: number;
}): Promise<ProductStack> {
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const sandbox = await startSandbox({ apiToken: benchSandboxToken, aiAgentEmail: benchAiAgentEmail, logger: createLogger('freshchat-sandbox', discard) });
  const app = createWebhookApp({ client: deps.client, taskQueue, webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine), maxBodyBytes: 1024 * 1024, metrics: createApiMetrics(), logger: createLogger('api', discard) });
  const http = await listen(app, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
  sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);
  const worker = await createConversationWorker({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue,
    dataConverter: deps.dataConverter,
    freshchat: { apiUrl: sandbox.apiUrl, apiToken: benchSandboxToken, aiAgentEmail: benchAiAgentEmail },
    routingMode: 'auto',
    provider: slowAi(deps.aiMs),
    settings: deps.settings,
    uiUrl: 'http://localhost:8233',
    contactIdSecret: 'bench-contact-id-secret-0123456789abcdef',
    store: deps.store,
    logger: createLogger('worker', discard),
    workflowBundle: deps.workflowBundle,
    maxCachedWorkflows: deps.maxCachedWorkflows,
  });
  const running = worker.run();
  await deps.client.workflow.execute(knowledgeSyncWorkflow, { taskQueue, workflowId: knowledgeSyncWorkflowId(taskQueue) });
  return {
    sandbox,
    taskQueue,
    worker,
    close: async () => {
      worker.shutdown();
      await running;
      await new Promise((r) => http.close(r));
      await sandbox.close();
    },
  };
}
