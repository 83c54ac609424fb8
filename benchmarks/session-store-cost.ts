import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createAiProvider } from '../ai/create-provider.js';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createApiMetrics } from '../api/metrics.js';
import { createWebhookApp } from '../api/webhook-app.js';
import { createDataConverter } from '../codec/data-converter.js';
import { parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { createLogger } from '../lib/logger.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { startDevServer } from '../scripts/dev-server.js';
import { defaultSettingsPath, loadAssistantSettings } from '../settings/assistant-settings.js';
import { Store } from '../store/store.js';
import { createConversationWorker, workflowsPath } from '../worker/create-worker.js';
import { conversationWorkflowId } from '../workflows/messages.js';

/**
 * `npm run bench:store`: what the session store adds to a conversation, as ratios against the
 * same conversation with the store off, in the same process, on the same Temporal server, in
 * the same run.
 *
 * - store on: the product's worker, writing every session to a SQLite file.
 * - store off: the same worker and workflow, bundled with a SessionRecorder that records
 *   nothing (benchmarks/no-session-records.ts replaces workflows/session-recorder.ts in the
 *   bundle), so no record activity is ever scheduled.
 *
 * Each variant has its own sandbox, webhook API and task queue. Conversations alternate
 * between the variants (off, on, off, on, ...), one at a time; each has BENCH_TURNS customer
 * turns (default 20), each waiting for the AI's reply (the `faq` provider, quiet window 0).
 * Latency is from the customer's message to the AI's reply visible in the sandbox; history
 * events per turn are read from each workflow's history at the end.
 */

const turns = Number(process.env.BENCH_TURNS ?? 20);
const conversationsPerVariant = Number(process.env.BENCH_CONVERSATIONS ?? 5);
const temporalPort = Number(process.env.BENCH_TEMPORAL_PORT ?? 17433);
const questions = ['How long does shipping take?', 'How do I reset my password?', 'How can I track my order?', 'Which payment methods do you accept?'];
const sandboxToken = 'bench-sandbox-token-0123456789';
const aiAgentEmail = 'ai-agent@sandbox.test';
const quiet = { write: () => undefined };

type VariantName = 'store off' | 'store on';

interface Variant {
  name: VariantName;
  sandbox: Sandbox;
  worker: Worker;
  running: Promise<void>;
  latenciesMs: number[];
  eventsPerTurn: number[];
  recordWrites: number;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const devServer = await startDevServer({ dataDir, port: temporalPort, uiPort: temporalPort + 1000, log: () => undefined });
  const connection = await Connection.connect({ address: devServer.address });
  const nativeConnection = await NativeConnection.connect({ address: devServer.address });
  const dataConverter = createDataConverter(null);
  const client = new Client({ connection, namespace: devServer.namespace, dataConverter });
  const store = new Store({ sqlitePath: join(dataDir, 'sessions.sqlite') });
  await store.ready();

  const settings = loadAssistantSettings(defaultSettingsPath);
  const benchSettings = {
    ...settings,
    conversation: { ...settings.conversation, quietWindowSeconds: 0, inactivitySeconds: 3600, nudge: false },
    handoff: { ...settings.handoff, maxAiRepliesPerSession: 10_000 },
    officeHours: undefined,
  };
  const settingsPath = join(dataDir, 'settings.yaml');
  writeFileSync(settingsPath, stringify(benchSettings));
  const runSettings = loadAssistantSettings(settingsPath);

  const withoutRecords = fileURLToPath(new URL('./no-session-records.js', import.meta.url));
  const recorderModule = fileURLToPath(new URL('../workflows/session-recorder.js', import.meta.url));
  const bundles = {
    'store on': await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') }),
    'store off': await bundleWorkflowCode({
      workflowsPath,
      logger: new DefaultLogger('ERROR'),
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), [recorderModule]: withoutRecords } } }),
    }),
  };

  async function startVariant(name: VariantName): Promise<Variant> {
    const taskQueue = `bench-store-${name.replace(' ', '-')}-${randomUUID().slice(0, 8)}`;
    const sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', quiet) });
    const app = createWebhookApp({
      client,
      taskQueue,
      webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine),
      maxBodyBytes: 1024 * 1024,
      metrics: createApiMetrics(),
      logger: createLogger('api', quiet),
    });
    const http = await listen(app, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
    sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);
    const worker = await createConversationWorker({
      connection: nativeConnection,
      namespace: devServer.namespace,
      taskQueue,
      dataConverter,
      freshchat: { apiUrl: sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail },
      routingMode: 'auto',
      provider: createAiProvider({ provider: 'faq' }, runSettings),
      settings: runSettings,
      uiUrl: devServer.uiUrl,
      contactIdSecret: 'bench-contact-id-secret-0123456789abcdef',
      store,
      logger: createLogger('worker', quiet),
      workflowBundle: bundles[name],
    });
    const running = worker.run();
    return {
      name,
      sandbox,
      worker,
      running,
      latenciesMs: [],
      eventsPerTurn: [],
      recordWrites: 0,
      close: async () => {
        worker.shutdown();
        await running;
        await new Promise((r) => http.close(r));
        await sandbox.close();
      },
    };
  }

  const variants = [await startVariant('store off'), await startVariant('store on')];
  try {
    // One warm-up conversation per variant (bundles loaded, JIT, SQLite file created), not counted.
    for (const v of variants) await runConversation(v, 3, false);
    for (let i = 0; i < conversationsPerVariant; i++) {
      for (const v of i % 2 === 0 ? variants : [...variants].reverse()) await runConversation(v, turns, true);
    }
  } finally {
    for (const v of variants) await v.close();
  }
  print(variants);
  await store.close();
  await nativeConnection.close();
  await connection.close();
  await devServer.stop();
  rmSync(dataDir, { recursive: true, force: true });

  async function runConversation(v: Variant, turnCount: number, measured: boolean): Promise<void> {
    const user = await sandboxCall<{ id: string }>(v.sandbox, 'POST', '/sandbox/users', { first_name: 'Bench' });
    let started = performance.now();
    const { conversation_id: conversationId } = await sandboxCall<{ conversation_id: string }>(v.sandbox, 'POST', '/sandbox/conversations', { user_id: user.id, text: questions[0] });
    for (let turn = 1; turn <= turnCount; turn++) {
      await untilAiReplies(v.sandbox, conversationId, turn);
      if (measured) v.latenciesMs.push(performance.now() - started);
      if (turn === turnCount) break;
      started = performance.now();
      await sandboxCall(v.sandbox, 'POST', `/sandbox/conversations/${conversationId}/customer-messages`, { text: questions[turn % questions.length] });
    }
    if (!measured) return;
    // Let the last record (on) settle before reading the history, so both variants are read complete.
    await new Promise((r) => setTimeout(r, 300));
    const history = await client.workflow.getHandle(conversationWorkflowId(conversationId)).fetchHistory();
    const events = history.events ?? [];
    v.eventsPerTurn.push(events.length / turnCount);
    v.recordWrites += events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordSession').length;
  }
}

