/**
 * `npm run soak -- --minutes N [--workers K] [--conversations C] [--seed S] [--drain-seconds D] [--temporal dev|postgres] [--quiet-window SECONDS]`:
 * the product under everything going wrong at once, all on loopback, then a verdict from the
 * sandbox's own record and the workflows' state (soak/checks.ts).
 *
 * In this process: a Temporal dev server of its own (SQLite in a temp dir, free ports), or with
 * `--temporal postgres` Temporal Server on PostgreSQL (scripts/temporal-postgres.ts), restarted
 * once half-way; the Freshchat sandbox; the webhook API; an OpenAI-compatible AI
 * endpoint (soak/ai-stub.ts). K worker processes (`node dist/worker/main.js`, environment only,
 * AI_PROVIDER=openai) are SIGKILLed one at a time every 20–60 s and started again; the sandbox
 * misbehaves and the AI has outages for short periods (soak/chaos.ts); C conversations at a
 * time do random customer and rep things (soak/driver.ts). Then the chaos stops, a bounded
 * drain lets the product catch up, and the checks run. The last line of stdout is
 * `SOAK RESULT {json}`; the exit code is 1 on any breach, naming the conversations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { stringify } from 'yaml';
import { createApiMetrics } from '../api/metrics.js';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createWebhookApp } from '../api/webhook-app.js';
import { createDataConverter } from '../codec/data-converter.js';
import { parseEncryptionKeys } from '../codec/encryption-keys.js';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { freePort } from '../lib/free-port.js';
import { createLogger } from '../lib/logger.js';
import { seededRandom } from '../lib/seeded-random.js';
import { SandboxControl, type ApiRecordView, type WebhookDeliveryView } from '../sandbox/control-client.js';
import { startSandbox } from '../sandbox/server.js';
import { startDevServer, type DevServer } from '../scripts/dev-server.js';
import { freeServerPort, startTemporalOnPostgres, temporalServerVersion } from '../scripts/temporal-postgres.js';
import { conversationWorkflowId, decisionsQuery, stateQuery } from '../workflows/messages.js';
import { startAiStub } from '../soak/ai-stub.js';
import { kindOfAiText, notices } from '../soak/notices.js';
import { aiOutages, emptyChaosCounts, killWorkers, sandboxFaults } from '../soak/chaos.js';
import { checkTranscript, checkWorkflow, figuresOf, timelineOf, totalBreaches, type Classifier, type WorkflowFacts } from '../soak/checks.js';
import { emptyCounts, runConversationStream } from '../soak/driver.js';
import { startWorkerPool, workerEnvironment } from '../soak/worker-pool.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sandboxToken = 'soak-sandbox-token-0123456789';
const aiAgentEmail = 'ai-agent@soak.test';
const taskQueue = 'soak';

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      workers: { type: 'string', default: '2' },
      conversations: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      'drain-seconds': { type: 'string', default: '120' },
      'keep-data': { type: 'boolean', default: false },
      temporal: { type: 'string', default: 'dev' },
      // 0: the AI is asked while a claim runs (README, A turn).
      'quiet-window': { type: 'string', default: '0.5' },
    },
  });
  if (values.temporal !== 'dev' && values.temporal !== 'postgres') throw new Error('--temporal must be dev or postgres');
  const number = (name: keyof typeof values, min: number, max: number) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return value;
  };
  return {
    minutes: number('minutes', 0.2, 24 * 60),
    workers: Math.round(number('workers', 1, 8)),
    conversations: Math.round(number('conversations', 1, 200)),
    seed: Math.round(number('seed', 0, 2 ** 31)),
    drainSeconds: number('drain-seconds', 10, 1800),
    keepData: values['keep-data'] === true,
    temporal: values.temporal as 'dev' | 'postgres',
    quietWindowSeconds: number('quiet-window', 0, 60),
  };
}

async function main(): Promise<number> {
  const opts = options();
  const say = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'fc-soak-'));
  const stops: Array<() => Promise<unknown>> = [];
  /** A run with breaches keeps its data dir (worker, API and sandbox logs) for the post-mortem. */
  let keep = opts.keepData;
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  // Ctrl-C, or workers that cannot start, stop the run and what it started (the dev server and the workers are its own processes).
  let fail: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => (fail = reject));
  fatal.catch(() => undefined);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => fail(new Error(`interrupted by ${signal}`)));
  const soak = async (): Promise<number> => {
    say(`seed ${opts.seed}, ${opts.minutes} min, ${opts.workers} workers, ${opts.conversations} conversations at a time; data and logs in ${dir}`);
    const dataDir = join(dir, 'temporal');
    const startTemporal = await temporalStarter(opts.temporal, dataDir, say);
    let devServer = await startTemporal();
    stops.push(() => devServer.stop());

    const keySetting = `soak:${randomBytes(32).toString('base64')}`;
    const connection = await Connection.connect({ address: devServer.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter: createDataConverter(parseEncryptionKeys(keySetting)) });

    // Product logs (ids only) go to files, not to the soak's output.
    const sandboxLog = createWriteStream(join(dir, 'sandbox.log'));
    const apiLog = createWriteStream(join(dir, 'api.log'));
    stops.push(async () => {
      sandboxLog.end();
      apiLog.end();
    });
    const sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', sandboxLog) });
    stops.push(() => sandbox.close());
    const control = new SandboxControl(sandbox.baseUrl);
    const ai = await startAiStub();
    stops.push(() => ai.close());

    const app = createWebhookApp({
      client, taskQueue, webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine), maxBodyBytes: 1024 * 1024,
      logger: createLogger('api', apiLog), metrics: createApiMetrics(),
    });
    const http: Server = await listen(app, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
    stops.push(() => new Promise((r) => http.close(r)));
    sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);

    const settingsPath = join(dir, 'settings.yaml');
    writeFileSync(settingsPath, stringify({
      knowledgeBase: join(repoRoot, 'knowledge-base', 'sample.yaml'),
      // Every topic the sample knowledge base names (the settings refuse unknown ones).
      topics: [
        { name: 'orders', description: 'Order status, tracking, changing or cancelling an order', policy: 'answer' },
        { name: 'shipping', description: 'Delivery times and costs', policy: 'answer' },
        { name: 'returns', description: 'Returns and refunds', policy: 'answer' },
        { name: 'account', description: 'Login, password, account details', policy: 'answer' },
        { name: 'billing', description: 'Invoices, charges, payment problems', policy: 'escalate' },
      ],
      handoff: { phrases: ['talk to a human'], sentimentAtOrBelow: 'very_negative', minConfidence: 0.2, maxAiRepliesPerSession: 50 },
      // Short timings: a quiet conversation is resolved as inactive (and reconciled with Freshchat) within the drain.
      conversation: { quietWindowSeconds: opts.quietWindowSeconds, inactivitySeconds: 30, nudge: false },
      messages: Object.fromEntries(Object.entries(notices).map(([k, v]) => [k, { default: v }])),
    }));

    const workerEnv = workerEnvironment({
      temporal: devServer, taskQueue, freshchat: { apiUrl: sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail }, aiBaseUrl: ai.baseUrl,
      settingsPath, encryptionKeys: keySetting, sqlitePath: join(dir, 'store.sqlite'),
    });
    const pool = startWorkerPool({ count: opts.workers, repoRoot, env: workerEnv, logDir: dir, onFatal: (error) => fail(error) });
    stops.push(() => pool.stop());
    await waitFor(async () => (await pollers(connection, devServer.namespace)) > 0, 60_000, 'a worker polling the task queue');
    say('workers polling; the stream begins');

    const random = seededRandom(opts.seed);
    const chaosCounts = emptyChaosCounts();
    const streamCounts = emptyCounts();
    const conversationIds: string[] = [];
    const started = Date.now();
    const until = started + opts.minutes * 60_000;
    const chaos = new AbortController();

    const restartServer = (async () => {
      if (!(await sleep(opts.minutes * 30_000, true, { signal: chaos.signal }).catch(() => false))) return;
      say('restarting the Temporal server');
      await devServer.stop();
      devServer = await startTemporal();
      chaosCounts.serverRestarts++;
      say('Temporal server back');
    })();
    const loops = [
      killWorkers(pool, seededRandom(opts.seed + 1), chaosCounts, chaos.signal),
      sandboxFaults(control, seededRandom(opts.seed + 2), chaosCounts, chaos.signal),
      aiOutages(ai, seededRandom(opts.seed + 3), chaosCounts, chaos.signal),
      restartServer,
    ];
    await runConversationStream({ control, seed: random() * 1e9 | 0, concurrency: opts.conversations, until, aiAgentId: sandbox.aiAgentId, repIds: sandbox.reps.map((r) => r.id), conversationIds }, streamCounts);
    say(`stream over: ${streamCounts.conversations} conversations, ${streamCounts.customerMessages} customer messages; stopping the chaos`);
    chaos.abort();
    await Promise.all(loops);
    await control.clearFaults();
    ai.endOutage();

    // The drain: webhooks delivered, then every workflow quiet (nothing pending), bounded in time.
    const drainUntil = Date.now() + opts.drainSeconds * 1000;
    await Promise.race([sandbox.drainWebhooks(), sleep(Math.max(0, drainUntil - Date.now()))]);
    let facts = new Map<string, WorkflowFacts>();
    let deliveries: WebhookDeliveryView[] = [];
    for (let round = 0; Date.now() < drainUntil || round === 0; round++) {
      const before = (await control.webhooks()).length;
      facts = await workflowFacts(client, conversationIds);
      deliveries = await control.webhooks();
      const quiet = [...facts.values()].every((f) => !f.pendingActivities && !(f.pendingCustomerMessages && f.state === 'ai_active') && !f.queryError && (f.workflowTaskAttempt ?? 0) <= 1);
      if (quiet && deliveries.length === before && deliveries.every((d) => d.status !== 'pending')) break;
      await sleep(3000);
    }
    say(`drained after ${Math.round((Date.now() - until) / 1000)} s; checking ${conversationIds.length} conversations`);

    const classifier: Classifier = { aiAgentId: sandbox.aiAgentId, kindOf: kindOfAiText };
    const apiRecords = new Map<string, ApiRecordView>();
    for (const id of conversationIds) apiRecords.set(id, await control.apiRecord(id));
    const results = conversationIds.map((id) => {
      const own = deliveries.filter((d) => d.conversation_id === id);
      const verdict = checkTranscript(id, timelineOf(own, classifier, apiRecords.get(id)));
      const breaches = [...verdict.breaches, ...checkWorkflow(id, own, verdict, facts.get(id) ?? {})];
      return { deliveries: own, verdict, breaches };
    });
    const figures = figuresOf(results);
    // For the post-mortem: each breaching conversation's events (ids, kinds, times; no customer text) and the workflow's decisions.
    const breaching = results.filter((r) => r.breaches.length > 0);
    if (breaching.length > 0) mkdirSync(join(dir, 'breaches'));
    for (const r of breaching) {
      const id = r.breaches[0]!.conversationId;
      const decisions = await client.workflow.getHandle(conversationWorkflowId(id)).query(decisionsQuery)
        .then((list) => list.map((d) => ({ session: d.session, turn: d.turn, at: d.at, action: d.action, rule: d.rule, outcome: d.outcome })))
        .catch((error: Error) => error.message);
      const timeline = timelineOf(r.deliveries, classifier, apiRecords.get(id));
      writeFileSync(join(dir, 'breaches', `${id}.json`), JSON.stringify({ breaches: r.breaches, facts: facts.get(id), timeline, apiRecord: apiRecords.get(id), decisions }, null, 1));
    }
    const listed = await listStatuses(client);
    const failedWorkflows = Object.entries(listed).filter(([status]) => !['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(status)).reduce((n, [, c]) => n + c, 0);
    const result = {
      seed: opts.seed, minutes: opts.minutes, workers: opts.workers, concurrency: opts.conversations,
      ...figures,
      workflowsByStatus: listed,
      failedWorkflows,
      stream: streamCounts,
      chaos: { ...chaosCounts, workerExitsUnprompted: pool.unexpectedExits },
      ai: ai.counts,
      breachTotal: totalBreaches(figures) + failedWorkflows,
      breachDetails: results.flatMap((r) => r.breaches).slice(0, 50),
    };
    if (result.breachTotal > 0) keep = true;
    printReport(result);
    process.stdout.write(`SOAK RESULT ${JSON.stringify(result)}\n`);
    return result.breachTotal === 0 ? 0 : 1;
  };
  try {
    return await Promise.race([soak(), fatal]);
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    await stopAll();
    if (keep) say(`data and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

type SoakTemporal = Pick<DevServer, 'address' | 'namespace' | 'uiUrl' | 'stop'>;

/**
 * How the soak starts (and restarts) its Temporal server: the dev server (SQLite file), or
 * Temporal Server on the machine's PostgreSQL (TEMPORAL_POSTGRES_URL, default the local one;
 * the databases freshchat_ai_soak[_visibility], kept between runs, a namespace of this run's own).
 */
async function temporalStarter(kind: 'dev' | 'postgres', dataDir: string, say: (line: string) => void): Promise<() => Promise<SoakTemporal>> {
  if (kind === 'dev') {
    const [port, uiPort] = [await freePort(), await freePort()];
    return () => startDevServer({ dataDir, port, uiPort, log: say });
  }
  const port = await freeServerPort();
  const namespace = `soak-${randomBytes(4).toString('hex')}`;
  const postgresUrl = process.env.TEMPORAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  return async () => {
    say(`starting Temporal Server ${temporalServerVersion} on PostgreSQL (${new URL(postgresUrl).host}), namespace ${namespace}`);
    const server = await startTemporalOnPostgres({ postgresUrl, databasePrefix: 'freshchat_ai_soak', port, namespace, dataDir, log: say });
    return { ...server, uiUrl: 'http://localhost:8233' };
  };
}

/** Workers polling the task queue for workflow tasks (the soak's, or `queue`). */
export async function pollers(connection: Connection, namespace: string, queue = taskQueue): Promise<number> {
  const response = await connection.workflowService.describeTaskQueue({
    namespace, taskQueue: { name: queue }, taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return response.pollers?.length ?? 0;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Describe and state query of each conversation's workflow; a query that fails is a finding (a stuck workflow). */
async function workflowFacts(client: Client, conversationIds: string[]): Promise<Map<string, WorkflowFacts>> {
  const facts = new Map<string, WorkflowFacts>();
  for (let i = 0; i < conversationIds.length; i += 8) {
    await Promise.all(conversationIds.slice(i, i + 8).map(async (id) => {
      const handle = client.workflow.getHandle(conversationWorkflowId(id));
      let description;
      try {
        description = await handle.describe();
      } catch {
        facts.set(id, {});
        return;
      }
      const fact: WorkflowFacts = {
        status: description.status.name,
        pendingActivities: description.raw.pendingActivities?.length ?? 0,
        workflowTaskAttempt: description.raw.pendingWorkflowTask?.attempt ?? 0,
      };
      if (description.status.name === 'RUNNING') {
        try {
          const state = await client.withDeadline(Date.now() + 10_000, () => handle.query(stateQuery));
          Object.assign(fact, { state: state.state, pendingCustomerMessages: state.pendingCustomerMessages, customerMessagesHandled: state.counters.customerMessages });
        } catch (error) {
          fact.queryError = (error as Error).name;
        }
      }
      facts.set(id, fact);
    }));
  }
  return facts;
}

async function listStatuses(client: Client): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'conversationWorkflow'` })) counts[wf.status.name] = (counts[wf.status.name] ?? 0) + 1;
  return counts;
}

