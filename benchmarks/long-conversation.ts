/**
 * `npm run bench:long` (issue 16 c): one conversation of 500 customer turns in a row, to show
 * that a long conversation costs the same per turn at its end as at its start. The workflow's
 * history grows with every turn until it continues as new; if anything in a turn grew with
 * the history (replay, state carried around, the transcript read), the late turns would be
 * slower or add more history than the early ones.
 *
 * The product as `npm start` runs it (bench-kit's startProductStack: the sandbox, the real
 * webhook API, a real worker) on a Temporal dev server of its own (SQLite file, free ports), or
 * on TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) when set, e.g. `npm run temporal-postgres`.
 * The AI is a stub that answers in BENCH_AI_MS (default 500) ms with the faq provider's
 * decision; the quiet window is 0, there is no nudge, and the reply limit per session is
 * lifted so that the AI answers every turn. (The inactivity timeout never fires: the customer
 * writes again as soon as the AI has answered.) BENCH_TURNS (default 500) turns, each a
 * question the faq provider answers, after a warm-up conversation of 10 turns that is not
 * measured. Continue-as-new happens when the server suggests it (the dev server's defaults).
 *
 * Per turn:
 * - latency: from the customer's message posted in the sandbox to the AI's reply visible
 *   there (polled every 5 ms), as bench:latency measures it;
 * - history bytes added: the workflow's history size (as the server counts it, payloads
 *   encrypted as in production) after the turn, less the size after the turn before in the same
 *   run. The first turn seen in a new run is measured from that run's start: its first event,
 *   which holds the state continue-as-new carried, is a cost of the new run, reported per
 *   run, not of the turn.
 *
 * A continue-as-new is seen as a new run id after a turn; the count is checked against the
 * workflow's own counter (stateQuery).
 *
 * The first turn (a new conversation: the claim path, the workflow's start) is reported on its
 * own; the first follow-ups are compared with the last ones (up to 50 each, a whole number of
 * question cycles so both hold the same questions): latency p50 and p95 within ±10 %, history
 * bytes per turn (median, mean) within ±20 % ("flat": faster or smaller late turns miss the
 * target too, as a sign of a skewed run). A missed target is printed, not an exit code:
 * the exit code is 1 only when the run itself fails (no reply within 30 s, the AI no longer
 * answering).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDataConverter } from '../codec/data-converter.js';
import { FreshchatClient, type FreshchatMessage } from '../freshchat/client.js';
import { freePort } from '../lib/free-port.js';
import { SandboxControl } from '../sandbox/control-client.js';
import { startDevServer } from '../scripts/dev-server.js';
import { defaultSettingsPath, loadAssistantSettings } from '../settings/assistant-settings.js';
import { Store } from '../store/store.js';
import { quietBundlerLogger, workflowsPath } from '../worker/create-worker.js';
import { conversationWorkflowId, stateQuery } from '../workflows/messages.js';
import { benchSandboxToken, percentile, startProductStack, type ProductStack } from './bench-kit.js';

const turns = Number(process.env.BENCH_TURNS ?? 500);
const aiMs = Number(process.env.BENCH_AI_MS ?? 500);
/** Questions the faq provider answers from the sample knowledge base (none escalates, none ends the chat). */
const questions = ['How long does shipping take?', 'How can I track my order?', 'How do I reset my password?', 'Which payment methods do you accept?', 'How do I return an item?'];
const windowTarget = 50;
const warmupTurns = 10;
const replyTimeoutMs = 30_000;
const targets = { latency: 0.1, bytes: 0.2 };

interface Turn {
  turn: number;
  latencyMs: number;
  runId: string;
  historyBytes: number;
  bytesAdded: number;
}

interface Run {
  runId: string;
  /** The turns seen in it; none when it began after the last turn was seen. */
  turns?: { first: number; last: number };
  /** The run's first event: the workflow's input, i.e. the state continue-as-new carried. */
  startEventBytes: number;
}

