import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal } from '@temporalio/proto';
import { createDataConverter } from '../codec/data-converter.js';
import { parseEncryptionKeys, type EncryptionKey } from '../codec/encryption-keys.js';
import { AiProviderError, decisionOf } from '../ai/provider.js';
import { createProvider, loadApiStartup, loadDotEnv, loadWorkerStartup, type ApiStartup, type WorkerStartup } from '../config/startup.js';
import { ConfigError, isLoopbackHost, opsCodecEndpoint, type Env } from '../config/env.js';
import { FreshchatApiError, FreshchatClient } from '../freshchat/client.js';
import { parseWebhookPublicKey, WebhookKeyError } from '../freshchat/webhook-signature.js';
import { connectClient, indexedValueTypeOf, temporalConnectConfig } from '../lib/temporal.js';
import { conversationTaskQueueDefault, conversationWorkflowType } from '../workflows/messages.js';
import { workerProbeWorkflowType } from '../workflows/worker-probe.js';
import { searchAttributeDefinitions, searchAttributes } from '../workflows/search-attributes.js';
import { defaultSqlitePath, openStore } from '../store/store.js';
import { sourceStatuses } from '../knowledge/knowledge-store.js';
import { createKnowledgeSources, type KnowledgeSource } from '../knowledge/sources/index.js';
import { knowledgeSourcesOf } from '../settings/schema.js';
import { existsSync } from 'node:fs';

/**
 * `npm run doctor` (SPEC §10): checks everything the three classic failures come from —
 * "AI not replying", "handoff note missing", "conversations not closing" — using only the
 * product's environment settings (SPEC §7, `.env` included). One line per check, a
 * "→ what to do" line under each failure; exit code 0 when every check passes, 1 otherwise.
 *
 * Checks run concurrently, each under its own timeout, so one hanging dependency (a
 * firewalled Temporal address, a slow AI endpoint) cannot hide the results of the others.
 * Results print in the order of the list. Nothing printed contains a secret.
 */

export interface CheckResult {
  ok: boolean;
  /** One line, or several: the first goes on the check's line, the rest indented below. */
  detail: string;
  /** What to do, for a failed check (may be several lines). */
  fix?: string;
}

export interface Check {
  name: string;
  /** Default 15 s. */
  timeoutMs?: number;
  run(): Promise<CheckResult>;
}

/** Thrown by a check that cannot run because something another check reports is broken. */
export class NotChecked extends Error {
  constructor(
    reason: string,
    readonly fix = 'fix the check it depends on (above) first',
  ) {
    super(reason);
  }
}

// ---- formatting (pure) ----------------------------------------------------------------------

export function formatCheck(name: string, result: CheckResult): string {
  const [first = '', ...rest] = result.detail.split('\n');
  const lines = [`${result.ok ? '✔' : '✖'} ${name} — ${first}`];
  for (const line of rest) lines.push(`    ${line}`);
  if (!result.ok && result.fix) {
    result.fix.split('\n').forEach((line, i) => lines.push(`  ${i === 0 ? '→' : ' '} ${line}`));
  }
  return lines.join('\n');
}

