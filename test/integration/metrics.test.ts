import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { listen, opsListenerTimeouts, urlOf, webhookListenerTimeouts } from '../../api/listen.js';
import { createApiMetrics, type ApiMetrics } from '../../api/metrics.js';
import { createOpsApp } from '../../api/ops-app.js';
import { createWebhookApp } from '../../api/webhook-app.js';
import { createLogger } from '../../lib/logger.js';
import { Store } from '../../store/store.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { labelSets, parseSamples, sampleSum } from '../../lib/prometheus-samples.js';
import {
  aiReplies,
  customerSays,
  eventually,
  repoRoot,
  sandboxCall,
  startConversation,
  startSystem,
  workflowHandle,
  workflowState,
  workerProcessEnv,
  type TestSystem,
} from '../helpers/system.js';
import { freePort, testServer } from '../helpers/temporal-server.js';
import { resolveConversationSignal } from '../../workflows/messages.js';
import { customerMessagePayload, signWebhookBody } from '../helpers/webhook-payloads.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const opsToken = 'ops-token-for-prometheus';

describe('API metrics at /metrics on the ops listener (real HTTP, real Temporal)', function () {
  this.timeout(60_000);
  let metrics: ApiMetrics;
  let store: Store;
  const servers: Server[] = [];
  let webhookUrl: string;
  let downUrl: string;
  let opsUrl: string;

  before(async function () {
    this.timeout(600_000);
    const server = await testServer();
    const client = new Client({ connection: server.env.connection, namespace: server.namespace });
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const taskQueue = `metrics-test-${randomUUID()}`; // no worker: only hand-overs are observed
    const logger = createLogger('api', capturedLogs);
    metrics = createApiMetrics();
    store = new Store({ sqlitePath: ':memory:' });
    const common = { taskQueue, webhookKey: publicKey, maxBodyBytes: 16 * 1024, logger, metrics };
    const webhook = await listen(createWebhookApp({ client, ...common }), { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
    // The same metrics behind a Temporal that cannot be reached: the 503 path.
    const down = await listen(createWebhookApp({ client: unreachable, ...common, temporalDeadlineMs: 1500 }), { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
    const ops = await listen(createOpsApp({ client, logger, store, metrics, authToken: opsToken }), { port: 0, host: '127.0.0.1', timeouts: opsListenerTimeouts });
    servers.push(webhook, down, ops);
    [webhookUrl, downUrl, opsUrl] = [urlOf(webhook), urlOf(down), urlOf(ops)];
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await store?.close();
  });

  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/webhooks/freshchat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const signed = (url: string, body: string, extra: Record<string, string> = {}) => post(url, body, { 'X-Freshchat-Signature': signWebhookBody(body, privateKey), ...extra });
  const scrape = (token?: string) => fetch(`${opsUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('counts webhooks by action and outcome, hand-over failures by reason, and times every answer', async () => {
    const customerMessage = () => JSON.stringify(customerMessagePayload({}, 'Where is my order?'));
    const answers: Array<[string, number]> = [];
    const send = async (what: string, response: Promise<Response>) => answers.push([what, (await response).status]);

    await send('accepted', signed(webhookUrl, customerMessage()));
    await send('accepted again', signed(webhookUrl, customerMessage()));
    const body = customerMessage();
    await send('bad signature', post(webhookUrl, body, { 'X-Freshchat-Signature': signWebhookBody(body, otherKey) }));
    await send('no signature', post(webhookUrl, customerMessage()));
    await send('bad JSON', signed(webhookUrl, '{"action": "message_create", '));
    const noId = customerMessagePayload() as { data: { message: Record<string, unknown> } };
    delete noId.data.message.id;
    await send('schema', signed(webhookUrl, JSON.stringify(noId)));
    await send('unknown action', signed(webhookUrl, JSON.stringify({ action: 'conversation_rating', actor: { actor_type: 'user' }, data: {} })));
    const privateNote = customerMessagePayload() as { data: { message: Record<string, unknown> } };
    privateNote.data.message.message_type = 'private';
    await send('private user message', signed(webhookUrl, JSON.stringify(privateNote)));
    await send('too large', signed(webhookUrl, JSON.stringify(customerMessagePayload({}, 'x'.repeat(20 * 1024)))));
    await send('compressed', signed(webhookUrl, customerMessage(), { 'Content-Encoding': 'gzip' }));
    await send('Temporal down', signed(downUrl, customerMessage()));
    expect(answers).to.deep.equal([
      ['accepted', 200],
      ['accepted again', 200],
      ['bad signature', 401],
      ['no signature', 401],
      ['bad JSON', 400],
      ['schema', 400],
      ['unknown action', 202],
      ['private user message', 202],
      ['too large', 413],
      ['compressed', 415],
      ['Temporal down', 503],
    ]);

    const res = await scrape(opsToken);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal(metrics.registry.contentType);
    const samples = parseSamples(await res.text());
    const webhooks = (action: string, outcome: string) => sampleSum(samples, 'freshchat_ai_webhooks_total', { action, outcome });
    expect({
      accepted: webhooks('message_create', 'accepted'),
      rejectedSignature: webhooks('unknown', 'rejected_signature'),
      badJson: webhooks('unknown', 'bad_request'),
      badSchema: webhooks('message_create', 'bad_request'),
      ignoredAction: webhooks('unknown', 'ignored_action'),
      ignored: webhooks('message_create', 'ignored'),
      tooLarge: webhooks('unknown', 'too_large'),
      unsupported: webhooks('unknown', 'unsupported'),
      temporalUnavailable: webhooks('message_create', 'temporal_unavailable'),
      all: sampleSum(samples, 'freshchat_ai_webhooks_total'),
    }).to.deep.equal({ accepted: 2, rejectedSignature: 2, badJson: 1, badSchema: 1, ignoredAction: 1, ignored: 1, tooLarge: 1, unsupported: 1, temporalUnavailable: 1, all: 11 });
    // An unknown action is never a label value: it comes from outside.
    expect(samples.some((s) => Object.values(s.labels).includes('conversation_rating'))).to.equal(false);
    expect(sampleSum(samples, 'freshchat_ai_temporal_handover_failures_total', { reason: 'unavailable' })).to.equal(1);
    expect(sampleSum(samples, 'freshchat_ai_temporal_handover_failures_total')).to.equal(1);

    // Every answer timed; the 503 waited for the deadline (1.5 s), the others did not.
    expect(sampleSum(samples, 'freshchat_ai_webhook_ack_seconds_count')).to.equal(11);
    expect(sampleSum(samples, 'freshchat_ai_webhook_ack_seconds_bucket', { le: '+Inf' })).to.equal(11);
    expect(sampleSum(samples, 'freshchat_ai_webhook_ack_seconds_bucket', { le: '1' })).to.equal(10);
    expect(sampleSum(samples, 'freshchat_ai_webhook_ack_seconds_sum')).to.be.greaterThan(1);
    // prom-client's default process metrics come along.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).to.equal(true);
  });

  it('needs the ops bearer token when OPS_AUTH_TOKEN is set', async () => {
    expect((await scrape()).status).to.equal(401);
    expect((await scrape('wrong-token')).status).to.equal(401);
    expect((await scrape(opsToken)).status).to.equal(200);
  });

  it('each metrics object counts alone (apps in one process do not share a registry)', async () => {
    const fresh = createApiMetrics();
    expect(sampleSum(await fresh.registry.metrics(), 'freshchat_ai_webhooks_total')).to.equal(0);
  });
});

/** The Runtime is installed once per process (the test process has one): the exporter is tested in `node dist/worker/main.js`. */
describe('worker metrics on the SDK Prometheus exporter (METRICS_PORT, a real worker process)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let child: ChildProcess | undefined;
  let metricsUrl: string;

  before(async function () {
    this.timeout(600_000);
    system = await startSystem({ startWorker: false });
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const env = { ...workerProcessEnv(system), METRICS_PORT: String(port), LOG_LEVEL: 'info' };
    let output = '';
    child = spawn(process.execPath, ['dist/worker/main.js'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child worker] ${d}`));
    await eventually(async () => output.includes('worker started'), 'the child worker', 60_000);
    const listening = output.split('\n').find((line) => line.includes('worker metrics listening'));
    expect(JSON.parse(listening!)).to.include({ address: `127.0.0.1:${port}`, path: '/metrics' });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    await system?.close();
  });

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).to.equal(200);
    return parseSamples(await res.text());
  };

  it("serves the SDK's runtime metrics and the product counters: replies, escalations by rule, resolutions by who and kind, AI latency, Freshchat failures by status", async () => {
    const { sandbox } = system;
    // The claim's read of a conversation's owner fails once with 503 (then the retry gets it).
    await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'GET', path: '/conversations/[^/?]+$', status: 503, times: 1 });
    const answered = await startConversation(sandbox, 'How long does shipping take?');
    await eventually(async () => (await aiReplies(sandbox, answered)).length === 1, 'the AI reply');
    const escalated = await startConversation(sandbox, 'I want to talk to a human');
    await eventually(async () => (await workflowState(system, escalated)).state === 'escalated', 'the handoff');
    await workflowHandle(system, answered).signal(resolveConversationSignal, { reason: 'done' });
    await eventually(async () => (await workflowState(system, answered)).state === 'resolved', 'the resolution by ops');
    const confirmed = await startConversation(sandbox, 'How do I reset my password?');
    await eventually(async () => (await aiReplies(sandbox, confirmed)).length === 1, 'the answer');
    await customerSays(sandbox, confirmed, "Thanks, that's all!");
    await eventually(async () => (await workflowState(system, confirmed)).state === 'resolved', 'the resolution the customer confirmed');

    // The exporter serves what was recorded at the time of the scrape.
    const samples = await eventually(async () => {
      const s = await scrape();
      return sampleSum(s, 'freshchat_ai_resolutions_total') >= 2 && sampleSum(s, 'freshchat_ai_escalations_total') >= 1 ? s : undefined;
    }, 'the product counters on the exporter');
    // The SDK tags its own metrics in snake_case, the ones recorded through its meters in camelCase.
    expect(samples.some((s) => s.name.startsWith('temporal_') && s.labels.task_queue === system.taskQueue)).to.equal(true);
    expect(sampleSum(samples, 'temporal_workflow_task_execution_latency_count', { task_queue: system.taskQueue })).to.be.greaterThan(0);
    const queue = { taskQueue: system.taskQueue };
    expect({
      replies: sampleSum(samples, 'freshchat_ai_replies_total', { ...queue, workflowType: 'conversationWorkflow' }),
      escalationsByPhrase: sampleSum(samples, 'freshchat_ai_escalations_total', { ...queue, rule: 'handoff_phrase' }),
      escalations: sampleSum(samples, 'freshchat_ai_escalations_total', queue),
      resolutionsByOps: sampleSum(samples, 'freshchat_ai_resolutions_total', { ...queue, by: 'ops', kind: 'none' }),
      resolutionsConfirmed: sampleSum(samples, 'freshchat_ai_resolutions_total', { ...queue, by: 'ai', kind: 'confirmed' }),
      resolutions: sampleSum(samples, 'freshchat_ai_resolutions_total', queue),
      lostRaces: sampleSum(samples, 'freshchat_ai_lost_ownership_races_total', queue),
      freshchat503: sampleSum(samples, 'freshchat_ai_freshchat_failures_total', { ...queue, status: '503', activityType: 'claimForAiAgent' }),
      freshchatFailures: sampleSum(samples, 'freshchat_ai_freshchat_failures_total', queue),
    }).to.deep.equal({ replies: 2, escalationsByPhrase: 1, escalations: 1, resolutionsByOps: 1, resolutionsConfirmed: 1, resolutions: 2, lostRaces: 0, freshchat503: 1, freshchatFailures: 1 });
    // Three AI turns (the handoff phrase is caught before the AI), timed in seconds on the buckets the worker sets.
    expect(sampleSum(samples, 'freshchat_ai_ai_latency_seconds_count', { ...queue, activityType: 'decideNextStep', action: 'reply' })).to.equal(2);
    expect(sampleSum(samples, 'freshchat_ai_ai_latency_seconds_count', { ...queue, activityType: 'decideNextStep', action: 'resolve' })).to.equal(1);
    expect(sampleSum(samples, 'freshchat_ai_ai_latency_seconds_bucket', { ...queue, le: '60' })).to.equal(3);
    expect(sampleSum(samples, 'freshchat_ai_ai_latency_seconds_sum', queue)).to.be.greaterThan(0).and.lessThan(60);
    // Labels are ids of rules and kinds, never what a customer wrote.
    for (const labels of labelSets(samples, 'freshchat_ai_escalations_total')) expect(Object.values(labels).join(' ')).not.to.include('human');
  });
});
