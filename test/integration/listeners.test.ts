import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { listen, urlOf, webhookListenerTimeouts, opsListenerTimeouts, type ListenerTimeouts } from '../../api/listen.js';
import { Store } from '../../store/store.js';
import { createApiMetrics } from '../../api/metrics.js';
import { createOpsApp } from '../../api/ops-app.js';
import { callTemporalWithin, classifyTemporalFailure } from '../../api/temporal-call.js';
import { createWebhookApp } from '../../api/webhook-app.js';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec.js';
import { parseEncryptionKeys } from '../../codec/encryption-keys.js';
import { ConfigError, loadApiEnv } from '../../config/env.js';
import { FreshchatApiError, FreshchatClient } from '../../freshchat/client.js';
import { createLogger } from '../../lib/logger.js';
import { conversationWorkflowId, conversationWorkflowType } from '../../workflows/messages.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { testEncryptionKeySetting } from '../helpers/system.js';
import { testServer } from '../helpers/temporal-server.js';
import { customerMessagePayload, signWebhookBody } from '../helpers/webhook-payloads.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const sign = (body: string | Buffer): string => signWebhookBody(body, privateKey);

const customerMessage = customerMessagePayload;

const closeServer = (server: Server | TcpServer) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('the API listeners: what reaches Temporal, Freshchat and the logs', function () {
  this.timeout(60_000);
  let client: Client;
  let webhook: Server;
  let url: string;
  const taskQueue = `listeners-${randomUUID()}`; // no worker: only starts are observed

  before(async function () {
    this.timeout(600_000);
    const server = await testServer();
    client = new Client({ connection: server.env.connection, namespace: server.namespace });
    webhook = await listen(createWebhookApp({ client, taskQueue, webhookKey: publicKey, maxBodyBytes: 1024 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics() }), {
      port: 0,
      host: '127.0.0.1',
      timeouts: webhookListenerTimeouts,
    });
    url = urlOf(webhook);
  });
  after(() => webhook && closeServer(webhook));

  const post = (body: string | Buffer, headers: Record<string, string> = {}, target = url) =>
    fetch(`${target}/webhooks/freshchat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-freshchat-signature': sign(body), ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });

  async function expectNoWorkflow(conversationId: string): Promise<void> {
    const error = await client.workflow.getHandle(conversationWorkflowId(conversationId)).describe().then(() => undefined, (e: unknown) => e);
    expect(error, `a workflow exists for ${JSON.stringify(conversationId)}`).to.be.instanceOf(WorkflowNotFoundError);
  }

  describe('ids that cannot escape', () => {
    const bad: Record<string, string> = {
      'a dot-dot segment': '..',
      'a dot': '.',
      'a slash': 'a/b',
      'a query': 'a?x=1',
      'a lone UTF-16 surrogate': 'abc\ud800',
      'a percent-encoded dot-dot': '%2e%2e',
      'too long': 'a'.repeat(129),
    };
    for (const [name, id] of Object.entries(bad)) {
      it(`a conversation id with ${name} gets 400 and starts nothing`, async () => {
        const res = await post(JSON.stringify(customerMessage({ conversationId: id })));
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.include('conversation_id');
        // An id Temporal cannot hold (a lone surrogate, too long) cannot even be looked up.
        if (id.length <= 128 && !/[\uD800-\uDFFF]/.test(id)) await expectNoWorkflow(id);
      });
    }

    it('a user id or an agent id of ".." gets 400 and starts nothing', async () => {
      const conversationId = randomUUID();
      const asUser = customerMessage({ conversationId, userId: '..' });
      expect((await post(JSON.stringify(asUser))).status).to.equal(400);
      const asAgent = customerMessage({ conversationId });
      Object.assign(asAgent.data.message, { actor_type: 'agent', actor_id: '..' });
      Object.assign(asAgent.actor, { actor_type: 'agent', actor_id: '..' });
      expect((await post(JSON.stringify(asAgent))).status).to.equal(400);
      await expectNoWorkflow(conversationId);
    });

    it('accepts the shapes Freshchat ids really have: UUIDs, 32 hex digits, digits, _-joined composites', async () => {
      for (const conversationId of [randomUUID(), randomUUID().replace(/-/g, ''), '1234567890', `${randomUUID()}_${randomUUID()}_feedback`]) {
        expect((await post(JSON.stringify(customerMessage({ conversationId })))).status, conversationId).to.equal(200);
      }
    });

    it('the Freshchat client refuses dot segments before any request and encodes every id as one path segment', async () => {
      const seen: string[] = [];
      const fake = createHttpServer((req: IncomingMessage, res) => {
        seen.push(req.url ?? '');
        res.setHeader('content-type', 'application/json');
        res.end('{"conversation_id":"x","status":"new"}');
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      try {
        const freshchat = new FreshchatClient({ apiUrl: `${urlOf(fake)}/v2`, apiToken: 'token' });
        for (const id of ['..', '.', '']) {
          const error = await freshchat.getConversation(id).then(() => undefined, (e: unknown) => e);
          expect(error).to.be.instanceOf(FreshchatApiError);
          expect((error as FreshchatApiError).retryable).to.equal(false);
          expect((error as FreshchatApiError).code).to.equal('INVALID_ID');
          await freshchat.postMessage(id, { text: 'x', messageType: 'normal', agentId: 'a' }).catch(() => undefined);
          await freshchat.getUser(id).catch(() => undefined);
        }
        expect(seen).to.deep.equal([]);
        await freshchat.getConversation('a/b?c#d');
        await freshchat.getUser('%2e%2e');
        expect(seen).to.deep.equal(['/v2/conversations/a%2Fb%3Fc%23d', '/v2/users/%252e%252e']);
      } finally {
        await closeServer(fake);
      }
    });
  });

  describe('Temporal failures: permanent ones are 400, availability ones 503, always within 2.5 s', () => {
    it('tells a request Temporal rejects from one it could not take (real server)', async () => {
      const rejected: unknown[] = [];
      for (const workflowId of ['freshchat-conversation-\ud800', 'x'.repeat(2000)]) {
        await client.workflow
          .signalWithStart(conversationWorkflowType, { workflowId, taskQueue, args: [{ conversationId: 'x' }], signal: 'freshchatEvent', signalArgs: [{}] })
          .catch((e: unknown) => rejected.push(e));
      }
      expect(rejected).to.have.length(2);
      for (const error of rejected) expect(classifyTemporalFailure(error)).to.include({ failure: 'rejected' });

      const down = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
      const outcome = await callTemporalWithin(down, 1500, () => down.workflowService.getSystemInfo({}));
      expect(outcome).to.include({ ok: false, failure: 'unavailable' });
    });

    it('a Temporal rejection reaches Freshchat as 400 with the reason, not as 503 (retried for ever)', async () => {
      // A task queue name Temporal refuses: the request itself is invalid, whatever the retry.
      const refused = await listen(
        createWebhookApp({ client, taskQueue: 'q'.repeat(2000), webhookKey: publicKey, maxBodyBytes: 64 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics() }),
        { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts },
      );
      try {
        const res = await post(JSON.stringify(customerMessage()), {}, urlOf(refused));
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(/Temporal rejected the event: .*length/i);
      } finally {
        await closeServer(refused);
      }
    });

    async function frozenTemporal(): Promise<{ address: string; close: () => Promise<void> }> {
      const sockets: Socket[] = [];
      const server = createTcpServer((socket) => sockets.push(socket)); // accepts, never answers
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      return { address: `127.0.0.1:${port}`, close: async () => { sockets.forEach((s) => s.destroy()); await closeServer(server); } };
    }

    for (const mode of ['refused', 'frozen', 'unresolvable'] as const) {
      it(`Temporal ${mode}: the webhook answers 503 and /readyz 503 within 2.5 s`, async () => {
        const frozen = mode === 'frozen' ? await frozenTemporal() : undefined;
        const address = mode === 'refused' ? '127.0.0.1:1' : mode === 'frozen' ? frozen!.address : 'temporal.invalid:7233';
        const down = new Client({ connection: Connection.lazy({ address }) });
        const api = await listen(createWebhookApp({ client: down, taskQueue, webhookKey: publicKey, maxBodyBytes: 64 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics() }), {
          port: 0,
          host: '127.0.0.1',
          timeouts: webhookListenerTimeouts,
        });
        try {
          for (let attempt = 0; attempt < 2; attempt++) {
            const started = Date.now();
            const res = await post(JSON.stringify(customerMessage()), {}, urlOf(api));
            const elapsed = Date.now() - started;
            expect(res.status).to.equal(503);
            expect(res.headers.get('retry-after')).to.equal('5');
            expect(elapsed, `answered after ${elapsed} ms`).to.be.below(2500);
          }
          const started = Date.now();
          expect((await fetch(`${urlOf(api)}/readyz`)).status).to.equal(503);
          expect(Date.now() - started).to.be.below(2500);
        } finally {
          await closeServer(api);
          await frozen?.close();
        }
      });
    }
  });

  describe('strict request parsing', () => {
    it('accepts exactly one standard base64 signature, surrounding white space trimmed', async () => {
      const body = JSON.stringify(customerMessage());
      const good = sign(body);
      expect((await post(body, { 'x-freshchat-signature': ` ${good}\t` })).status).to.equal(200);
      const variants = {
        'inner spaces': `${good.slice(0, 20)} ${good.slice(20)}`,
        'padding removed': good.replace(/=+$/, ''),
        base64url: good.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
        'trailing junk': `${good}!!`,
        'a second value': `${good},${good}`,
      };
      for (const [name, signature] of Object.entries(variants)) {
        if (signature === good) continue; // e.g. a signature without '+', '/' or padding
        expect((await post(body, { 'x-freshchat-signature': signature })).status, name).to.equal(401);
      }
    });

    it('refuses a compressed body with 415 (the signature covers the bytes Freshchat sends, uncompressed)', async () => {
      const conversationId = randomUUID();
      const json = JSON.stringify(customerMessage({ conversationId }));
      const gzipped = gzipSync(json);
      for (const signature of [sign(gzipped), sign(json)]) {
        const res = await post(gzipped, { 'content-encoding': 'gzip', 'x-freshchat-signature': signature });
        expect(res.status).to.equal(415);
      }
      expect((await post(json, { 'content-encoding': 'identity' })).status).to.equal(200);
      await expectNoWorkflow(randomUUID());
    });

    it('an unknown action of 200 KB is neither echoed nor logged in full', async () => {
      const action = `x${'A'.repeat(200_000)}`;
      const body = JSON.stringify({ action, actor: { actor_type: 'user' }, data: {} });
      const before = capturedLogs.lines.length;
      const res = await post(body);
      expect(res.status).to.equal(202);
      expect((await res.text()).length).to.be.below(500);
      const logged = capturedLogs.lines.slice(before).join('\n');
      expect(logged).to.include('unknown action');
      expect(logged.length).to.be.below(2000);
    });
  });

  describe('stalled requests', () => {
    it('every timeout is set on both listeners', async () => {
      for (const timeouts of [webhookListenerTimeouts, opsListenerTimeouts]) {
        const server = await listen((_req, res) => res.end(), { port: 0, host: '127.0.0.1', timeouts });
        try {
          expect(server.headersTimeout).to.equal(timeouts.headersMs);
          expect(server.requestTimeout).to.equal(timeouts.requestMs);
          expect(server.keepAliveTimeout).to.equal(timeouts.keepAliveMs);
          expect(server.timeout).to.equal(timeouts.idleMs);
        } finally {
          await closeServer(server);
        }
      }
    });

    it('50 connections that never finish their body (and 10 that send nothing) are closed by the server', async () => {
      const short: ListenerTimeouts = { headersMs: 1000, requestMs: 1500, idleMs: 2000, keepAliveMs: 500 };
      const app = createWebhookApp({ client, taskQueue, webhookKey: publicKey, maxBodyBytes: 64 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics() });
      const server = await listen(app, { port: 0, host: '127.0.0.1', timeouts: short });
      const { port } = server.address() as { port: number };
      const closed: Array<Promise<number>> = [];
      const started = Date.now();
      try {
        for (let i = 0; i < 60; i++) {
          const socket = connect(port, '127.0.0.1');
          closed.push(new Promise((resolve) => socket.on('close', () => resolve(Date.now() - started))));
          socket.on('error', () => undefined);
          socket.resume(); // read what the server sends (its 408), so its close reaches us
          if (i < 50) {
            socket.write(`POST /webhooks/freshchat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"action":`);
          }
        }
        const times = await Promise.race([Promise.all(closed), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connections still open after 8 s')), 8000))]);
        expect(times).to.have.length(60);
        expect(Math.max(...times)).to.be.below(8000);
      } finally {
        server.closeAllConnections();
        await closeServer(server);
      }
    });
  });

  describe('ops endpoints on their own listener', () => {
    const keys = parseEncryptionKeys(testEncryptionKeySetting);

    it('the public listener serves the webhook and health checks only: no codec, no contacts', async () => {
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' })).status).to.equal(404);
      expect((await fetch(`${url}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' })).status).to.equal(404);
      expect((await fetch(`${url}/contacts/ct_${'0'.repeat(24)}/conversations`)).status).to.equal(404);
    });

    it('with OPS_AUTH_TOKEN every ops request needs it; the codec also takes CODEC_AUTH_TOKEN; preflights need none', async () => {
      const ops = await listen(
        createOpsApp({
          client,
          logger: createLogger('api', capturedLogs), metrics: createApiMetrics(),
          store: new Store({ sqlitePath: ':memory:' }),
          authToken: 'ops-token',
          codec: { codec: new AesGcmPayloadCodec(keys), codecAuthToken: 'codec-token', allowedOrigins: ['http://localhost:8233'] },
        }),
        { port: 0, host: '127.0.0.1', timeouts: opsListenerTimeouts },
      );
      const opsUrl = urlOf(ops);
      const contacts = (token?: string) => fetch(`${opsUrl}/contacts/ct_${'0'.repeat(24)}/conversations`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const decode = (token?: string) =>
        fetch(`${opsUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{"payloads":[]}' });
      try {
        expect((await contacts()).status).to.equal(401);
        expect((await contacts('codec-token')).status).to.equal(401);
        expect((await contacts('ops-token')).status).to.equal(200);
        expect((await decode()).status).to.equal(401);
        expect((await decode('wrong')).status).to.equal(401);
        expect((await decode('ops-token')).status).to.equal(200);
        expect((await decode('codec-token')).status).to.equal(200);
        const preflight = await fetch(`${opsUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' } });
        expect(preflight.status).to.equal(204);
        expect(preflight.headers.get('access-control-allow-origin')).to.equal('http://localhost:8233');
      } finally {
        await closeServer(ops);
      }
    });

    it('settings: OPS_PORT defaults to PORT + 1 on loopback; production beyond loopback without a token refuses to start, naming it', () => {
      const base = { FRESHCHAT_WEBHOOK_PUBLIC_KEY: 'x', PAYLOAD_ENCRYPTION: 'off' };
      const env = loadApiEnv({ ...base, PORT: '4000' });
      expect(env.OPS_PORT).to.equal(4001);
      expect(env.OPS_HOST).to.equal('127.0.0.1');
      expect(loadApiEnv({ ...base, PORT: '4000', OPS_PORT: '5000' }).OPS_PORT).to.equal(5000);
      expect(() => loadApiEnv({ ...base, NODE_ENV: 'production', OPS_HOST: '127.0.0.1' })).not.to.throw();
      expect(() => loadApiEnv({ ...base, NODE_ENV: 'production', OPS_HOST: '0.0.0.0', OPS_AUTH_TOKEN: 't' })).not.to.throw();
      let refusal: unknown;
      try {
        loadApiEnv({ ...base, NODE_ENV: 'production', OPS_HOST: '0.0.0.0' });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).to.be.instanceOf(ConfigError);
      expect((refusal as ConfigError).message).to.include('OPS_AUTH_TOKEN').and.to.include('0.0.0.0');
      expect(() => loadApiEnv({ ...base, PORT: '4000', OPS_PORT: '4000' })).to.throw(ConfigError, /OPS_PORT must differ from PORT/);
    });
  });
});
