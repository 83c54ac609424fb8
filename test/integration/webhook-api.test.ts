import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createApiMetrics } from '../../api/metrics.js';
import { createWebhookApp } from '../../api/webhook-app.js';
import { parseWebhookPublicKey, WebhookKeyError } from '../../freshchat/webhook-signature.js';
import { createLogger } from '../../lib/logger.js';
import { conversationWorkflowId } from '../../workflows/messages.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { testServer } from '../helpers/temporal-server.js';
import { customerMessagePayload, signWebhookBody } from '../helpers/webhook-payloads.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spkiDer = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

const sign = (body: string | Buffer, key: KeyObject = privateKey): string => signWebhookBody(body, key);

const customerMessage = (conversationId: string, text?: string) => customerMessagePayload({ conversationId }, text);

async function listen(app: ReturnType<typeof createWebhookApp>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('webhook API (real HTTP, real signatures, real Temporal)', function () {
  let client: Client;
  let api: { url: string; close: () => Promise<void> };
  const taskQueue = `webhook-test-${randomUUID()}`; // no worker polls it: only starts are observed

  before(async function () {
    this.timeout(600_000);
    const server = await testServer();
    client = new Client({ connection: server.env.connection, namespace: server.namespace });
    api = await listen(createWebhookApp({ client, taskQueue, webhookKey: publicKey, maxBodyBytes: 16 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics() }));
  });
  after(() => api?.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${api.url}/webhooks/freshchat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  async function expectNoWorkflow(conversationId: string): Promise<void> {
    try {
      await client.workflow.getHandle(conversationWorkflowId(conversationId)).describe();
      expect.fail(`a workflow was started for ${conversationId}`);
    } catch (error) {
      expect(error).to.be.instanceOf(WorkflowNotFoundError);
    }
  }

  it('starts the conversation workflow for a signed customer message, with search attributes', async () => {
    const conversationId = randomUUID();
    const body = JSON.stringify(customerMessage(conversationId));
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(200);
    const answer = (await res.json()) as { workflowId: string };
    expect(answer.workflowId).to.equal(conversationWorkflowId(conversationId));
    const description = await client.workflow.getHandle(answer.workflowId).describe();
    expect(description.type).to.equal('conversationWorkflow');
    expect(description.taskQueue).to.equal(taskQueue);
    expect(description.searchAttributes.FreshchatConversationId).to.deep.equal([conversationId]);
  });

  it('reads the signature header case-insensitively', async () => {
    const conversationId = randomUUID();
    const body = JSON.stringify(customerMessage(conversationId));
    const res = await post(body, { 'x-freshchat-signature': sign(body) });
    expect(res.status).to.equal(200);
  });

  it('rejects a missing signature with 401 and starts nothing', async () => {
    const conversationId = randomUUID();
    const res = await post(JSON.stringify(customerMessage(conversationId)), {});
    expect(res.status).to.equal(401);
    await expectNoWorkflow(conversationId);
  });

  it('rejects a signature by another key, or over other bytes, with 401', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const conversationId = randomUUID();
    const body = JSON.stringify(customerMessage(conversationId));
    expect((await post(body, { 'X-Freshchat-Signature': sign(body, other) })).status).to.equal(401);
    // Same JSON re-serialised with other whitespace: the signature covers the raw bytes.
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    expect((await post(reformatted, { 'X-Freshchat-Signature': sign(body) })).status).to.equal(401);
    expect((await post(body, { 'X-Freshchat-Signature': 'not-base64!!' })).status).to.equal(401);
    await expectNoWorkflow(conversationId);
  });

  it('rejects malformed JSON with 400', async () => {
    const body = '{"action": "message_create", ';
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: string }).error).to.match(/JSON/);
  });

  it('rejects a payload that fails the schema with 400 and the reason, starting nothing', async () => {
    const conversationId = randomUUID();
    const payload = customerMessage(conversationId) as { data: { message: Record<string, unknown> } };
    delete payload.data.message.id;
    const body = JSON.stringify(payload);
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: string }).error).to.include('data.message.id');
    await expectNoWorkflow(conversationId);
  });

  it('answers 2xx and ignores an unknown action', async () => {
    const body = JSON.stringify({ action: 'conversation_rating', actor: { actor_type: 'user' }, data: {} });
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(202);
    expect(((await res.json()) as { ignored: string }).ignored).to.include('conversation_rating');
  });

  it('rejects an oversized body with 413 and starts nothing', async () => {
    const conversationId = randomUUID();
    const body = JSON.stringify(customerMessage(conversationId, 'x'.repeat(20 * 1024)));
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(413);
    await expectNoWorkflow(conversationId);
  });

  it('tolerates old-account payloads: msg_parts, no message_type, non-UUID ids', async () => {
    const conversationId = `abc${Date.now()}def`;
    const body = JSON.stringify({
      actor: { actor_type: 'user', actor_id: 'u_1' },
      action: 'message_create',
      action_time: new Date().toISOString(),
      data: { message: { id: `m_${randomUUID()}`, conversation_id: conversationId, actor_type: 'user', actor_id: 'u_1', msg_parts: [{ part_type: 'text', properties: { text: 'hello' } }] } },
    });
    const res = await post(body, { 'X-Freshchat-Signature': sign(body) });
    expect(res.status).to.equal(200);
  });

  it('answers 503 when Temporal cannot be reached, so Freshchat retries', async () => {
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const down = await listen(
      createWebhookApp({ client: unreachable, taskQueue, webhookKey: publicKey, maxBodyBytes: 16 * 1024, logger: createLogger('api', capturedLogs), metrics: createApiMetrics(), temporalDeadlineMs: 1500 }),
    );
    try {
      const body = JSON.stringify(customerMessage(randomUUID()));
      const answer = await fetch(`${down.url}/webhooks/freshchat`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Freshchat-Signature': sign(body) }, body });
      expect(answer.status).to.equal(503);
      const ready = await fetch(`${down.url}/readyz`);
      expect(ready.status).to.equal(503);
      expect((await fetch(`${down.url}/healthz`)).status).to.equal(200);
    } finally {
      await down.close();
    }
  });

  it('reports readiness when Temporal is reachable', async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).to.equal(200);
  });

  it('de-duplicates nothing at the API: a redelivery reaches the same workflow (the workflow ignores it)', async () => {
    const conversationId = randomUUID();
    const body = JSON.stringify(customerMessage(conversationId));
    const first = await post(body, { 'X-Freshchat-Signature': sign(body), 'X-Retry-Count': '0' });
    const second = await post(body, { 'X-Freshchat-Signature': sign(body), 'X-Retry-Count': '1' });
    expect(first.status).to.equal(200);
    expect(second.status).to.equal(200);
    const description = await client.workflow.getHandle(conversationWorkflowId(conversationId)).describe();
    expect(description.status.name).to.equal('RUNNING');
  });
});

