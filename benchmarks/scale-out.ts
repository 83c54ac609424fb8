/**
 * `npm run bench:scale` (issue 16 e): scale-out. AI turns per second with 1, 2 and 3 worker
 * processes on one task queue, 200 conversations at a time and an AI that answers in 500 ms,
 * and each count's ratio to one worker: what another worker process adds.
 *
 * In this process, as the soak has them (benchmarks/soak.ts): a Temporal dev server of its own
 * (SQLite in a temp dir, free ports), the Freshchat sandbox, the webhook API and an
 * OpenAI-compatible AI endpoint (soak/ai-stub.ts) that answers every decision after BENCH_AI_MS.
 * For each worker count K: K processes `node dist/worker/main.js` (soak/worker-pool.ts,
 * environment only, AI_PROVIDER=openai; nobody kills them) on a task queue and store of this
 * count's own (with a webhook API for that queue), so the counts do not mix; once all K poll
 * and the first knowledge sync is done, C conversations at a time each loop: the customer
 * writes, the AI's reply is waited for (at most 60 s; every BENCH_POLL_MS the sandbox is asked
 * which conversations changed, and those are read), the customer writes again. A turn counts
 * when its reply is seen inside the measuring window (after the warm-up); its latency runs
 * from the customer's message to then. Then the workers are stopped, that count's workflows
 * terminated (nothing of theirs is left to the dev server) and the next count starts.
 *
 * Where the CPU went, over each window: the workers' (/proc/<pid>/stat: the process, and its
 * busiest thread: a Node thread, the activities' event loop or the workflow thread, gets one
 * core at most), the dev server's, this process's (sandbox, API, AI endpoint, load), other
 * processes', the machine's busy share (/proc/stat) and the time tasks waited for a core
 * (/proc/pressure/cpu). Every process shares the machine's cores: a ratio near K says the
 * worker was the bottleneck, a ratio near 1 with the machine busy says the cores were. Also
 * counted: webhook deliveries that needed a retry (the API answers 503 when Temporal is slower
 * than its deadline, and the sandbox sends the event again after a backoff).
 *
 * Settings as the soak writes them: quiet window 0, inactivity 1 hour (nothing resolves during
 * a run), no nudge, 100000 AI replies a session. Customer words are the soak's questions and
 * never logged; product logs go to files in the temp dir, removed at the end.
 *
 * BENCH_WORKERS (default 1,2,3), BENCH_CONVERSATIONS (200), BENCH_SECONDS (60: the measuring
 * window), BENCH_WARMUP_SECONDS (15: long enough for every conversation's first turn, the
 * claim path, to be done at a few tens of turns a second), BENCH_AI_MS (500), BENCH_POLL_MS (100).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createApiMetrics } from '../api/metrics.js';
import { createWebhookApp } from '../api/webhook-app.js';
import { createDataConverter } from '../codec/data-converter.js';
import { parseEncryptionKeys } from '../codec/encryption-keys.js';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { freePort } from '../lib/free-port.js';
import { createLogger } from '../lib/logger.js';
import { seededRandom } from '../lib/seeded-random.js';
import { SandboxControl, textOfMessage } from '../sandbox/control-client.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { startDevServer } from '../scripts/dev-server.js';
import { defaultSettingsPath } from '../settings/assistant-settings.js';
import { startAiStub } from '../soak/ai-stub.js';
import { customerText } from '../soak/behaviour.js';
import { kindOfAiText, notices } from '../soak/notices.js';
import { startWorkerPool, workerEnvironment } from '../soak/worker-pool.js';
import { knowledgeSyncWorkflowId } from '../workflows/knowledge-sync-workflow.js';
import { conversationWorkflowId } from '../workflows/messages.js';
import { benchAiAgentEmail, benchSandboxToken, discard, percentile } from './bench-kit.js';
import { pollers, waitFor } from './soak.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const workerCounts = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map((k) => Number(k.trim()));
const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const aiMs = Number(process.env.BENCH_AI_MS ?? 500);
const pollMs = Number(process.env.BENCH_POLL_MS ?? 100);
const replyTimeoutMs = 60_000;
/** How long K workers may take to start (each bundles the workflow code) and to sync the knowledge once. */
const startTimeoutMs = 180_000;

