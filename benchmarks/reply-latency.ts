import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { retrievalTextOf } from '../ai/faq-provider.js';
import { decisionOf, type AiTurnInput } from '../ai/provider.js';
import { listen, urlOf, webhookListenerTimeouts } from '../api/listen.js';
import { createDataConverter } from '../codec/data-converter.js';
import { FreshchatClient } from '../freshchat/client.js';
import { toConversationEvent, WebhookPayloadSchema } from '../freshchat/webhook-events.js';
import { isValidWebhookSignature, parseWebhookPublicKey } from '../freshchat/webhook-signature.js';
import { KnowledgeIndex } from '../knowledge/knowledge-index.js';
import { chunkArticle } from '../knowledge/sections.js';
import { createKnowledgeSources } from '../knowledge/sources/index.js';
import { createLogger } from '../lib/logger.js';
import { SandboxControl } from '../sandbox/control-client.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { startDevServer } from '../scripts/dev-server.js';
import { defaultSettingsPath, loadAssistantSettings, type AssistantSettings } from '../settings/assistant-settings.js';
import { knowledgeSourcesOf } from '../settings/schema.js';
import { Store } from '../store/store.js';
import { conversationWorkflowId } from '../workflows/messages.js';
import { quietBundlerLogger, workflowsPath } from '../worker/create-worker.js';
import { benchAiAgentEmail, benchSandboxToken, discard, percentile, slowAi, startProductStack, untilAiReplies } from './bench-kit.js';

/**
 * `npm run bench:latency` (issue 16 b): how long a customer waits for the AI's reply, the
 * product against a baseline, as ratios, in the same process, on the same machine, in the
 * same run. The AI is a stub that answers in 500 ms (BENCH_AI_MS) with the faq provider's
 * decision; the quiet window is 0.
 *
 * - baseline: an inline, stateless webhook handler with no Temporal that makes the same
 *   Freshchat and AI calls as the product's first turn: verify the signature and parse, read
 *   the conversation, assign it to the AI agent, read the transcript, ask the AI, post the reply.
 * - product: the real webhook API, workflow and activities on a Temporal dev server (SQLite
 *   file, like `npm start`), or on TEMPORAL_ADDRESS when set (e.g. `npm run temporal-postgres`).
 *
 * Each has its own sandbox. Conversations alternate between the two (B P, P B, ...); each has a
 * first message (a new conversation: the whole claim path) and BENCH_TURNS - 1 follow-ups.
 * Latency: from the customer's message posted in the sandbox to the AI's reply visible there
 * (both polled the same way, every 5 ms).
 */

const conversationsPerVariant = Number(process.env.BENCH_CONVERSATIONS ?? 30);
const turnsPerConversation = Number(process.env.BENCH_TURNS ?? 3);
const aiMs = Number(process.env.BENCH_AI_MS ?? 500);
/** How long the customer takes to write again after a reply (0: at once, the moment it is seen). */
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 0);
const temporalPort = Number(process.env.BENCH_TEMPORAL_PORT ?? 17533);
const questions = ['How long does shipping take?', 'How much does shipping cost?', 'How do I reset my password?', 'How can I track my order?'];

type VariantName = 'baseline' | 'product';