async function main(): Promise<void> {
  if (!Number.isInteger(turns) || turns < 3) throw new Error(`BENCH_TURNS must be an integer of at least 3 (got ${process.env.BENCH_TURNS})`);
  if (!Number.isFinite(aiMs) || aiMs < 0) throw new Error(`BENCH_AI_MS must be a number of milliseconds (got ${process.env.BENCH_AI_MS})`);
  // Core's own log (on stdout unless forwarded) warns of late completions, expected at each continue-as-new: stdout holds the figures only.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-long-'));
  const settings = loadAssistantSettings(defaultSettingsPath, { conversation: { quietWindowSeconds: 0, nudge: false }, handoff: { maxAiRepliesPerSession: 100_000 } });
  let address = process.env.TEMPORAL_ADDRESS;
  let stopServer = async () => undefined as unknown;
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  let store: Store | undefined;
  let stack: ProductStack | undefined;
  const workflows: WorkflowHandle[] = [];
  try {
    if (!address) {
      // Both probes listen at once, so the two ports differ.
      const [port, uiPort] = await Promise.all([freePort(), freePort()]);
      log(`Starting a Temporal dev server on 127.0.0.1:${port} (SQLite in ${dataDir}) …`);
      const devServer = await startDevServer({ dataDir, port, uiPort, log: () => undefined });
      address = devServer.address;
      stopServer = devServer.stop;
    }
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    connection = await Connection.connect({ address });
    nativeConnection = await NativeConnection.connect({ address });
    const dataConverter = createDataConverter([{ id: 'bench', key: Buffer.alloc(32, 3) }]);
    const client = new Client({ connection, namespace, dataConverter });
    store = new Store({ sqlitePath: join(dataDir, 'store.sqlite') });
    await store.ready();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    stack = await startProductStack({ client, connection: nativeConnection, namespace, dataConverter, settings, store, workflowBundle, aiMs });

    const sandbox = stack.sandbox;
    const control = new SandboxControl(sandbox.baseUrl);
    const freshchat = new FreshchatClient({ apiUrl: sandbox.apiUrl, apiToken: benchSandboxToken });
    const startConversation = async () => {
      const conversation = new CustomerTurns(control, freshchat, sandbox.aiAgentId, await control.createConversation(await control.createCustomer(`bench-${randomUUID().slice(0, 8)}@example.com`, 'Bench')));
      workflows.push(client.workflow.getHandle(conversationWorkflowId(conversation.conversationId)));
      return conversation;
    };

    // The process's own warm-up (JIT, connections, the worker's caches) would otherwise land in the first turns only.
    log(`Warming up: a conversation of ${warmupTurns} turns, not measured …`);
    const warmup = await startConversation();
    for (let turn = 1; turn <= warmupTurns; turn++) await warmup.next();

    log(`One conversation, ${turns} customer turns (AI ${aiMs} ms) …`);
    const conversation = await startConversation();
    const workflowId = conversationWorkflowId(conversation.conversationId);
    const workflow = client.workflow.getHandle(workflowId);
    const measured: Turn[] = [];
    const runs: Run[] = [];
    const began = performance.now();
    for (let turn = 1; turn <= turns; turn++) {
      const latencyMs = await conversation.next();
      const description = await workflow.describe();
      const historyBytes = Number(description.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      const previous = measured.at(-1);
      let bytesAdded: number;
      if (previous?.runId === description.runId) {
        bytesAdded = historyBytes - previous.historyBytes;
        runs.at(-1)!.turns!.last = turn;
      } else {
        // A run not seen before: the conversation's first, or one continue-as-new started.
        const startEventBytes = await firstEventBytes(client.workflow.getHandle(workflowId, description.runId));
        runs.push({ runId: description.runId, turns: { first: turn, last: turn }, startEventBytes });
        bytesAdded = historyBytes - startEventBytes;
      }
      measured.push({ turn, latencyMs, runId: description.runId, historyBytes, bytesAdded });
      if (turn % 50 === 0) {
        const recent = measured.slice(-50).map((t) => t.latencyMs);
        log(`turn ${turn}/${turns}: latency p50 ${percentile(recent, 50).toFixed(0)} ms over the last 50; run ${runs.length}, ${description.historyLength} events, ${historyBytes} bytes; ${((performance.now() - began) / 1000).toFixed(0)} s`);
      }
    }

    // The workflow's own account: every turn answered, still the AI's, and its count of continue-as-new.
    const state = await workflow.query(stateQuery);
    if (state.state !== 'ai_active' || state.counters.aiReplies !== turns) {
      throw new Error(`the AI stopped answering: state ${state.state}, ${state.counters.aiReplies} AI replies to ${turns} turns (rule ${state.lastDecision?.rule ?? 'none'})`);
    }
    // The last answer's workflow task may continue as new after the last look: that run counts too.
    const latest = await workflow.describe();
    if (latest.runId !== runs.at(-1)!.runId) runs.push({ runId: latest.runId, startEventBytes: await firstEventBytes(client.workflow.getHandle(workflowId, latest.runId)) });
    const runTotals = [];
    for (const run of runs) {
      const d = await client.workflow.getHandle(workflowId, run.runId).describe();
      runTotals.push({ ...run, events: d.historyLength, bytes: Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0), status: d.status.name });
    }
    report({ address, measured, runs: runTotals, workflowCount: state.counters.continuedAsNew, seconds: (performance.now() - began) / 1000 });
  } finally {
    await stack?.close();
    // On a server of one's own they go with the data directory; on TEMPORAL_ADDRESS they would wait for a worker that is gone.
    for (const workflow of workflows) await workflow.terminate('benchmark over').catch(() => undefined);
    await store?.close();
    await nativeConnection?.close();
    await connection?.close();
    await stopServer();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A customer who asks the next question as soon as the AI has answered the last one. */
class CustomerTurns {
  private turn = 0;
  private lastReplyId: string | undefined;

  constructor(
    private readonly control: SandboxControl,
    private readonly freshchat: FreshchatClient,
    private readonly aiAgentId: string,
    readonly conversationId: string,
  ) {}

  /** One turn: the next question posted, the AI's reply awaited; the latency in ms. */
  async next(): Promise<number> {
    this.turn++;
    const started = performance.now();
    const posted = await this.control.customerSays(this.conversationId, questions[(this.turn - 1) % questions.length]!);
    const reply = await this.replySince(posted.created_time, started);
    this.lastReplyId = reply.id;
    return performance.now() - started;
  }

  /**
   * The AI's reply to the message posted at `since`, read as the product reads messages (the
   * /v2 API, the newest since a time). Not the sandbox's conversation view: that returns every
   * message, twice the turn number of them, so polling it would itself slow down as the
   * conversation grows and show up in the late turns' latency.
   */
  private async replySince(since: string, started: number): Promise<FreshchatMessage> {
    for (;;) {
      const messages = await this.freshchat.listRecentMessages(this.conversationId, since, 10);
      // The previous reply may bear the same millisecond as this message.
      const reply = messages.find(
        (m) => m.actor_id === this.aiAgentId && (m.message_type ?? 'normal') === 'normal' && m.id !== this.lastReplyId && (m.message_parts ?? []).some((p) => p.text?.content),
      );
      if (reply) return reply;
      if (performance.now() - started > replyTimeoutMs) throw new Error(`no reply to turn ${this.turn} of ${this.conversationId} within ${replyTimeoutMs / 1000} s`);
      await sleep(5);
    }
  }
}

/**
 * The size of a run's first event: its protobuf encoding inside a History, the form in which
 * the server stores and sums history. The server fills in a few fields when it reads history
 * out: a whole run encoded this way comes to 150–250 B more than the server's own count (dev
 * server, measured), so the first turn seen in a new run may read up to that much low.
 */
async function firstEventBytes(run: WorkflowHandle): Promise<number> {
  const history = await run.fetchHistory();
  const first = history.events?.[0];
  if (!first?.workflowExecutionStartedEventAttributes) throw new Error(`run ${run.workflowId} has no start event`);
  return proto.temporal.api.history.v1.History.encode({ events: [first] }).finish().length;
}

function report(r: {
  address: string;
  measured: Turn[];
  runs: Array<Run & { events: number; bytes: number; status: string }>;
  workflowCount: number;
  seconds: number;
}): void {
  // Follow-ups only (turn 1 is a new conversation), whole question cycles, windows that do not overlap.
  const followUps = r.measured.slice(1);
  const size = Math.max(1, Math.floor(Math.min(windowTarget, Math.floor(followUps.length / 2)) / questions.length) * questions.length);
  const first = followUps.slice(0, size);
  const last = followUps.slice(-size);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const misses: string[] = [];
  const row = (what: string, pick: (turns: Turn[]) => number, tolerance: number, unit: string) => {
    const a = pick(first);
    const b = pick(last);
    const ratio = b / a;
    const pass = Math.abs(ratio - 1) <= tolerance;
    if (!pass) misses.push(`${what}: last/first ${ratio.toFixed(2)}× is outside ±${tolerance * 100} %`);
    return `| ${what} | ${a.toFixed(0)} ${unit} | ${b.toFixed(0)} ${unit} | **${ratio.toFixed(2)}×** | ±${tolerance * 100} % | ${pass ? 'PASS' : '**FAIL**'} |`;
  };
  const latencies = (ts: Turn[]) => ts.map((t) => t.latencyMs);
  const bytes = (ts: Turn[]) => ts.map((t) => t.bytesAdded);
  const span = (ts: Turn[]) => `${ts[0]!.turn}–${ts.at(-1)!.turn}`;
  const continued = r.runs.slice(1);
  const turnOne = r.measured[0]!;
  const lines = [
    `long conversation, ${r.measured.length} customer turns, AI stub ${aiMs} ms, quiet window 0, Temporal at ${r.address}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ${r.seconds.toFixed(0)} s`,
    '',
    `| per turn | first ${size} follow-ups (turns ${span(first)}) | last ${size} (turns ${span(last)}) | last / first | target | |`,
    '|---|---|---|---|---|---|',
    row('latency p50', (ts) => percentile(latencies(ts), 50), targets.latency, 'ms'),
    row('latency p95', (ts) => percentile(latencies(ts), 95), targets.latency, 'ms'),
    row('history bytes added, median', (ts) => percentile(bytes(ts), 50), targets.bytes, 'B'),
    row('history bytes added, mean', (ts) => mean(bytes(ts)), targets.bytes, 'B'),
    '',
    `turn 1 (a new conversation, not compared): ${turnOne.latencyMs.toFixed(0)} ms, ${turnOne.bytesAdded} history bytes after the start event.`,
    '',
    `continue-as-new: ${continued.length}${continued.length ? `; new runs first seen after turn${continued.length > 1 ? 's' : ''} ${continued.map((run) => run.turns?.first ?? 'none (after the last turn)').join(', ')}` : ''} (the workflow's own counter: ${r.workflowCount}${r.workflowCount === continued.length ? ', the same' : ', DIFFERENT'})`,
    '',
    '| run | turns | history events | history bytes | start event bytes (carried state) | status |',
    '|---|---|---|---|---|---|',
    ...r.runs.map((run, i) => `| ${i + 1} | ${run.turns ? `${run.turns.first}–${run.turns.last}` : 'none (after the last)'} | ${run.events} | ${run.bytes} | ${run.startEventBytes} | ${run.status} |`),
    '',
    misses.length ? `TARGET MISSED:\n${misses.map((m) => `- ${m}`).join('\n')}` : 'All targets met.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