export function formatSummary(results: CheckResult[]): string {
  const failed = results.filter((r) => !r.ok).length;
  return failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`;
}

// ---- running --------------------------------------------------------------------------------

export const defaultCheckTimeoutMs = 15_000;

/** Runs one check under its timeout; a throw or a timeout is a failed check, never a crash. */
export async function runCheck(check: Check): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? defaultCheckTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${Math.round(timeoutMs / 1000)} s`, fix: 'something on the way hangs (firewall, proxy, DNS); run the doctor again and check the connection' }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([check.run(), timedOut]);
  } catch (error) {
    if (error instanceof NotChecked) return { ok: false, detail: `not checked: ${error.message}`, fix: error.fix };
    return { ok: false, detail: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Starts every check at once and reports results in list order as they become available. */
export async function runChecks(checks: Check[], report: (name: string, result: CheckResult) => void): Promise<CheckResult[]> {
  const pending = checks.map((check) => runCheck(check));
  const results: CheckResult[] = [];
  for (const [i, promise] of pending.entries()) {
    const result = await promise;
    report(checks[i]!.name, result);
    results.push(result);
  }
  return results;
}

// ---- the checks -----------------------------------------------------------------------------

type Loaded<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function load<T>(loader: () => T): Loaded<T> {
  try {
    return { ok: true, value: loader() };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems };
    return { ok: false, problems: [error instanceof Error ? error.message : String(error)] };
  }
}

interface TemporalContext {
  client: Client;
  namespace: string;
  address: string;
  serverVersion: string;
}

const setting = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
const grpcCode = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

/** A live worker runs the probe workflow and its activity in well under a second; a stopped one never does. */
const workerProbeTimeoutMs = 5_000;

export interface Doctor {
  checks: Check[];
  close(): Promise<void>;
}

export function createDoctor(env: Env = process.env): Doctor {
  const worker = load<WorkerStartup>(() => loadWorkerStartup(env));
  const api = load<ApiStartup>(() => loadApiStartup(env));
  const taskQueue = setting(env, 'TEMPORAL_TASK_QUEUE') ?? conversationTaskQueueDefault;
  // A broken Temporal config file (TEMPORAL_CONFIG_FILE) is reported by the Temporal check, not a crash.
  let connectConfig: ReturnType<typeof temporalConnectConfig> | undefined;
  let connectConfigError: unknown;
  try {
    connectConfig = temporalConnectConfig();
  } catch (error) {
    connectConfigError = error;
  }
  const namespace = connectConfig?.namespace ?? setting(env, 'TEMPORAL_NAMESPACE') ?? 'default';
  const address = connectConfig?.connectionOptions.address ?? 'localhost:7233';
  const onCloud = Boolean(connectConfig?.connectionOptions.apiKey || connectConfig?.connectionOptions.tls);
  const cliFlags = `--address ${address} --namespace ${namespace}`;

  // Shared: one Freshchat client and one Temporal connection for every check that needs them.
  const apiUrl = setting(env, 'FRESHCHAT_API_URL');
  const apiToken = setting(env, 'FRESHCHAT_API_TOKEN');
  const freshchat = (): FreshchatClient => {
    if (!apiUrl || !URL.canParse(apiUrl)) throw new NotChecked('FRESHCHAT_API_URL is not set to a URL', 'set FRESHCHAT_API_URL to https://<your-account>.freshchat.com/v2');
    if (!apiToken) throw new NotChecked('FRESHCHAT_API_TOKEN is not set', 'set FRESHCHAT_API_TOKEN (Freshchat Admin → Configure → API Tokens)');
    return new FreshchatClient({ apiUrl, apiToken, timeoutMs: 8_000 });
  };

  let encryptionKeys: EncryptionKey[] | null = null;
  try {
    const keys = setting(env, 'PAYLOAD_ENCRYPTION_KEYS');
    encryptionKeys = setting(env, 'PAYLOAD_ENCRYPTION') !== 'off' && keys ? parseEncryptionKeys(keys) : null;
  } catch {
    encryptionKeys = null; // reported by the settings checks; the doctor reads search attributes only
  }
  let temporalConnection: Promise<TemporalContext> | undefined;
  const connectTemporal = (): Promise<TemporalContext> =>
    (temporalConnection ??= (async () => {
      if (connectConfigError) throw connectConfigError;
      const client = await connectClient(createDataConverter(encryptionKeys));
      const info = await client.workflowService.getSystemInfo({});
      await client.workflowService.describeNamespace({ namespace });
      return { client, namespace, address, serverVersion: info.serverVersion || 'unknown version' };
    })());
  const temporalOrSkip = async (): Promise<TemporalContext> => {
    try {
      return await connectTemporal();
    } catch {
      throw new NotChecked('Temporal is not reachable with this namespace');
    }
  };

  // The store the worker and the API use. A SQLite file that does not exist is a finding of the
  // session-store check: opening it would create it, so no check opens one that is not there.
  const storeEnv = { DATABASE_URL: setting(env, 'DATABASE_URL'), SQLITE_PATH: setting(env, 'SQLITE_PATH') ?? defaultSqlitePath };
  const existingStore = () => (storeEnv.DATABASE_URL || existsSync(storeEnv.SQLITE_PATH) ? openStore(storeEnv) : undefined);

  const checks: Check[] = [
    {
      name: 'worker settings',
      async run() {
        if (!worker.ok) {
          return { ok: false, detail: `${plural(worker.problems.length, 'problem')}:\n${worker.problems.map((p) => `- ${p}`).join('\n')}`, fix: 'fix these settings in the worker\'s environment or .env (see .env.example); the worker refuses to start until then' };
        }
        const s = worker.value;
        return { ok: true, detail: `AI provider ${s.aiProvider.provider}, routing ${s.env.FRESHCHAT_ROUTING_MODE}, settings ${s.settingsPath}, encryption ${s.encryptionKeys ? 'on' : 'off'}` };
      },
    },
    {
      name: 'API settings',
      async run() {
        if (!api.ok) {
          return { ok: false, detail: `${plural(api.problems.length, 'problem')}:\n${api.problems.map((p) => `- ${p}`).join('\n')}`, fix: 'fix these settings in the webhook API\'s environment or .env (see .env.example); the API refuses to start until then' };
        }
        const e = api.value.env;
        const opsAuth = e.OPS_AUTH_TOKEN ? 'token required' : isLoopbackHost(e.OPS_HOST) ? 'no token, loopback only' : 'no token (set OPS_AUTH_TOKEN: the ops listener is reachable beyond this machine)';
        return { ok: true, detail: `webhook port ${e.PORT}, ops listener ${e.OPS_HOST}:${e.OPS_PORT} (${opsAuth}), task queue ${e.TEMPORAL_TASK_QUEUE}, encryption ${api.value.encryptionKeys ? 'on' : 'off'}` };
      },
    },
    {
      name: 'Freshchat API (token and base URL)',
      async run() {
        const client = freshchat();
        try {
          const config = await client.getAccountConfiguration();
          const account = typeof config.account_domain === 'string' ? `, account ${config.account_domain}` : '';
          return { ok: true, detail: `GET ${apiUrl}/accounts/configuration answered${account}` };
        } catch (error) {
          return freshchatFailure(error, apiUrl!);
        }
      },
    },
    {
      name: 'AI agent seat',
      timeoutMs: 30_000,
      async run() {
        const email = setting(env, 'FRESHCHAT_AI_AGENT_EMAIL');
        if (!email) throw new NotChecked('FRESHCHAT_AI_AGENT_EMAIL is not set', 'set FRESHCHAT_AI_AGENT_EMAIL to the email of the agent seat the AI posts as');
        const client = freshchat();
        let agent;
        try {
          agent = await client.findAgentByEmail(email);
        } catch (error) {
          const failure = freshchatFailure(error, apiUrl!);
          return { ...failure, detail: `could not list the agents: ${failure.detail}` };
        }
        if (!agent) {
          return {
            ok: false,
            detail: `no Freshchat agent has the email ${email}: the AI cannot claim, answer or hand off any conversation`,
            fix: 'set FRESHCHAT_AI_AGENT_EMAIL to the email of the agent seat the AI posts as (Freshchat Admin → Team → Agents), or create that agent',
          };
        }
        if (agent.is_deactivated) {
          return { ok: false, detail: `the agent ${email} (id ${agent.id}) is deactivated`, fix: 'reactivate that agent seat in Freshchat Admin → Team → Agents, or point FRESHCHAT_AI_AGENT_EMAIL at an active one' };
        }
        return { ok: true, detail: `${email} is active agent ${agent.id}` };
      },
    },
    {
      name: 'webhook public key',
      async run() {
        const pasted = setting(env, 'FRESHCHAT_WEBHOOK_PUBLIC_KEY');
        const fix = 'paste the public key from Freshchat Admin → Configure → Conversation Webhooks into FRESHCHAT_WEBHOOK_PUBLIC_KEY (one line is fine); a wrong key makes every webhook answer 401';
        if (!pasted) return { ok: false, detail: 'FRESHCHAT_WEBHOOK_PUBLIC_KEY is not set', fix };
        try {
          const key = parseWebhookPublicKey(pasted);
          return { ok: true, detail: `RSA ${key.asymmetricKeyDetails?.modulusLength ?? '?'}-bit public key` };
        } catch (error) {
          if (error instanceof WebhookKeyError) return { ok: false, detail: error.message, fix };
          throw error;
        }
      },
    },
    {
      name: 'Temporal connection',
      async run() {
        try {
          const t = await connectTemporal();
          return { ok: true, detail: `${t.address}, namespace ${t.namespace} (Temporal server ${t.serverVersion}${onCloud ? ', TLS' : ''})` };
        } catch (error) {
          const code = grpcCode(error);
          if (code === 5 /* NOT_FOUND */) {
            return {
              ok: false,
              detail: `${address} is reachable but has no namespace ${namespace}`,
              fix: `set TEMPORAL_NAMESPACE to an existing namespace, or create it: temporal operator namespace create --address ${address} --namespace ${namespace}`,
            };
          }
          if (code === 16 /* UNAUTHENTICATED */ || code === 7 /* PERMISSION_DENIED */) {
            return { ok: false, detail: `${address} refused the credentials: ${errorMessage(error)}`, fix: 'check TEMPORAL_API_KEY (or TEMPORAL_TLS_CLIENT_CERT_*/KEY_*) and that it has access to this namespace' };
          }
          return {
            ok: false,
            detail: `cannot reach ${address}: ${errorMessage(error)}`,
            fix: `check TEMPORAL_ADDRESS (host:port of the Temporal frontend; Temporal Cloud: <namespace>.<account>.tmprl.cloud:7233 with TEMPORAL_API_KEY) and that the server runs (locally: npm run dev-server)`,
          };
        }
      },
    },
    {
      name: 'search attributes',
      async run() {
        const t = await temporalOrSkip();
        const { customAttributes } = await t.client.connection.operatorService.listSearchAttributes({ namespace: t.namespace });
        const registered = customAttributes ?? {};
        const missing = searchAttributeDefinitions.filter((d) => registered[d.name] === undefined);
        const wrongType = searchAttributeDefinitions.filter((d) => registered[d.name] !== undefined && registered[d.name] !== indexedValueTypeOf(d.type));
        if (missing.length === 0 && wrongType.length === 0) {
          return { ok: true, detail: `all ${searchAttributeDefinitions.length} registered in namespace ${t.namespace}` };
        }
        const problems = [
          ...(missing.length ? [`missing: ${missing.map((d) => d.name).join(', ')}`] : []),
          ...wrongType.map((d) => `${d.name} is registered as ${typeName(registered[d.name])}, the product needs ${d.type}`),
        ];
        // One command per attribute: CLI 1.5.1 takes one --type and, given several --name, registers only the first.
        const commands = missing.map((d) => `temporal operator search-attribute create ${cliFlags} --name ${d.name} --type ${d.type}`);
        const fix = [
          missing.length ? 'register them (workflows cannot start or update their state without them):' : '',
          ...commands.map((c) => `  ${c}`),
          ...(onCloud && missing.length ? ['(Temporal Cloud: add them in the Cloud UI, Namespace → Search Attributes, or with tcld)'] : []),
          ...(wrongType.length ? ['an attribute with the wrong type must be removed (temporal operator search-attribute remove) and created again with the right type'] : []),
        ].filter(Boolean);
        return { ok: false, detail: problems.join('\n'), fix: fix.join('\n') };
      },
    },
    {
      name: 'worker polling the task queue',
      timeoutMs: workerProbeTimeoutMs + 5_000,
      async run() {
        const t = await temporalOrSkip();
        // Proof, not a guess: a tiny workflow with one activity must run on the task queue now.
        const started = Date.now();
        const handle = await t.client.workflow.start(workerProbeWorkflowType, {
          taskQueue,
          workflowId: `doctor-worker-probe-${randomUUID()}`,
          workflowExecutionTimeout: workerProbeTimeoutMs,
        });
        const answered = await Promise.race([
          handle.result().then(() => true, () => false),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), workerProbeTimeoutMs)),
        ]);
        if (answered) {
          return { ok: true, detail: `task queue ${taskQueue}: a probe workflow and its activity ran in ${Date.now() - started} ms` };
        }
        await handle.terminate('doctor: no worker answered the probe').catch(() => undefined);
        const describe = (taskQueueType: number) =>
          t.client.workflowService.describeTaskQueue({ namespace: t.namespace, taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ }, taskQueueType });
        const pollers = (await Promise.all([describe(1 /* WORKFLOW */), describe(2 /* ACTIVITY */)]).catch(() => [])).flatMap((d) => d.pollers ?? []);
        const ageS = (p: temporal.api.taskqueue.v1.IPollerInfo) => Math.round((Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000) / 1000);
        const lastSeen = pollers.length ? ` (the server last saw a poller ${Math.min(...pollers.map(ageS))} s ago: the worker stopped?)` : '';
        return {
          ok: false,
          detail: `no worker polls task queue ${taskQueue} in namespace ${t.namespace}: a probe workflow did not run within ${workerProbeTimeoutMs / 1000} s${lastSeen}; webhooks are accepted but nothing answers`,
          fix: `start the worker (npm run worker) with TEMPORAL_TASK_QUEUE=${taskQueue} and TEMPORAL_NAMESPACE=${t.namespace}: the API and the worker must use the same task queue, namespace and PAYLOAD_ENCRYPTION_KEYS`,
        };
      },
    },
    {
      name: 'AI provider',
      timeoutMs: 25_000,
      async run() {
        if (!worker.ok) throw new NotChecked('the worker settings are invalid', 'fix the worker settings (above) first');
        const provider = createProvider(worker.value);
        const started = Date.now();
        try {
          const result = decisionOf(await provider.decide(
            { transcript: [{ role: 'customer', text: 'hello', at: new Date().toISOString() }], earlierSummaries: [], language: 'en', knowledge: [] },
            AbortSignal.timeout(20_000),
          ));
          return { ok: true, detail: `${provider.name}${result.model !== provider.name ? ` (${result.model})` : ''} decided "${result.decision.action}" in ${Date.now() - started} ms` };
        } catch (error) {
          return aiFailure(error, worker.value);
        }
      },
    },
    {
      name: 'session store',
      async run() {
        const store = existingStore();
        if (!store) {
          return {
            ok: false,
            detail: `no SQLite file at ${storeEnv.SQLITE_PATH} yet`,
            fix: 'start the worker (npm run worker) from this folder: it creates the file; or set SQLITE_PATH (or DATABASE_URL) to what the worker and the API use',
          };
        }
        try {
          const status = await store.status();
          const where = `${status.dialect} at ${status.location}`;
          if (!status.reachable) {
            return { ok: false, detail: `${where} is unreachable: ${status.error}`, fix: 'check DATABASE_URL (postgres://user:password@host:5432/database) and that the database runs; records wait in their workflows meanwhile' };
          }
          if (status.pendingMigrations.length > 0) {
            return { ok: false, detail: `${where}: ${plural(status.pendingMigrations.length, 'migration')} not applied (${status.pendingMigrations.join(', ')})`, fix: 'start the worker or the API of this version: they migrate the store at start-up' };
          }
          return { ok: true, detail: `${where}, migrations current` };
        } finally {
          await store.close();
        }
      },
    },
    {
      name: 'knowledge sources',
      timeoutMs: 30_000,
      async run() {
        if (!worker.ok) throw new NotChecked('the worker settings are invalid', 'fix the worker settings (above) first');
        const settings = worker.value.settings;
        const sources = createKnowledgeSources(knowledgeSourcesOf(settings), worker.value.env, settings.messages.defaultLanguage);
        const store = existingStore();
        try {
          const synced = new Map((store ? await sourceStatuses(store.db).catch(() => []) : []).map((row) => [row.source, row]));
          const staleMs = 3 * settings.knowledge.syncIntervalMinutes * 60_000;
          const lines: string[] = [];
          let failed = 0;
          for (const source of sources) {
            const row = synced.get(source.name);
            const reached = await firstArticleOf(source);
            const last = row?.last_synced_at ? Date.parse(row.last_synced_at) : undefined;
            const problem = reached !== true ? `cannot be read: ${reached}` : last === undefined ? 'never synced' : Date.now() - last > staleMs ? `not synced for ${Math.round((Date.now() - last) / 60_000)} minutes (three intervals)` : undefined;
            if (problem) failed++;
            const figures = row ? `${row.article_count} articles, ${row.last_synced_at ? `synced ${row.last_synced_at}` : 'never synced'}${row.last_error ? `, last error: ${row.last_error}` : ''}` : 'nothing synced';
            lines.push(`${problem ? '✖' : '✔'} ${source.name} (${source.type}): ${figures}${problem ? ` — ${problem}` : ''}`);
          }
          return {
            ok: failed === 0,
            detail: `${plural(sources.length, 'source')}${failed ? `, ${failed} failing` : ''}:\n${lines.join('\n')}`,
            fix: 'a source that cannot be read: check its URL, FRESHDESK_API_URL and FRESHDESK_API_KEY; never or not lately synced: is a worker running? npm run knowledge-sync syncs now and shows what fails',
          };
        } finally {
          await store?.close();
        }
      },
    },
    {
      name: 'conversations with a Freshchat failure',
      async run() {
        const t = await temporalOrSkip();
        const query = `WorkflowType = ${quote(conversationWorkflowType)} AND TaskQueue = ${quote(taskQueue)} AND ExecutionStatus = 'Running' AND ${searchAttributes.freshchatError.name} != ''`;
        let total: number;
        let listed: Array<{ workflowId: string; error: string }>;
        try {
          const [{ count }, page] = await Promise.all([
            t.client.workflow.count(query),
            t.client.workflowService.listWorkflowExecutions({ namespace: t.namespace, query, pageSize: 5 }),
          ]);
          total = count;
          listed = (page.executions ?? []).slice(0, 5).map((e) => ({
            workflowId: e.execution?.workflowId ?? '?',
            error: searchAttributeText(e.searchAttributes?.indexedFields?.[searchAttributes.freshchatError.name]),
          }));
        } catch (error) {
          if (grpcCode(error) === 3 /* INVALID_ARGUMENT */) throw new NotChecked(`the visibility query failed (${errorMessage(error)})`, 'register the search attributes (above) first');
          throw error;
        }
        if (total === 0) return { ok: true, detail: `none of the running conversations on task queue ${taskQueue} recorded a permanent Freshchat refusal` };
        const lines = listed.map((w) => `${w.workflowId} — ${w.error}`);
        if (total > listed.length) lines.push(`… and ${total - listed.length} more: temporal workflow list ${cliFlags} --query "${query}"`);
        return {
          ok: false,
          detail: `${plural(total, 'running conversation')} recorded a permanent Freshchat refusal (activity:status):\n${lines.join('\n')}`,
          fix: [
            '401: the token (see the Freshchat check); 403: the AI agent lacks access to that conversation, channel or group; 404: the conversation or agent is gone.',
            `See one in full: temporal workflow query ${cliFlags} --workflow-id <id> --type state --codec-endpoint ${opsCodecEndpoint(env)}`,
            `Once fixed, hand it to a rep: temporal workflow signal ${cliFlags} --workflow-id <id> --name forceHandoff --input '{"reason":"Freshchat refused a call"}'`,
          ].join('\n'),
        };
      },
    },
  ];

  return {
    checks,
    async close() {
      const t = await temporalConnection?.catch(() => undefined);
      await t?.client.connection.close().catch(() => undefined);
    },
  };
}