interface Variant {
  name: VariantName;
  sandbox: Sandbox;
  first: number[];
  next: number[];
  /** Wall-clock times of each recorded turn (the message posted, the reply seen), for the breakdown from history. */
  turns: { conversationId: string; turn: number; sentAt: number; seenAt: number }[];
  close(): Promise<void>;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  const settings = loadAssistantSettings(defaultSettingsPath, { conversation: { quietWindowSeconds: 0, nudge: false }, handoff: { maxAiRepliesPerSession: 1000 } });
  let address = process.env.TEMPORAL_ADDRESS;
  let stopServer = async () => undefined as unknown;
  if (!address) {
    log(`Starting a Temporal dev server on 127.0.0.1:${temporalPort} (SQLite in ${dataDir}) …`);
    const devServer = await startDevServer({ dataDir, port: temporalPort, uiPort: temporalPort + 1000, log: () => undefined });
    address = devServer.address;
    stopServer = devServer.stop;
  }
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const dataConverter = createDataConverter([{ id: 'bench', key: Buffer.alloc(32, 3) }]);
  const client = new Client({ connection, namespace, dataConverter });
  const store = new Store({ sqlitePath: join(dataDir, 'store.sqlite') });
  await store.ready();
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });

  const variants: Variant[] = [await startBaseline(settings), await startProduct()];
  try {
    log(`Warming up, then ${conversationsPerVariant} conversations of ${turnsPerConversation} turns per variant, alternating (AI ${aiMs} ms) …`);
    for (const v of variants) await runConversation(v, false);
    for (let i = 0; i < conversationsPerVariant; i++) {
      for (const v of i % 2 === 0 ? variants : [...variants].reverse()) await runConversation(v, true);
    }
    report(variants, address);
    await reportWhereTheTimeGoes(client, variants[1]!);
  } finally {
    for (const v of variants) await v.close();
    await store.close();
    await nativeConnection.close();
    await connection.close();
    await stopServer();
    rmSync(dataDir, { recursive: true, force: true });
  }

  async function startProduct(): Promise<Variant> {
    const stack = await startProductStack({ client, connection: nativeConnection, namespace, dataConverter, settings, store, workflowBundle: bundle, aiMs });
    return { name: 'product', sandbox: stack.sandbox, first: [], next: [], turns: [], close: stack.close };
  }
}

/**
 * The same calls without Temporal: answered 200 at once, then the turn in the background.
 * The AI gets what the product's activity gives it: the transcript and the retrieved chunks.
 */
async function startBaseline(settings: AssistantSettings): Promise<Variant> {
  const sandbox = await startSandbox({ apiToken: benchSandboxToken, aiAgentEmail: benchAiAgentEmail, logger: createLogger('freshchat-sandbox', discard) });
  const freshchat = new FreshchatClient({ apiUrl: sandbox.apiUrl, apiToken: benchSandboxToken });
  const ai = slowAi(aiMs);
  const chunks = [];
  for (const source of createKnowledgeSources(knowledgeSourcesOf(settings).filter((s) => s.type === 'yaml' || s.type === 'files'), {}, 'en')) {
    for await (const article of source.articles(new AbortController().signal)) chunks.push(...chunkArticle(article, source.name));
  }
  const index = new KnowledgeIndex(chunks);
  const key = parseWebhookPublicKey(sandbox.publicKeyOneLine);
  const app = express();
  app.post('/webhooks/freshchat', express.raw({ type: () => true, limit: 1024 * 1024 }), (req, res) => {
    const raw = req.body as Buffer;
    if (!isValidWebhookSignature(raw, req.get('x-freshchat-signature'), key)) return void res.status(401).end();
    const parsed = WebhookPayloadSchema.safeParse(JSON.parse(raw.toString('utf8')));
    res.status(200).json({ accepted: true });
    if (!parsed.success) return;
    const routed = toConversationEvent(parsed.data);
    if ('ignored' in routed || routed.event.kind !== 'customer_message') return;
    void answer(routed.conversationId).catch((error: Error) => process.stderr.write(`baseline turn failed: ${error.message}\n`));
  });
  async function answer(conversationId: string): Promise<void> {
    const conversation = await freshchat.getConversation(conversationId);
    if (conversation.assigned_agent_id !== sandbox.aiAgentId) await freshchat.updateConversation(conversationId, { status: 'assigned', assigned_agent_id: sandbox.aiAgentId });
    const messages = await freshchat.listRecentMessages(conversationId, new Date(Date.now() - 3_600_000).toISOString(), 100);
    const transcript = messages
      .filter((m) => m.message_type !== 'private')
      .map((m) => ({ role: m.actor_type === 'user' ? ('customer' as const) : ('ai' as const), text: (m.message_parts ?? []).map((p) => p.text?.content ?? '').join('\n'), at: m.created_time }));
    const input: AiTurnInput = { transcript, earlierSummaries: [], language: 'en', knowledge: index.search(retrievalTextOf(transcript), settings.knowledge.topK) };
    const result = decisionOf(await ai.decide(input, new AbortController().signal));
    await freshchat.postMessage(conversationId, { agentId: sandbox.aiAgentId, text: result.decision.reply, messageType: 'normal' });
  }
  const http: Server = await listen(app, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
  sandbox.setWebhookUrl(`${urlOf(http)}/webhooks/freshchat`);
  return {
    name: 'baseline',
    sandbox,
    first: [],
    next: [],
    turns: [],
    close: async () => {
      await new Promise((r) => http.close(r));
      await sandbox.close();
    },
  };
}

async function runConversation(v: Variant, record: boolean): Promise<void> {
  const control = new SandboxControl(v.sandbox.baseUrl);
  const conversationId = await control.createConversation(await control.createCustomer(`bench-${randomUUID().slice(0, 8)}@example.com`, 'Bench'));
  for (let turn = 1; turn <= turnsPerConversation; turn++) {
    if (turn > 1 && thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs));
    const started = performance.now();
    const sentAt = Date.now();
    await control.customerSays(conversationId, questions[(turn - 1) % questions.length]!);
    await untilAiReplies(control, v.sandbox.aiAgentId, conversationId, turn, { started, pollMs: 5, timeoutMs: 30_000, what: v.name });
    if (!record) continue;
    (turn === 1 ? v.first : v.next).push(performance.now() - started);
    v.turns.push({ conversationId, turn, sentAt, seenAt: Date.now() });
  }
}