describe('webhook public key formats', () => {
  const oneLine = `-----BEGIN RSA PUBLIC KEY----- ${spkiDer} -----END RSA PUBLIC KEY-----`;
  const body = Buffer.from('{"hello":"world"}');
  const signature = sign(body);

  const accepted: Record<string, string> = {
    'one line, "RSA PUBLIC KEY" label, SPKI body (as Freshchat shows it)': oneLine,
    'standard SPKI PEM with newlines': publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    'PKCS#1 RSA PUBLIC KEY PEM': publicKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    'spaces instead of newlines': publicKey.export({ format: 'pem', type: 'spki' }).toString().replace(/\n/g, ' '),
    'bare base64 body': spkiDer,
    'literal \\n sequences from a .env file': publicKey.export({ format: 'pem', type: 'spki' }).toString().replace(/\n/g, '\\n'),
  };
  for (const [name, pasted] of Object.entries(accepted)) {
    it(`accepts ${name}`, async () => {
      const { isValidWebhookSignature } = await import('../../freshchat/webhook-signature.js');
      expect(isValidWebhookSignature(body, signature, parseWebhookPublicKey(pasted))).to.equal(true);
    });
  }

  it('rejects garbage with a clear error', () => {
    expect(() => parseWebhookPublicKey('-----BEGIN PUBLIC KEY----- not a key -----END PUBLIC KEY-----')).to.throw(WebhookKeyError);
    expect(() => parseWebhookPublicKey('')).to.throw(WebhookKeyError, /not a PEM/);
    expect(() => parseWebhookPublicKey(Buffer.from('hello world').toString('base64'))).to.throw(WebhookKeyError);
  });
});
