import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDataConverter } from '../codec/data-converter.js';
import { freePort } from '../lib/free-port.js';
import { SandboxControl } from '../sandbox/control-client.js';
import { startDevServer } from '../scripts/dev-server.js';
import { defaultSettingsPath, loadAssistantSettings } from '../settings/assistant-settings.js';
import { Store } from '../store/store.js';
import { parseSamples, sampleSum } from '../lib/prometheus-samples.js';
import { quietBundlerLogger, workflowsPath } from '../worker/create-worker.js';
import { percentile, startProductStack, untilAiReplies, type ProductStack } from './bench-kit.js';

/**
 * `npm run bench:open` (issue 16 d): many open conversations on one worker. What a worker's
 * memory grows by per open conversation, what its sticky cache does when the conversations
 * outnumber it, and whether a customer who writes into a conversation that has been idle (its
 * workflow evicted from the cache, so the next workflow task replays its history) waits much
 * longer than one in a conversation that was just answered (target: idle p50 ≤ 1.5 × hot p50).
 *
 * In this process: a Temporal dev server of its own (SQLite in a temp dir, free ports) and the
 * product stack of bench-kit.ts (the Freshchat sandbox, the real webhook API, ONE real worker).
 * The worker runs in this process, so its RSS is `process.memoryUsage().rss`: that figure also
 * holds the sandbox (every conversation and webhook delivery in memory), the webhook API and
 * this driver, so it is an upper bound of the worker's own. Beside it: the main thread's V8 heap
 * (all of that and the activities; the workflows run in a thread of their own, which is most of
 * the RSS) and the peak RSS, sampled every second (V8 collects the workflow thread's garbage in
 * big steps, so one reading can be hundreds of MB off the next). The sticky-cache figures are the
 * SDK's own metrics (temporal_sticky_cache_*), scraped from its Prometheus exporter.
 *
 * The AI is a stub that answers in BENCH_AI_MS with the faq provider's decision; the quiet
 * window is 0, the nudge is off and the inactivity timeout is a day, so every conversation
 * stays open (its workflow running, waiting for the customer) for the whole run.
 *
 * 1. Opening: BENCH_OPEN conversations, BENCH_CONCURRENCY at a time, each a customer message and
 *    the AI's reply; RSS and cache figures at 0, ¼, ½, ¾ and all of them open.
 * 2. Latency: BENCH_SAMPLES follow-ups into hot conversations (the last answered: cached) and as
 *    many into idle ones (the first answered: evicted once more than the cache's size are open),
 *    alternating hot and idle, one at a time; from the customer's message posted in the sandbox
 *    to the AI's reply visible there (polled every 5 ms, at most 30 s). Each sample says whether
 *    it was a cache miss (the miss counter moved), so the table shows idle really was idle.
 *
 * Environment: BENCH_OPEN (10000), BENCH_SAMPLES (40), BENCH_AI_MS (500), BENCH_CONCURRENCY (50),
 * BENCH_CACHE (the worker's maxCachedWorkflows, at least twice BENCH_CONCURRENCY; default the
 * product's, sized from the heap limit: 986 with a 4 GB heap limit). A short run needs BENCH_CACHE
 * below BENCH_OPEN minus BENCH_SAMPLES for its idle conversations to be evicted, e.g.
 * `BENCH_OPEN=600 BENCH_SAMPLES=10 BENCH_CACHE=200`.
 */