function report(variants: Variant[], address: string): void {
  const [baseline, product] = variants as [Variant, Variant];
  const row = (what: string, b: number[], p: number[]) => {
    const cells = [50, 95].flatMap((q) => [percentile(b, q), percentile(p, q), percentile(p, q) / percentile(b, q)]);
    return `| ${what} | ${b.length} | ${cells.map((c, i) => (i % 3 === 2 ? `**${c.toFixed(2)}×**` : c.toFixed(0))).join(' | ')} |`;
  };
  const lines = [
    `reply latency, AI stub ${aiMs} ms, quiet window 0, the customer writes again ${thinkMs} ms after a reply, Temporal at ${address}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| turn | samples | baseline p50 ms | product p50 ms | p50 ratio | baseline p95 ms | product p95 ms | p95 ratio |',
    '|---|---|---|---|---|---|---|---|',
    row('first message (new conversation)', baseline.first, product.first),
    row('follow-up', baseline.next, product.next),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Where a product turn's time goes, read from each workflow's own history (server timestamps,
 * the same clock as the bench here): the message posted → the signal recorded (sandbox webhook,
 * API), → the AI activity scheduled (everything in front of it: workflow tasks, the reads, the
 * claim), the AI activity itself less the stub's answer time, → the post scheduled, the post,
 * → the reply seen by the poll. Medians per step, first messages and follow-ups apart.
 */
async function reportWhereTheTimeGoes(client: Client, product: Variant): Promise<void> {
  const steps = ['webhook → signal', 'signal → AI scheduled', 'AI activity less the stub', 'AI done → post scheduled', 'post scheduled → done', 'post done → seen'] as const;
  const rows = { first: steps.map(() => [] as number[]), next: steps.map(() => [] as number[]) };
  const activitiesBefore = { first: [] as number[], next: [] as number[] };
  const firstSpans: { label: string; gap: number }[][] = [];
  for (const conversationId of new Set(product.turns.map((t) => t.conversationId))) {
    const turns = product.turns.filter((t) => t.conversationId === conversationId);
    const history = await client.workflow.getHandle(conversationWorkflowId(conversationId)).fetchHistory();
    const events = (history.events ?? []).map((e) => ({
      id: Number(e.eventId),
      at: timestampMs(e.eventTime),
      signal: Boolean(e.workflowExecutionSignaledEventAttributes),
      scheduled: e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined,
      completedScheduled: e.activityTaskCompletedEventAttributes ? Number(e.activityTaskCompletedEventAttributes.scheduledEventId) : undefined,
      label: eventLabel(e),
    }));
    for (const t of turns) {
      const from = events.findIndex((e) => e.signal && e.at >= t.sentAt - 5);
      if (from < 0) continue;
      const aiAt = events.findIndex((e, i) => i > from && e.scheduled === 'decideNextStep');
      const postAt = events.findIndex((e, i) => i > aiAt && e.scheduled === 'postAiReply');
      const completedAt = (i: number) => events.find((e) => e.completedScheduled === events[i]!.id)!.at;
      if (aiAt < 0 || postAt < 0) continue;
      const kind = t.turn === 1 ? 'first' : 'next';
      const gaps = [events[from]!.at - t.sentAt, events[aiAt]!.at - events[from]!.at, completedAt(aiAt) - events[aiAt]!.at - aiMs, events[postAt]!.at - completedAt(aiAt), completedAt(postAt) - events[postAt]!.at, t.seenAt - completedAt(postAt)];
      gaps.forEach((g, i) => rows[kind][i]!.push(g));
      activitiesBefore[kind].push(events.slice(from, aiAt).filter((e) => e.scheduled).length);
      if (kind === 'first') firstSpans.push(events.slice(from, aiAt + 1).map((e, i, span) => ({ label: e.label, gap: i === 0 ? 0 : e.at - span[i - 1]!.at })));
    }
  }
  const median = (xs: number[]) => (xs.length ? percentile(xs, 50).toFixed(0) : '–');
  const lines = [
    '',
    'where a product turn goes (medians, ms, from the workflows\' histories; activities in front of the AI: ordinary activities scheduled between the signal and the AI activity)',
    '',
    `| turn | ${steps.join(' | ')} | activities in front of the AI |`,
    `|---|${steps.map(() => '---').join('|')}|---|`,
    `| first message | ${rows.first.map(median).join(' | ')} | ${median(activitiesBefore.first)} |`,
    `| follow-up | ${rows.next.map(median).join(' | ')} | ${median(activitiesBefore.next)} |`,
  ];
  // The first message's span in front of the AI, event by event, over the conversations whose spans had the commonest events.
  const shapeOf = (span: { label: string }[]) => span.map((e) => e.label).join(',');
  const counts = new Map<string, number>();
  for (const span of firstSpans) counts.set(shapeOf(span), (counts.get(shapeOf(span)) ?? 0) + 1);
  const [shape, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
  const alike = firstSpans.filter((span) => shapeOf(span) === shape);
  if (alike.length) {
    lines.push('', `first message, signal → AI scheduled, event by event (${count} of ${firstSpans.length} conversations had these events; median ms since the event before)`, '');
    for (const [i, e] of alike[0]!.entries()) lines.push(`- ${e.label}: ${median(alike.map((span) => span[i]!.gap))}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** An event's type, with the activity's or local activity's name where it has one. */
function eventLabel(e: temporal.api.history.v1.IHistoryEvent): string {
  const type = proto.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType);
  const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? localActivityName(e);
  return `${type.replace(/^EVENT_TYPE_/, '').toLowerCase()}${name ? ` ${name}` : ''}`;
}

function localActivityName(e: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const payload = e.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
  if (!payload) return e.markerRecordedEventAttributes?.markerName ?? undefined;
  try {
    // Core's local-activity marker: its `data` payload is JSON with the activity's type.
    return (JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string }).activity_type;
  } catch {
    return e.markerRecordedEventAttributes?.markerName ?? undefined;
  }
}

function timestampMs(t: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): number {
  const seconds = typeof t?.seconds === 'number' ? t.seconds : (t?.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