interface Run {
  workers: number;
  /** Turns whose reply was seen in the window, and their latencies (ms). */
  latencies: number[];
  /** No AI message within 60 s; the AI said something other than a reply (a handoff notice); sandbox calls that failed. */
  timeouts: number;
  otherAnswers: number;
  driverErrors: number;
  workerExits: number;
  /** Webhook deliveries of the run's conversations that took more than one attempt (the API answered 503 at its Temporal deadline, or did not answer). */
  webhooksRetried: number;
  cpu: CpuUse;
}

interface CpuUse {
  /** Cores used over the window: each worker (all threads), each worker's busiest thread, the dev server, this process. */
  workers: number[];
  workerBusiestThreads: number[];
  devServer: number | undefined;
  self: number;
  /** Share of the machine's CPU time that was busy (all processes, other work included), the cores that other processes used, the 1-minute load average at the end. */
  machineBusy: number;
  others: number;
  load1: number;
  /** Share of the window in which some runnable task waited for a core (/proc/pressure/cpu "some"), when the kernel tells. */
  cpuPressure: number | undefined;
}

function check(): void {
  const bad = (what: string) => {
    throw new Error(what);
  };
  if (workerCounts.length === 0 || workerCounts.some((k) => !Number.isInteger(k) || k < 1 || k > 8)) bad('BENCH_WORKERS must be a comma-separated list of counts from 1 to 8');
  if (!Number.isInteger(conversations) || conversations < 1 || conversations > 2000) bad('BENCH_CONVERSATIONS must be a whole number from 1 to 2000');
  if (!(seconds >= 5 && seconds <= 3600)) bad('BENCH_SECONDS must be from 5 to 3600');
  if (!(warmupSeconds >= 0 && warmupSeconds <= 600)) bad('BENCH_WARMUP_SECONDS must be from 0 to 600');
  if (!(aiMs >= 0 && aiMs <= 30_000)) bad('BENCH_AI_MS must be from 0 to 30000');
  if (!(pollMs >= 5 && pollMs <= 5000)) bad('BENCH_POLL_MS must be from 5 to 5000');
}