async function untilAiReplies(sandbox: Sandbox, conversationId: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const view = await sandboxCall<{ messages: Array<{ actor_id?: string; message_type?: string }> }>(sandbox, 'GET', `/sandbox/conversations/${conversationId}`);
    const replies = view.messages.filter((m) => m.actor_id === sandbox.aiAgentId && (m.message_type ?? 'normal') === 'normal').length;
    if (replies >= count) return;
    if (Date.now() > deadline) throw new Error(`no AI reply ${count} in ${conversationId} within 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function sandboxCall<T>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sandbox.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function print(variants: Variant[]): void {
  const [off, on] = variants as [Variant, Variant];
  const rows = variants.map((v) => ({
    name: v.name,
    turns: v.latenciesMs.length,
    p50: percentile(v.latenciesMs, 50),
    p95: percentile(v.latenciesMs, 95),
    events: mean(v.eventsPerTurn),
    writes: v.recordWrites / v.latenciesMs.length,
  }));
  process.stdout.write(`session store cost: ${conversationsPerVariant} conversations × ${turns} turns per variant, faq provider, quiet window 0 (Node ${process.version}, ${cpus().length} cores)\n`);
  process.stdout.write(`${'variant'.padEnd(10)} ${'turns'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'events/turn'.padStart(12)} ${'writes/turn'.padStart(12)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(10)} ${String(r.turns).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.events.toFixed(2).padStart(12)} ${r.writes.toFixed(2).padStart(12)}\n`);
  }
  const [offRow, onRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
  process.stdout.write(
    `ratio on/off: p50 ${(onRow.p50 / offRow.p50).toFixed(2)}×, p95 ${(onRow.p95 / offRow.p95).toFixed(2)}×, history events per turn ${(onRow.events / offRow.events).toFixed(2)}× (+${(onRow.events - offRow.events).toFixed(2)} events per turn)\n`,
  );
  void off;
  void on;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
