import { generateKeyPairSync, randomBytes, randomUUID, createSign } from 'node:crypto';
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createApiMetrics } from '../api/metrics.js';
import { createWebhookApp } from '../api/webhook-app.js';
import { createDataConverter } from '../codec/data-converter.js';
import { toConversationEvent, WebhookPayloadSchema } from '../freshchat/webhook-events.js';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { createLogger } from '../lib/logger.js';
import { startDevServer } from '../scripts/dev-server.js';
import { conversationWorkflowId, conversationWorkflowType, freshchatEventSignal, type ConversationEvent, type ConversationWorkflowInput } from '../workflows/messages.js';
import { searchAttributes } from '../workflows/search-attributes.js';

/**
 * `npm run bench`: the webhook API's throughput and latency, as a ratio to a baseline measured
 * in the same process against the same Temporal server in the same run.
 *
 * - baseline: bare `client.workflow.signalWithStart` calls, exactly what the API hands to
 *   Temporal (same workflow type, task queue, input, signal, search attributes, data
 *   converter), into fresh workflow ids, no worker.
 * - product: signed customer `message_create` webhooks POSTed over loopback HTTP to the real
 *   API (createWebhookApp: signature check, JSON and schema parse, signal-with-start, JSON logs
 *   to a discarding sink), each into a fresh conversation.
 * - API alone: the same webhooks against the same API with Temporal stubbed out
 *   (signal-with-start resolves at once): the API's own cost per request and its ceiling.
 *
 * Each case runs BENCH_REQUESTS (default 300) requests at concurrency 1, 8 and 32. Baseline and
 * product alternate in slices of 50 (B P, P B, B P, ...), so drift over the run (the SQLite
 * file growing, JIT warm-up, other processes on the machine) hits both alike; "API alone"
 * runs last. RSS +MB is the
 * peak growth of this process's resident memory during a case. The dev server is its own, with a SQLite
 * file in a temp dir (like `npm start`), on BENCH_TEMPORAL_PORT (default 17233, UI +1000), unless
 * TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) name another server, e.g. `npm run temporal-postgres`.
 */

const requestsPerCase = Number(process.env.BENCH_REQUESTS ?? 300);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const temporalPort = Number(process.env.BENCH_TEMPORAL_PORT ?? 17233);
const warmupRequests = 20;
/** Cases alternate in slices of this many requests (B P, P B, B P, ...) so background noise and drift hit both alike. */
const sliceSize = 50;
const taskQueue = 'bench-webhook-throughput';

interface Sample {
  latenciesMs: number[];
  elapsedMs: number;
  errors: number;
  rssStartBytes: number;
  rssPeakBytes: number;
}

type CaseName = 'baseline' | 'product' | 'api-only';