const openCount = wholeNumber('BENCH_OPEN', 10_000, 1);
const samples = wholeNumber('BENCH_SAMPLES', 40, 1);
const aiMs = wholeNumber('BENCH_AI_MS', 500, 0);
const concurrency = wholeNumber('BENCH_CONCURRENCY', 50, 1);
const cacheSize = process.env.BENCH_CACHE ? wholeNumber('BENCH_CACHE', 0, 2) : undefined;
const target = 1.5;
const firstQuestion = 'How long does shipping take?';
const followUp = 'How much does shipping cost?';
/** Opening polls less often than the latency samples: 50 conversations polling every 5 ms would load the machine being measured. */
const openPollMs = 250;
/** A bound, not a measurement: with BENCH_CONCURRENCY in flight a first reply takes about BENCH_CONCURRENCY ÷ the worker's rate. */
const openTimeoutMs = 300_000;
const progressEvery = Math.min(1000, Math.max(1, Math.round(openCount / 10)));
const sampleTimeoutMs = 30_000;
const MiB = 1024 * 1024;

interface Checkpoint {
  open: number;
  elapsedMs: number;
  rss: number;
  /** The highest RSS of the run so far (sampled every second): V8 collects the workflow thread's garbage in big steps. */
  peakRss: number;
  /** The main thread's V8 heap (the activities, the sandbox, the API, this driver); the workflows run in a thread of their own. */
  mainHeapUsed: number;
  cache: CacheFigures;
}

interface CacheFigures {
  size: number;
  hits: number;
  misses: number;
  evictions: number;
}

interface Sample {
  ms: number;
  missed: boolean;
}

function wholeNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min} (got ${raw})`);
  return value;
}

async function main(): Promise<void> {
  if (2 * samples > openCount) throw new Error(`BENCH_SAMPLES (${samples}) hot and as many idle conversations need BENCH_OPEN ≥ ${2 * samples}`);
  // Smaller, and the conversations in flight are evicted between their own activities: the opening would measure thrashing.
  if (cacheSize !== undefined && cacheSize < 2 * concurrency) throw new Error(`BENCH_CACHE (${cacheSize}) must be at least twice BENCH_CONCURRENCY (${concurrency})`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  // Once per process, before any connection: the SDK's errors only, and its metrics on a loopback port.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-open-'));
  const settings = loadAssistantSettings(defaultSettingsPath, {
    conversation: { quietWindowSeconds: 0, nudge: false, inactivitySeconds: 86_400 },
    handoff: { maxAiRepliesPerSession: 1000 },
  });
  const [port, uiPort] = [await freePort(), await freePort()];
  const stops: Array<() => Promise<unknown>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  try {
    log(`Starting a Temporal dev server on 127.0.0.1:${port} (SQLite in ${dataDir}) …`);
    const devServer = await startDevServer({ dataDir, port, uiPort, log: () => undefined });
    stops.push(() => devServer.stop());
    const connection = await Connection.connect({ address: devServer.address });
    stops.push(() => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: devServer.address });
    stops.push(() => nativeConnection.close());
    const dataConverter = createDataConverter([{ id: 'bench', key: Buffer.alloc(32, 3) }]);
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter });
    const store = new Store({ sqlitePath: join(dataDir, 'store.sqlite') });
    stops.push(() => store.close());
    await store.ready();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    const stack = await startProductStack({ client, connection: nativeConnection, namespace: devServer.namespace, dataConverter, settings, store, workflowBundle, aiMs, maxCachedWorkflows: cacheSize });
    stops.push(() => stack.close());
    const cacheFigures = () => scrapeCache(metricsAddress);

    const cacheCapacity = stack.worker.options.maxCachedWorkflows;
    log(`Opening ${openCount} conversations, ${concurrency} at a time (AI ${aiMs} ms; sticky cache ${cacheCapacity} workflows) …`);
    const opened = await openConversations(stack, cacheFigures, log);
    await settle(cacheFigures);
    log(`Latency: ${samples} follow-ups into hot and ${samples} into idle conversations, alternating …`);
    const { hot, idle } = await measureLatency(stack, opened.answered, cacheFigures);
    report({ checkpoints: opened.checkpoints, afterSamples: await cacheFigures(), cacheCapacity, hot, idle, address: devServer.address });
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => log(`clean-up: ${error.message}`));
  }
}

/** The conversations, in the order the AI answered them, and the figures at each checkpoint. */
async function openConversations(stack: ProductStack, cacheFigures: () => Promise<CacheFigures>, log: (line: string) => void) {
  const control = new SandboxControl(stack.sandbox.baseUrl);
  const marks = new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * openCount)));
  const checkpoints: Checkpoint[] = [];
  const answered: string[] = [];
  const started = performance.now();
  let peakRss = 0;
  const rss = () => {
    const now = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, now);
    return now;
  };
  const sampler = setInterval(rss, 1000);
  const checkpoint = async () => {
    const { heapUsed } = process.memoryUsage();
    checkpoints.push({ open: answered.length, elapsedMs: performance.now() - started, rss: rss(), peakRss, mainHeapUsed: heapUsed, cache: await cacheFigures() });
  };
  await checkpoint();
  let next = 0;
  let failed = false;
  const openOne = async (index: number) => {
    const conversationId = await control.createConversation(await control.createCustomer(`open-${index}@example.com`, 'Bench'));
    const posted = performance.now();
    await control.customerSays(conversationId, firstQuestion);
    await untilAiReplies(control, stack.sandbox.aiAgentId, conversationId, 1, { started: posted, pollMs: openPollMs, timeoutMs: openTimeoutMs, what: 'opening' });
    answered.push(conversationId);
    if (marks.has(answered.length)) await checkpoint();
    if (answered.length % progressEvery === 0 && answered.length < openCount) {
      const seconds = (performance.now() - started) / 1000;
      log(`  ${answered.length}/${openCount} open, ${seconds.toFixed(0)} s, ${(answered.length / seconds).toFixed(1)}/s, RSS ${(rss() / MiB).toFixed(0)} MB`);
    }
  };
  // A bounded pool: each runner takes the next conversation until all are open, or one fails.
  await Promise.all(
    Array.from({ length: Math.min(concurrency, openCount) }, async () => {
      while (!failed && next < openCount) {
        await openOne(next++).catch((error: unknown) => {
          failed = true;
          throw error;
        });
      }
    }),
  ).finally(() => clearInterval(sampler));
  log(`  ${openCount} open in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { checkpoints, answered };
}