/** true when the source yields an article, else why not (reading one article is enough to know it answers). */
async function firstArticleOf(source: KnowledgeSource): Promise<true | string> {
  try {
    for await (const _article of source.articles(AbortSignal.timeout(10_000))) return true;
    return 'it has no articles';
  } catch (error) {
    return errorMessage(error);
  }
}

function freshchatFailure(error: unknown, apiUrl: string): CheckResult {
  if (!(error instanceof FreshchatApiError)) return { ok: false, detail: errorMessage(error) };
  const status = error.status;
  if (status === 401) {
    return { ok: false, detail: `${error.message}: the API token was refused`, fix: 'regenerated token? Copy the current one from Freshchat Admin → Configure → API Tokens into FRESHCHAT_API_TOKEN and restart the worker' };
  }
  if (status === 403) {
    return { ok: false, detail: `${error.message}: the token is not allowed to do this`, fix: 'use a token of an admin account (Freshchat Admin → Configure → API Tokens) in FRESHCHAT_API_TOKEN' };
  }
  if (status === 404) {
    return { ok: false, detail: `${error.message}: ${apiUrl} is not the Freshchat API`, fix: 'check FRESHCHAT_API_URL: it is https://<your-account>.freshchat.com/v2 (with /v2; see Admin → Configure → API Tokens for your URL)' };
  }
  if (status === 429) return { ok: false, detail: `${error.message}: rate limited`, fix: 'Freshchat is rate-limiting this account; try again in a minute (the workflows retry by themselves)' };
  if (status !== undefined && status >= 500) return { ok: false, detail: `${error.message}: Freshchat has trouble`, fix: 'a Freshchat outage: check status.freshworks.com and try again later' };
  if (status === undefined) {
    return { ok: false, detail: `${error.message} (${apiUrl})`, fix: 'check FRESHCHAT_API_URL (https://<your-account>.freshchat.com/v2) and that this machine can reach it (DNS, proxy, firewall)' };
  }
  return { ok: false, detail: error.message, fix: 'check FRESHCHAT_API_URL and FRESHCHAT_API_TOKEN' };
}