async function main(): Promise<void> {
  check();
  const log = (line: string) => process.stderr.write(`[scale-out ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const stops: Array<() => Promise<unknown>> = [];
  // Ctrl-C, or a worker that cannot start, ends the run and what it started (the dev server and the workers are processes of their own).
  let fail: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => (fail = reject));
  fatal.catch(() => undefined);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => fail(new Error(`interrupted by ${signal}`)));

  const bench = async (): Promise<void> => {
    const [port, uiPort] = [await freePort(), await freePort()];
    log(`Temporal dev server on 127.0.0.1:${port} (SQLite in ${dir}) …`);
    const devServer = await startDevServer({ dataDir: join(dir, 'temporal'), port, uiPort, log: () => undefined });
    stops.push(() => devServer.stop());
    const keySetting = `bench:${randomBytes(32).toString('base64')}`;
    // Not closed before the exit: a signal-with-start that the webhook API gave up on (it answers 503 at its deadline)
    // may still have a retry scheduled in the Temporal client, which throws from its timer on a closed channel.
    const connection = await Connection.connect({ address: devServer.address });
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter: createDataConverter(parseEncryptionKeys(keySetting)) });
    const sandbox = await startSandbox({ apiToken: benchSandboxToken, aiAgentEmail: benchAiAgentEmail, logger: createLogger('freshchat-sandbox', discard) });
    stops.push(() => sandbox.close());
    const ai = await startAiStub({ delayMs: aiMs });
    stops.push(() => ai.close());

    const settingsPath = join(dir, 'settings.yaml');
    writeFileSync(settingsPath, stringify({
      knowledgeBase: join(repoRoot, 'knowledge-base', 'sample.yaml'),
      // The example settings' topics: every topic the sample knowledge base names (the settings refuse unknown ones).
      topics: (parse(readFileSync(defaultSettingsPath, 'utf8')) as { topics: unknown[] }).topics,
      handoff: { phrases: ['talk to a human'], sentimentAtOrBelow: 'very_negative', minConfidence: 0.2, maxAiRepliesPerSession: 100_000 },
      conversation: { quietWindowSeconds: 0, inactivitySeconds: 3600, nudge: false },
      messages: Object.fromEntries(Object.entries(notices).map(([k, v]) => [k, { default: v }])),
    }));
    // The soak's worker environment, with this count's task queue and store.
    const workerEnv = (taskQueue: string, sqlitePath: string) => workerEnvironment({
      temporal: devServer, taskQueue, freshchat: { apiUrl: sandbox.apiUrl, apiToken: benchSandboxToken, aiAgentEmail: benchAiAgentEmail }, aiBaseUrl: ai.baseUrl,
      settingsPath, encryptionKeys: keySetting, sqlitePath,
    });

    const runs: Run[] = [];
    for (const k of workerCounts) {
      const taskQueue = `scale-${k}-${randomUUID().slice(0, 8)}`;
      const runDir = join(dir, `workers-${k}-${runs.length}`);
      mkdirSync(runDir);
      const app = createWebhookApp({
        client, taskQueue, webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine), maxBodyBytes: 1024 * 1024,
        logger: createLogger('api', discard), metrics: createApiMetrics(),
      });
      const http: Server = await listen(app, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
      const closeHttp = () => new Promise((r) => http.close(r));
      stops.push(closeHttp);
      sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);
      log(`${k} worker${k > 1 ? 's' : ''} on task queue ${taskQueue}: starting …`);
      const pool = startWorkerPool({ count: k, repoRoot, env: workerEnv(taskQueue, join(runDir, 'store.sqlite')), logDir: runDir, onFatal: (error) => fail(error) });
      stops.push(() => pool.stop());
      await waitFor(async () => (await pollers(connection, devServer.namespace, taskQueue)) >= k, startTimeoutMs, `${k} workers polling ${taskQueue}`);
      await waitFor(async () => (await client.workflow.getHandle(knowledgeSyncWorkflowId(taskQueue)).describe()).status.name === 'COMPLETED', startTimeoutMs, 'the first knowledge sync');
      log(`${k} worker${k > 1 ? 's' : ''} polling; ${conversations} conversations for ${warmupSeconds} s warm-up + ${seconds} s measured …`);
      const conversationIds: string[] = [];
      const run = await drive(k, sandbox, conversationIds);
      run.workerExits = pool.unexpectedExits;
      runs.push(run);
      log(`${k} worker${k > 1 ? 's' : ''}: ${(run.latencies.length / seconds).toFixed(1)} AI turns/s; stopping them`);
      await pool.stop();
      // What the sandbox still has to send goes to this count's API before it closes (bounded).
      await Promise.race([sandbox.drainWebhooks(), sleep(15_000)]);
      await closeHttp();
      run.webhooksRetried = await retriedDeliveries(new SandboxControl(sandbox.baseUrl), conversationIds);
      // This count's workflows are ended, so that nothing of theirs (activity timeouts and retries) is left to the dev server in the next count's window.
      await terminateAll(client, conversationIds);
    }
    report(runs);
    const empty = runs.find((r) => r.latencies.length === 0);
    if (empty) throw new Error(`no AI turn completed in the window with ${empty.workers} workers`);
  };

  try {
    await Promise.race([bench(), fatal]);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** C conversation loops from now to the window's end; the CPU is sampled at the window's start and end. */
async function drive(workers: number, sandbox: Sandbox, conversationIds: string[]): Promise<Run> {
  const control = new SandboxControl(sandbox.baseUrl);
  const run = { workers, latencies: [] as number[], timeouts: 0, otherAnswers: 0, driverErrors: 0, workerExits: 0, webhooksRetried: 0 };
  const windowStart = Date.now() + warmupSeconds * 1000;
  const windowEnd = windowStart + seconds * 1000;
  const cpu = (async () => {
    await sleep(windowStart - Date.now());
    const before = sampleCpu();
    await sleep(windowEnd - Date.now());
    return cpuUse(before, sampleCpu());
  })();

  const watcher = watchConversations(control, windowEnd);
  /** The AI's public messages in the conversation, as the customer sees them. */
  const aiMessages = async (conversationId: string) =>
    (await control.conversation(conversationId)).messages.filter((m) => m.actor_id === sandbox.aiAgentId && m.message_type !== 'private' && textOfMessage(m).length > 0);

  const lane = async (index: number) => {
    const random = seededRandom(index + 1);
    // Lanes start spread over the first half of the warm-up, so the first turns do not all land at once.
    await sleep((index / conversations) * warmupSeconds * 500);
    let conversationId: string | undefined;
    let seen = 0;
    for (let n = 0; Date.now() < windowEnd && n < 100_000; n++) {
      try {
        if (!conversationId) {
          conversationId = await control.createConversation(await control.createCustomer(`scale-${randomUUID().slice(0, 8)}@example.com`, 'Bench'));
          conversationIds.push(conversationId);
          seen = 0;
        }
        const sent = performance.now();
        const deadline = Math.min(windowEnd, Date.now() + replyTimeoutMs);
        // The conversation's update time is its latest message's: the customer's, now.
        let since = (await control.customerSays(conversationId, customerText.question(random))).created_time;
        for (;;) {
          since = await watcher.changed(conversationId, since, deadline);
          if (Date.now() >= windowEnd) return;
          const messages = await aiMessages(conversationId);
          if (messages.length > seen) {
            const fresh = messages.slice(seen);
            seen = messages.length;
            if (fresh.some((m) => kindOfAiText(textOfMessage(m)) === 'reply')) {
              if (Date.now() >= windowStart) run.latencies.push(performance.now() - sent);
            } else {
              // A handoff or closing notice: this conversation is no longer the AI's; the lane starts another.
              run.otherAnswers++;
              conversationId = undefined;
            }
            break;
          }
          if (Date.now() >= deadline) {
            run.timeouts++;
            conversationId = undefined;
            break;
          }
        }
      } catch {
        // A sandbox call that failed (its client times out at 15 s): counted, and the lane starts another conversation.
        run.driverErrors++;
        conversationId = undefined;
        await sleep(1000);
      }
    }
  };
  await Promise.all([...Array.from({ length: conversations }, (_, i) => lane(i)), watcher.done]);
  run.driverErrors += watcher.errors;
  return { ...run, cpu: await cpu };
}

/** Deliveries that needed more than one attempt, from the sandbox's record of each conversation (20 at a time, bounded in time). */
async function retriedDeliveries(control: SandboxControl, conversationIds: string[]): Promise<number> {
  const deadline = Date.now() + 60_000;
  let retried = 0;
  for (let i = 0; i < conversationIds.length && Date.now() < deadline; i += 20) {
    const lists = await Promise.all(conversationIds.slice(i, i + 20).map((id) => control.webhooks(id).catch(() => [])));
    retried += lists.flat().filter((d) => d.attempts > 1).length;
  }
  return retried;
}

/** Terminates the conversations' workflows, 20 at a time, each call and the whole bounded in time; one that fails is left. */
async function terminateAll(client: Client, conversationIds: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < conversationIds.length && Date.now() < deadline; i += 20) {
    await Promise.all(conversationIds.slice(i, i + 20).map((id) =>
      client.withDeadline(Date.now() + 10_000, () => client.workflow.getHandle(conversationWorkflowId(id)).terminate('scale-out: this worker count is done')).catch(() => undefined)));
  }
}

/**
 * The sandbox polled for every conversation at once: every BENCH_POLL_MS one look at each
 * conversation's update time (GET /sandbox/state, as the sandbox page reads it); a lane reads
 * its conversation only when that has changed. Reading every conversation that often would
 * cost this process more CPU than the workers use (a read of a 40-message conversation took
 * about 1.4 ms of CPU here: 200 conversations every 100 ms, more than two cores).
 */
function watchConversations(control: SandboxControl, until: number) {
  const waiters = new Map<string, { since: string; wake: (updated: string) => void }>();
  let errors = 0;
  const done = (async () => {
    for (let n = 0; Date.now() < until && n < 1_000_000; n++) {
      try {
        for (const c of await control.conversationUpdates()) {
          const waiter = waiters.get(c.conversation_id);
          if (waiter && c.updated_time !== waiter.since) waiter.wake(c.updated_time);
        }
      } catch {
        errors++;
      }
      await sleep(pollMs);
    }
  })();
  return {
    done,
    get errors() {
      return errors;
    },
    /** The conversation's update time once it is no longer `since`; `since` at `deadline` (epoch ms). */
    changed(conversationId: string, since: string, deadline: number): Promise<string> {
      return new Promise((resolve) => {
        const wake = (updated: string) => {
          clearTimeout(timer);
          waiters.delete(conversationId);
          resolve(updated);
        };
        const timer = setTimeout(() => wake(since), Math.max(0, deadline - Date.now()));
        waiters.set(conversationId, { since, wake });
      });
    },
  };
}

interface CpuSample {
  /** Clock ticks of CPU time: each worker process (all threads, and each thread by id), the dev server. */
  workers: Map<number, { all: number; threads: Map<string, number> }>;
  devServer: number | undefined;
  /** µs of this process's CPU time. */
  self: number;
  machine: { busy: number; total: number };
  /** µs that some task waited for a core (PSI), when the kernel tells. */
  pressure: number | undefined;
  at: number;
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime (clock ticks) and the parent pid from a /proc/…/stat file; undefined when the process is gone. */
function statOf(path: string): { ticks: number; ppid: number } | undefined {
  try {
    const fields = readFileSync(path, 'utf8').split(') ').pop()!.split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Each thread's clock ticks of a process, by thread id. */
function threadTicks(pid: string): Map<string, number> {
  const threads = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ticks = statOf(`/proc/${pid}/task/${tid}/stat`)?.ticks;
      if (ticks !== undefined) threads.set(tid, ticks);
    }
  } catch {
    // The process is gone.
  }
  return threads;
}

function sampleCpu(): CpuSample {
  const workers = new Map<number, { all: number; threads: Map<string, number> }>();
  let devServer: number | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(`/proc/${name}/stat`);
    if (!stat || stat.ppid !== process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('dist/worker/main.js')) workers.set(Number(name), { all: stat.ticks, threads: threadTicks(name) });
    else if (cmdline.includes('start-dev')) devServer = stat.ticks;
  }
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpuLine.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (cpuLine[3] ?? 0) + (cpuLine[4] ?? 0);
  const self = process.cpuUsage();
  let pressure: number | undefined;
  try {
    pressure = Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]) || undefined;
  } catch {
    pressure = undefined;
  }
  return { workers, devServer, self: self.user + self.system, machine: { busy: total - idle, total }, pressure, at: performance.now() };
}

/** Cores used between two samples; a worker counts only if it ran through both (a restarted one is not). */
function cpuUse(before: CpuSample, after: CpuSample): CpuUse {
  const elapsed = (after.at - before.at) / 1000;
  const cores = (ticks: number) => ticks / clockTicks / elapsed;
  const kept = [...after.workers].filter(([pid]) => before.workers.has(pid));
  const workers = kept.map(([pid, a]) => cores(a.all - before.workers.get(pid)!.all));
  const devServer = before.devServer !== undefined && after.devServer !== undefined ? cores(after.devServer - before.devServer) : undefined;
  const self = (after.self - before.self) / 1e6 / elapsed;
  const machineBusy = (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total);
  const ours = workers.reduce((a, b) => a + b, 0) + (devServer ?? 0) + self;
  return {
    workers,
    workerBusiestThreads: kept.map(([pid, a]) => {
      const earlier = before.workers.get(pid)!.threads;
      return Math.max(0, ...[...a.threads].map(([tid, ticks]) => cores(ticks - (earlier.get(tid) ?? 0))));
    }),
    devServer,
    self,
    machineBusy,
    others: Math.max(0, machineBusy * cpus().length - ours),
    load1: loadavg()[0] ?? 0,
    cpuPressure: before.pressure !== undefined && after.pressure !== undefined ? (after.pressure - before.pressure) / 1e6 / elapsed : undefined,
  };
}

function report(runs: Run[]): void {
  const base = runs.find((r) => r.workers === 1) ?? runs[0]!;
  const perSecond = (r: Run) => r.latencies.length / seconds;
  const fixed = (n: number, digits = 2) => n.toFixed(digits);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
  const lines = [
    `scale-out, AI stub ${aiMs} ms, ${conversations} conversations, ${seconds} s measured after ${warmupSeconds} s warm-up, quiet window 0, sandbox polled every ${pollMs} ms; ${machine}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `All K workers share this machine's ${cpus().length} cores with the Temporal dev server, the sandbox, the webhook API and the load generator (one process):`,
    'the ratio shows what another worker adds when the worker is the bottleneck; the CPU table says whether it was.',
    `A product that cost nothing would do ${conversations} conversations / ${aiMs} ms = ${fixed(conversations / Math.max(aiMs / 1000, 0.001), 0)} turns/s.`,
    '',
    `| workers | AI turns/s | ratio to ${base.workers} worker${base.workers > 1 ? 's' : ''} | p50 ms | p95 ms | turns | no reply in 60 s | other answers | sandbox errors | webhooks retried | worker exits |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const has = r.latencies.length > 0;
      return `| ${r.workers} | ${fixed(perSecond(r), 1)} | **${perSecond(base) > 0 ? `${fixed(perSecond(r) / perSecond(base))}×` : '—'}** | ${has ? fixed(percentile(r.latencies, 50), 0) : '—'} | ${has ? fixed(percentile(r.latencies, 95), 0) : '—'} | ${r.latencies.length} | ${r.timeouts} | ${r.otherAnswers} | ${r.driverErrors} | ${r.webhooksRetried} | ${r.workerExits} |`;
    }),
    '',
    'Where the CPU went in the window (cores; 1.00 = one core all the time):',
    '',
    '| workers | each worker (all threads) | each worker\'s busiest thread | dev server | sandbox + API + AI stub + load | other processes | machine busy | waiting for a core | load avg 1 min |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.workers} | ${r.cpu.workers.map((c) => fixed(c)).join(' + ')} | ${r.cpu.workerBusiestThreads.map((c) => fixed(c)).join(', ')} | ${r.cpu.devServer === undefined ? '—' : fixed(r.cpu.devServer)} | ${fixed(r.cpu.self)} | ${fixed(r.cpu.others)} | ${fixed(r.cpu.machineBusy * 100, 0)} % | ${r.cpu.cpuPressure === undefined ? '—' : `${fixed(r.cpu.cpuPressure * 100, 0)} %`} | ${fixed(r.cpu.load1)} |`),
    '',
    ...runs.map((r) => `- ${r.workers} worker${r.workers > 1 ? 's' : ''}: ${verdict(r)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What limited a run, from its CPU figures: a worker's busiest thread near one core, or the machine's cores all busy. */
function verdict(r: Run): string {
  const busiest = Math.max(0, ...r.cpu.workerBusiestThreads);
  const figures = `busiest worker thread ${(busiest * 100).toFixed(0)} % of a core, machine ${(r.cpu.machineBusy * 100).toFixed(0)} % busy`;
  const workerBound = busiest >= 0.85;
  // Past 80 % on a few cores, runnable tasks queue for a core much of the time (the "waiting for a core" column).
  const machineBound = r.cpu.machineBusy >= 0.8;
  const why = workerBound && machineBound
    ? "a worker is saturated and so are the machine's cores; another worker helps where there are cores to spare, not here."
    : workerBound
      ? 'the worker is the bottleneck, and another worker has cores left to use.'
      : machineBound
        ? "the machine's cores are the bottleneck (every process shares them), so more workers cannot add throughput here."
        : "neither a worker nor the machine is saturated; the limit is elsewhere (the dev server, or the conversations' own pace).";
  const shared = r.cpu.others >= 0.25 ? ` Other processes on the machine took ${r.cpu.others.toFixed(2)} cores: a shared machine's figures, not the product's alone.` : '';
  return `${figures}: ${why}${shared}`;
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