/** Waits (at most 30 s) until the worker is quiet: the cache counters still for 1.5 s, the last turns' trailing tasks done. */
async function settle(cacheFigures: () => Promise<CacheFigures>): Promise<void> {
  const deadline = performance.now() + 30_000;
  let last = '';
  let still = 0;
  while (still < 3 && performance.now() < deadline) {
    const now = JSON.stringify(await cacheFigures());
    still = now === last ? still + 1 : 0;
    last = now;
    await sleep(500);
  }
}

async function measureLatency(stack: ProductStack, answered: string[], cacheFigures: () => Promise<CacheFigures>) {
  const control = new SandboxControl(stack.sandbox.baseUrl);
  const hotIds = answered.slice(-samples).reverse();
  const idleIds = answered.slice(0, samples);
  const hot: Sample[] = [];
  const idle: Sample[] = [];
  const sample = async (conversationId: string, into: Sample[]) => {
    const before = (await cacheFigures()).misses;
    const started = performance.now();
    await control.customerSays(conversationId, followUp);
    await untilAiReplies(control, stack.sandbox.aiAgentId, conversationId, 2, { started, pollMs: 5, timeoutMs: sampleTimeoutMs, what: 'follow-up' });
    const ms = performance.now() - started;
    into.push({ ms, missed: (await cacheFigures()).misses > before });
  };
  for (let i = 0; i < samples; i++) {
    // H I, I H, ...: neither kind always goes first.
    if (i % 2 === 0) {
      await sample(hotIds[i]!, hot);
      await sample(idleIds[i]!, idle);
    } else {
      await sample(idleIds[i]!, idle);
      await sample(hotIds[i]!, hot);
    }
  }
  return { hot, idle };
}