function aiFailure(error: unknown, startup: WorkerStartup): CheckResult {
  const where = startup.aiProvider.provider === 'openai' ? `${startup.aiProvider.baseUrl} (model ${startup.aiProvider.model})` : 'the faq provider';
  if ((error as { name?: string } | null)?.name === 'TimeoutError') {
    return { ok: false, detail: `${where} did not decide within 20 s`, fix: 'the AI endpoint is too slow or unreachable: check OPENAI_BASE_URL, or pick a faster model' };
  }
  if (!(error instanceof AiProviderError)) return { ok: false, detail: `${where} failed: ${errorMessage(error)}`, fix: 'check the knowledge base named in the settings file (ASSISTANT_SETTINGS)' };
  const fixes: Record<string, string> = {
    AI_AUTH_FAILED: 'the key was refused: check OPENAI_API_KEY',
    AI_NOT_FOUND: 'check OPENAI_BASE_URL (the part before /chat/completions, e.g. https://api.openai.com/v1) and OPENAI_MODEL',
    AI_BAD_REQUEST: 'the endpoint rejected the request: check OPENAI_MODEL and that it supports chat completions',
    AI_RATE_LIMITED: 'rate limited or out of quota: check the AI account\'s limits and billing',
    AI_SERVER_ERROR: 'the AI endpoint has trouble: try again later, or check the local model server',
    AI_NETWORK_ERROR: 'check OPENAI_BASE_URL and that this machine can reach it',
    AI_TIMEOUT: 'the AI endpoint is too slow: check it, or pick a faster model',
    AI_MALFORMED_OUTPUT: 'the model does not produce the decision JSON: use a model that follows JSON instructions (or structured output)',
  };
  return { ok: false, detail: `${error.options.code}: ${error.message}`, fix: `${fixes[error.options.code] ?? 'check OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL'}; until then every AI turn escalates with "AI unavailable"` };
}

