import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createAssistantActivities } from '../activities/assistant-activities.js';
import { createContactActivities } from '../activities/contact-activities.js';
import { createFreshchatActivities } from '../activities/freshchat-activities.js';
import { createSessionStoreActivities } from '../activities/session-store-activities.js';
import { createKnowledgeActivities } from '../activities/knowledge-activities.js';
import { KnowledgeLibrary } from '../knowledge/knowledge-library.js';
import { EmbeddingsClient, type EmbeddingsConfig } from '../knowledge/embeddings.js';
import type { KnowledgeSourceEnv } from '../knowledge/sources/index.js';
import { createWorkerProbeActivities } from '../activities/worker-probe-activities.js';
import { createToolActivities } from '../activities/tool-activities.js';
import { createArgumentValidators } from '../tools/tool-request.js';
import type { AiProvider } from '../ai/provider.js';
import { createSessionDescriber } from '../ai/session-describer.js';
import { FreshchatClient } from '../freshchat/client.js';
import type { Logger } from '../lib/logger.js';
import { workflowUiUrl } from '../lib/temporal.js';
import type { AssistantSettings } from '../settings/assistant-settings.js';
import { SettingsSource } from '../settings/settings-source.js';
import type { Store } from '../store/store.js';
import { conversationWorkflowId } from '../workflows/messages.js';

export interface ConversationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataConverter: DataConverter;
  freshchat: { apiUrl: string; apiToken: string; aiAgentEmail: string; handoffGroupId?: string };
  routingMode: 'auto' | 'assigned-only';
  provider: AiProvider;
  settings: AssistantSettings;
  /** The settings file to follow: a changed file reaches each conversation at its next session. Absent: `settings` stay. */
  settingsPath?: string;
  uiUrl: string;
  /** CONTACT_ID_SECRET: reaches the contact activity as a dependency, never through workflow data. */
  contactIdSecret: string;
  /** The session store the reports read (the workflow writes every session to it) and the synced knowledge. */
  store: Store;
  /** FRESHDESK_API_URL and FRESHDESK_API_KEY, for a freshdesk knowledge source. */
  knowledgeEnv?: KnowledgeSourceEnv;
  /** EMBEDDINGS_*: hybrid retrieval; absent, BM25 alone. */
  embeddings?: EmbeddingsConfig;
  logger: Logger;
  /** Tests bundle the workflows once per run and share the bundle. */
  workflowBundle?: WorkflowBundleOption;
  /** Where the tools' `${NAME}` values come from (default: the process environment), read at each call. */
  toolEnv?: Record<string, string | undefined>;
  /** The sticky cache's size (WORKER_MAX_CACHED_WORKFLOWS: workflows kept in memory); absent, defaultMaxCachedWorkflows(). */
  maxCachedWorkflows?: number;
}

export const workflowsPath = fileURLToPath(new URL('../workflows/index.js', import.meta.url));

/**
 * What one cached conversation workflow may hold in the workflow thread's heap: measured 2–4 MB
 * with language detection in the bundle, about 1 MB since (BENCHMARKS.md, open conversations).
 * Kept at 4 until a 10,000-conversation run with a larger cache shows the heap holding.
 */
const cachedWorkflowMiB = 4;

/**
 * The sticky cache's size when WORKER_MAX_CACHED_WORKFLOWS is unset. The SDK's own default
 * assumes 600 workflows per GB of heap (2,310 with a 4 GB limit); a conversation workflow holds
 * more (each one evaluates the bundle's modules anew), and at the SDK's default the workflow
 * thread ran out of heap at about 2,000 open conversations and the worker died. Sized the
 * SDK's way (the heap limit less 200 MB), at 4 MB a workflow: 986 with a 4 GB limit.
 */
export function defaultMaxCachedWorkflows(heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20): number {
  return Math.max(Math.floor((heapLimitMiB - 200) / cachedWorkflowMiB), 10);
}

/** For bundling the workflows once ahead (tests, simulations): webpack's chatter stays out of the output; errors still show. */
export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => process.stderr.write(`${message}\n`),
};

/** The worker: the conversation workflow plus the Freshchat and AI activities, wired to their dependencies. */
export async function createConversationWorker(options: ConversationWorkerOptions): Promise<Worker> {
  const client = new FreshchatClient({ apiUrl: options.freshchat.apiUrl, apiToken: options.freshchat.apiToken });
  const settings = new SettingsSource(options.settings, options.settingsPath, options.logger);
  const library = new KnowledgeLibrary(options.store, options.embeddings ? new EmbeddingsClient(options.embeddings) : undefined);
  const retrieve = (text: string, k: number) => library.retrieve(text, k);
  const freshchatActivities = createFreshchatActivities({
    client,
    aiAgentEmail: options.freshchat.aiAgentEmail,
    handoffGroupId: options.freshchat.handoffGroupId,
    settings,
    traceUrl: (conversationId) => workflowUiUrl(options.uiUrl, options.namespace, conversationWorkflowId(conversationId)),
    contactIdSecret: options.contactIdSecret,
    describeSession: createSessionDescriber(retrieve),
    logger: options.logger,
  });
  // Tools are the start-up settings': each one is an activity registered now (tool:<name>).
  const tools = options.settings.tools;
  const assistantActivities = createAssistantActivities({
    provider: options.provider,
    tools,
    argumentProblem: createArgumentValidators(tools),
    client,
    settings,
    routingMode: options.routingMode,
    aiAgentId: freshchatActivities.resolveAiAgent,
    retrieve,
    logger: options.logger,
  });
  const contactActivities = createContactActivities({
    client: new Client({ connection: options.connection, namespace: options.namespace, dataConverter: options.dataConverter }),
    logger: options.logger,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    activities: {
      ...freshchatActivities,
      ...assistantActivities,
      ...contactActivities,
      ...createSessionStoreActivities({ store: options.store, logger: options.logger }),
      ...createKnowledgeActivities({ store: options.store, settings, env: options.knowledgeEnv ?? {}, library, logger: options.logger }),
      ...createWorkerProbeActivities(),
      ...createToolActivities({ tools, maxResponseBytes: options.settings.actions.maxResponseBytes, env: options.toolEnv ?? process.env, logger: options.logger }),
    },
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    maxCachedWorkflows: options.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    // A takeover's cancellation reaches a thinking AI on its next heartbeat: keep that prompt.
    maxHeartbeatThrottleInterval: '1 second',
  });
}