/** The SDK's sticky-cache metrics (summed over their label sets). */
async function scrapeCache(address: string): Promise<CacheFigures> {
  const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`metrics: ${res.status}`);
  const all = parseSamples(await res.text());
  return {
    size: sampleSum(all, 'temporal_sticky_cache_size'),
    hits: sampleSum(all, 'temporal_sticky_cache_hit'),
    misses: sampleSum(all, 'temporal_sticky_cache_miss'),
    evictions: sampleSum(all, 'temporal_sticky_cache_total_forced_eviction'),
  };
}

function report(r: { checkpoints: Checkpoint[]; afterSamples: CacheFigures; cacheCapacity: number; hot: Sample[]; idle: Sample[]; address: string }): void {
  const mb = (bytes: number) => (bytes / MiB).toFixed(0);
  const times = (list: Sample[]) => list.map((s) => s.ms);
  const hotP50 = percentile(times(r.hot), 50);
  const idleP50 = percentile(times(r.idle), 50);
  const ratio = idleP50 / hotP50;
  const last = r.checkpoints.at(-1)!;
  const idleMisses = r.idle.filter((s) => s.missed).length;
  const hotMisses = r.hot.filter((s) => s.missed).length;
  const cacheRow = (what: string, c: CacheFigures) => `| ${what} | ${c.size} | ${c.hits} | ${c.misses} | ${c.evictions} |`;
  const latencyRow = (what: string, list: Sample[], misses: number) =>
    `| ${what} | ${list.length} | ${misses} | ${percentile(times(list), 50).toFixed(0)} | ${percentile(times(list), 95).toFixed(0)} |`;
  const lines = [
    `open conversations on one worker: ${openCount} opened ${concurrency} at a time, AI stub ${aiMs} ms, quiet window 0, sticky cache ${r.cacheCapacity}${cacheSize === undefined ? ' (the default)' : ' (BENCH_CACHE)'}, Temporal dev server at ${r.address}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Opened in ${(last.elapsedMs / 1000).toFixed(0)} s (${(openCount / (last.elapsedMs / 1000)).toFixed(1)} conversations/s). RSS is this process's: the worker, and also the sandbox, the webhook API and the driver (all in the main thread's heap).`,
    '',
    '| open conversations | elapsed s | RSS MB | RSS growth per 1,000 since the previous row, MB | peak RSS so far MB | main-thread heap used MB |',
    '|---|---|---|---|---|---|',
    ...r.checkpoints.sort((a, b) => a.open - b.open).map((c, i) => {
      const previous = r.checkpoints[i - 1];
      const growth = previous && c.open > previous.open ? (((c.rss - previous.rss) / (c.open - previous.open)) * 1000) / MiB : undefined;
      return `| ${c.open} | ${(c.elapsedMs / 1000).toFixed(0)} | ${mb(c.rss)} | ${growth === undefined ? '–' : growth.toFixed(1)} | ${mb(c.peakRss)} | ${mb(c.mainHeapUsed)} |`;
    }),
    '',
    '| sticky cache, at | cached workflows | hits | misses | forced evictions |',
    '|---|---|---|---|---|',
    ...r.checkpoints.map((c) => cacheRow(`${c.open} open`, c.cache)),
    cacheRow('after the latency samples', r.afterSamples),
    '',
    '| follow-up into | samples | cache misses | p50 ms | p95 ms |',
    '|---|---|---|---|---|',
    latencyRow('hot conversation (just answered)', r.hot, hotMisses),
    latencyRow('idle conversation (answered first)', r.idle, idleMisses),
    '',
    `idle p50 / hot p50: **${ratio.toFixed(2)}×** (target ≤ ${target}×): **${ratio <= target ? 'PASS' : 'FAIL'}**`,
  ];
  if (idleMisses < r.idle.length) {
    lines.push('', `Note: ${r.idle.length - idleMisses} of ${r.idle.length} idle conversations were still in the sticky cache; for a meaningful figure open more conversations than the cache holds (BENCH_OPEN, BENCH_CACHE).`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