function typeName(value: number | null | undefined): string {
  const name = value === null || value === undefined ? undefined : proto.temporal.api.enums.v1.IndexedValueType[value];
  return name ? name.replace('INDEXED_VALUE_TYPE_', '').toLowerCase() : String(value);
}

function searchAttributeText(payload: temporal.api.common.v1.IPayload | null | undefined): string {
  if (!payload) return '?';
  try {
    const value = defaultPayloadConverter.fromPayload<unknown>(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
    return Array.isArray(value) ? value.join(', ') : String(value);
  } catch {
    return '?';
  }
}

// ---- the command ----------------------------------------------------------------------------

export async function main(): Promise<number> {
  loadDotEnv();
  // The doctor prints its own findings; library logs (e.g. the AI request line) would only interleave.
  if (!process.env.LOG_LEVEL?.trim()) process.env.LOG_LEVEL = 'silent';
  const doctor = createDoctor(process.env);
  process.stdout.write('Freshchat AI agent — doctor\n\n');
  const results = await runChecks(doctor.checks, (name, result) => process.stdout.write(`${formatCheck(name, result)}\n`));
  process.stdout.write(`\n${formatSummary(results)}\n`);
  await doctor.close();
  return results.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main()
    .then((code) => process.exit(code))
    .catch((error) => {
      process.stderr.write(`doctor failed: ${errorMessage(error)}\n`);
      process.exit(1);
    });
}
