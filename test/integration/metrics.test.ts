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
import { parseSamples, sampleSum } from '../helpers/prometheus.js';
import { testServer } from '../helpers/temporal-server.js';
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