interface CaseResult {
  name: CaseName;
  concurrency: number;
  requests: number;
  errors: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  rssGrowthMb: number;
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'fc-bench-'));
  // TEMPORAL_ADDRESS: another server (e.g. `npm run temporal-postgres`), its namespace already set up with the search attributes.
  const devServer = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', stop: async () => undefined }
    : (log(`Starting a Temporal dev server on 127.0.0.1:${temporalPort} (SQLite in ${dataDir}) …`),
      await startDevServer({ dataDir, port: temporalPort, uiPort: temporalPort + 1000, log }));
  let connection: Connection | undefined;
  let http: Server | undefined;
  let stubHttp: Server | undefined;
  try {
    connection = await Connection.connect({ address: devServer.address });
    const encryptionKey = { id: 'bench', key: randomBytes(32) };
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter: createDataConverter([encryptionKey]) });

    // Freshchat's side: an RSA key pair, the public key as the admin page shows it.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKeyOneLine = `-----BEGIN RSA PUBLIC KEY----- ${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')} -----END RSA PUBLIC KEY-----`;
    const app = createWebhookApp({
      client,
      taskQueue,
      webhookKey: parseWebhookPublicKey(publicKeyOneLine),
      maxBodyBytes: 256 * 1024,
      logger: createLogger('api', { write: () => undefined }),
      metrics: createApiMetrics(),
    });
    http = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (http.address() as AddressInfo).port;

    // The same API with Temporal stubbed out (signal-with-start resolves at once): the API's own
    // cost — HTTP, signature, parsing, logging — and its ceiling on this machine.
    const stubClient = {
      withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
      withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
      workflow: { signalWithStart: async () => ({}) },
    };
    const stubApp = createWebhookApp({
      client: stubClient as unknown as Client,
      taskQueue,
      webhookKey: parseWebhookPublicKey(publicKeyOneLine),
      maxBodyBytes: 256 * 1024,
      logger: createLogger('api', { write: () => undefined }),
      metrics: createApiMetrics(),
    });
    stubHttp = await new Promise<Server>((resolve) => {
      const s = stubApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    const stubPort = (stubHttp.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...concurrencies) });

    const runId = randomUUID().slice(0, 8);
    const makeWebhook = (label: string, i: number) => {
      const body = Buffer.from(JSON.stringify(customerMessage(`bench-${runId}-${label}-${i}`)));
      return { body, signature: createSign('RSA-SHA256').update(body).sign(privateKey, 'base64') };
    };
    const makeEvent = (label: string, i: number) => {
      const routed = toConversationEvent(WebhookPayloadSchema.parse(customerMessage(`bench-${runId}-${label}-${i}`)));
      if ('ignored' in routed) throw new Error(`the benchmark payload is ignored: ${routed.ignored}`);
      return routed;
    };

    const baseline = (events: Array<{ conversationId: string; event: ConversationEvent }>) => async (i: number) => {
      const { conversationId, event } = events[i]!;
      await client.workflow.signalWithStart(conversationWorkflowType, {
        workflowId: conversationWorkflowId(conversationId),
        taskQueue,
        args: [{ conversationId } satisfies ConversationWorkflowInput],
        signal: freshchatEventSignal,
        signalArgs: [event],
        typedSearchAttributes: [
          { key: searchAttributes.conversationId, value: conversationId },
          { key: searchAttributes.state, value: 'waiting' },
          { key: searchAttributes.session, value: 1 },
        ],
      });
    };
    const product = (webhooks: Array<{ body: Buffer; signature: string }>, toPort = port) => async (i: number) => {
      const { body, signature } = webhooks[i]!;
      const status = await post(agent, toPort, body, signature);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    };

    // Warm up both paths (connections, JIT) before measuring.
    await measure(warmupRequests, 4, baseline(range(warmupRequests).map((i) => makeEvent('warm-b', i))));
    await measure(warmupRequests, 4, product(range(warmupRequests).map((i) => makeWebhook('warm-p', i))));

    log(`Measuring ${requestsPerCase} requests per case at concurrency ${concurrencies.join(', ')} on ${cpus().length} CPUs …`);
    const results: CaseResult[] = [];
    for (const concurrency of concurrencies) {
      const slices = Math.max(2, Math.ceil(requestsPerCase / sliceSize));
      const perSlice = Math.ceil(requestsPerCase / slices);
      // Inputs are built (and webhooks signed, as Freshchat would) before the clock starts.
      const order = range(slices).flatMap((k): Array<'baseline' | 'product'> => (k % 2 === 0 ? ['baseline', 'product'] : ['product', 'baseline']));
      const samples: Record<'baseline' | 'product', Sample[]> = { baseline: [], product: [] };
      for (const [round, name] of order.entries()) {
        const label = `c${concurrency}-${name}-${round}`;
        const call = name === 'baseline' ? baseline(range(perSlice).map((i) => makeEvent(label, i))) : product(range(perSlice).map((i) => makeWebhook(label, i)));
        samples[name].push(await measure(perSlice, concurrency, call));
      }
      for (const name of ['baseline', 'product'] as const) results.push(summarize(name, concurrency, samples[name]));
    }
    for (const concurrency of concurrencies) {
      const label = `c${concurrency}-api-only`;
      results.push(summarize('api-only', concurrency, [await measure(requestsPerCase, concurrency, product(range(requestsPerCase).map((i) => makeWebhook(label, i)), stubPort))]));
    }
    agent.destroy();
    process.stdout.write(`Temporal at ${devServer.address}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n${formatTable(results)}\n`);
  } finally {
    if (http) await new Promise((resolve) => http!.close(resolve));
    if (stubHttp) await new Promise((resolve) => stubHttp!.close(resolve));
    await connection?.close();
    await devServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function customerMessage(conversationId: string) {
  const now = new Date().toISOString();
  const userId = randomUUID();
  return {
    actor: { actor_type: 'user', actor_id: userId },
    action: 'message_create',
    action_time: now,
    data: {
      message: {
        message_parts: [{ text: { content: 'Hello! How long does shipping to Germany take, and can I still change my address?' } }],
        app_id: 'c6ec783e-4c89-490a-bbbc-32c97e2a8c3d',
        actor_id: userId,
        id: randomUUID(),
        channel_id: '304d0a73-5135-4be6-9df3-7a4aa2a0d855',
        conversation_id: conversationId,
        interaction_id: `${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
        actor_type: 'user',
        created_time: now,
        user_id: userId,
        restrictResponse: false,
        botsPrivateNote: false,
      },
    },
  };
}

function post(agent: Agent, port: number, body: Buffer, signature: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhooks/freshchat',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-freshchat-signature': signature },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Runs `count` calls with at most `concurrency` in flight; latency per call, errors counted. */
async function measure(count: number, concurrency: number, call: (i: number) => Promise<void>): Promise<Sample> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let next = 0;
  const rssStartBytes = process.memoryUsage.rss();
  let rssPeakBytes = rssStartBytes;
  const sampler = setInterval(() => (rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage.rss())), 25);
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        await call(i);
        latenciesMs.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        if (errors <= 3) process.stderr.write(`request failed: ${(error as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const elapsedMs = performance.now() - started;
  clearInterval(sampler);
  rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage.rss());
  return { latenciesMs, elapsedMs, errors, rssStartBytes, rssPeakBytes };
}

function summarize(name: CaseName, concurrency: number, samples: Sample[]): CaseResult {
  const latencies = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const elapsedMs = samples.reduce((sum, s) => sum + s.elapsedMs, 0);
  const ok = latencies.length;
  return {
    name,
    concurrency,
    requests: ok + samples.reduce((sum, s) => sum + s.errors, 0),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    ratePerSecond: ok / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    rssGrowthMb: Math.max(...samples.map((s) => s.rssPeakBytes - s.rssStartBytes)) / 2 ** 20,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const caseLabels: Record<CaseName, string> = {
  baseline: 'baseline: signalWithStart',
  product: 'product: signed webhook',
  'api-only': 'API alone (Temporal stubbed)',
};

export function formatTable(results: CaseResult[]): string {
  const header = ['case', 'conc', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'RSS +MB'];
  const rows = results.map((r) => [
    caseLabels[r.name],
    String(r.concurrency),
    String(r.requests),
    String(r.errors),
    r.ratePerSecond.toFixed(1),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.rssGrowthMb.toFixed(1),
  ]);
  const ratios = [...new Set(results.map((r) => r.concurrency))].map((c) => {
    const b = results.find((r) => r.name === 'baseline' && r.concurrency === c)!;
    const p = results.find((r) => r.name === 'product' && r.concurrency === c)!;
    return ['ratio product/baseline', String(c), '', '', (p.ratePerSecond / b.ratePerSecond).toFixed(2), (p.p50Ms / b.p50Ms).toFixed(2), (p.p99Ms / b.p99Ms).toFixed(2), ''];
  });
  const all = [header, ...rows, ...ratios];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, ...ratios.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main()
    .then(() => process.exit(0))
    .catch((error) => {
      process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
}