function printReport(r: {
  conversations: number; sessions: number; customerMessages: number; aiReplies: number; talkedOverInFlight: number; outcomes: Record<string, number>;
  deliveries: Record<string, number>; breaches: Record<string, number>; breachingConversations: Record<string, string[] | undefined>;
  workflowsByStatus: Record<string, number>; failedWorkflows: number; chaos: object; stream: object; ai: object; breachTotal: number;
}): void {
  const lines = [
    '',
    `conversations ${r.conversations}, sessions ${r.sessions}, customer messages ${r.customerMessages}, AI replies ${r.aiReplies}`,
    `outcomes: AI reply ${r.outcomes.ai_reply}, handoff ${r.outcomes.handoff}, left to a rep ${r.outcomes.rep}`,
    `AI messages that crossed a rep's action in flight (after the product's last look; not a breach): ${r.talkedOverInFlight}`,
    `webhooks: ${JSON.stringify(r.deliveries)}`,
    `workflows: ${JSON.stringify(r.workflowsByStatus)}`,
    `chaos: ${JSON.stringify(r.chaos)}`,
    `stream: ${JSON.stringify(r.stream)}`,
    `AI endpoint: ${JSON.stringify(r.ai)}`,
    'breaches:',
    ...Object.entries(r.breaches).map(([kind, n]) => `  ${kind.padEnd(22)} ${n}${n ? `  (${(r.breachingConversations[kind] ?? []).join(', ')})` : ''}`),
    `  ${'failed workflows'.padEnd(22)} ${r.failedWorkflows}`,
    r.breachTotal === 0 ? 'PASS: no breach' : `FAIL: ${r.breachTotal} breaches`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main()
    .then((code) => process.exit(code))
    .catch((error) => {
      process.stderr.write(`soak failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exit(2);
    });
}
