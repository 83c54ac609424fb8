/**
 * The Freshchat sandbox over real HTTP: its /v2 API behaves like Freshchat's, and its webhooks
 * reach a real receiver signed, retried, in order per conversation, and re-deliverable.
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { createLogger } from '../../lib/logger.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { capturedLogs } from '../helpers/log-capture.js';

const API_TOKEN = 'test-token-123';
const AI_AGENT_EMAIL = 'ai-agent@sandbox.test';

// Loosely typed JSON, as a client parsing Freshchat's answers sees it.
type Json = any;

interface ReceivedWebhook {
  body: string;
  json: Json;
  headers: IncomingHttpHeaders;
  conversationId: string;
}

/** The conversation an envelope is about, whatever the action. */
function conversationIdOf(envelope: Json): string {
  const data = envelope.data;
  return data.message?.conversation_id ?? (data.assignment ?? data.resolve ?? data.reopen).conversation.conversation_id;
}

/** A tiny webhook endpoint: records raw bodies and headers; answers what `answer` says, after `delayMs`. */
class WebhookReceiver {
  received: ReceivedWebhook[] = [];
  answer: (webhook: ReceivedWebhook) => number = () => 200;
  delayMs = 0;
  /** Requests being answered right now, overall and per conversation. */
  maxConcurrent = 0;
  maxConcurrentPerConversation = 0;
  private concurrent = 0;
  private readonly concurrentByConversation = new Map<string, number>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const json = JSON.parse(body);
        const webhook: ReceivedWebhook = { body, json, headers: req.headers, conversationId: conversationIdOf(json) };
        this.received.push(webhook);
        const perConversation = (this.concurrentByConversation.get(webhook.conversationId) ?? 0) + 1;
        this.concurrentByConversation.set(webhook.conversationId, perConversation);
        this.concurrent += 1;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
        this.maxConcurrentPerConversation = Math.max(this.maxConcurrentPerConversation, perConversation);
        if (this.delayMs) await sleep(this.delayMs);
        this.concurrent -= 1;
        this.concurrentByConversation.set(webhook.conversationId, perConversation - 1);
        res.statusCode = this.answer(webhook);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/freshchat`;
  }

  reset(): void {
    this.received = [];
    this.answer = () => 200;
    this.delayMs = 0;
    this.maxConcurrent = 0;
    this.maxConcurrentPerConversation = 0;
  }

  of(conversationId: string): ReceivedWebhook[] {
    return this.received.filter((webhook) => webhook.conversationId === conversationId);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

/** Loads the key as an integration would from what the admin pasted: armour and whitespace stripped, DER SPKI. */
function keyFromOneLine(oneLine: string): KeyObject {
  const base64 = oneLine.replace(/-----(BEGIN|END)[A-Z ]*-----/g, '').replace(/\s+/g, '');
  return createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
}

function signatureIsValid(key: KeyObject, body: string, signature: string): boolean {
  return createVerify('RSA-SHA256').update(Buffer.from(body, 'utf8')).verify(key, signature, 'base64');
}

describe('Freshchat sandbox', function () {
  this.timeout(30_000);

  let sandbox: Sandbox;
  const receiver = new WebhookReceiver();
  let webhookUrl: string;
  let supportGroupId: string;

  async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(url, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Json };
  }
  /** A /v2 call with the API token; `path` may be a host-relative link the API returned. */
  const api = (method: string, path: string, body?: unknown) =>
    call(method, new URL(path.startsWith('/v2') ? path : `/v2${path}`, sandbox.baseUrl).href, body, {
      Authorization: `Bearer ${API_TOKEN}`,
    });
  const control = (method: string, path: string, body?: unknown) => call(method, `${sandbox.baseUrl}/sandbox${path}`, body);

  async function newUser(fields: Record<string, string> = {}): Promise<string> {
    const created = await control('POST', '/users', fields);
    expect(created.status).to.equal(201);
    return created.body.id;
  }
  async function newConversation(text?: string): Promise<{ userId: string; conversationId: string; messageId?: string }> {
    const userId = await newUser({ email: 'customer@example.com', first_name: 'Cora' });
    const created = await control('POST', '/conversations', { user_id: userId, ...(text ? { text } : {}) });
    expect(created.status).to.equal(201);
    return { userId, conversationId: created.body.conversation_id, messageId: created.body.message_id };
  }
  const postAsAgent = (conversationId: string, content: string, extra: Record<string, unknown> = {}) =>
    api('POST', `/conversations/${conversationId}/messages`, {
      message_parts: [{ text: { content } }],
      actor_type: 'agent',
      actor_id: sandbox.aiAgentId,
      ...extra,
    });
  const deliveriesOf = async (conversationId: string): Promise<Json[]> =>
    (await control('GET', `/webhooks?conversation_id=${conversationId}`)).body;

  before(async () => {
    webhookUrl = await receiver.start();
    sandbox = await startSandbox({ apiToken: API_TOKEN, aiAgentEmail: AI_AGENT_EMAIL, webhookUrl, logger: createLogger('freshchat-sandbox', capturedLogs) });
    supportGroupId = (await api('GET', '/groups')).body.groups.find((group: Json) => group.name === 'Support').id;
  });

  after(async () => {
    await sandbox?.close();
    await receiver.close();
  });

  beforeEach(async () => {
    receiver.reset();
    sandbox.setWebhookUrl(webhookUrl);
    expect((await control('DELETE', '/faults')).status).to.equal(200);
  });

  afterEach(async () => {
    await sandbox.drainWebhooks();
  });

  describe('REST API v2', () => {
    it('answers 401 in Freshchat shape without the right Bearer token', async () => {
      const missing = await call('GET', `${sandbox.apiUrl}/agents`);
      expect(missing.status).to.equal(401);
      expect(missing.body).to.include({ code: 401, status: 'UNAUTHORIZED' });
      expect(missing.body.message).to.be.a('string').and.not.empty;

      const wrong = await call('GET', `${sandbox.apiUrl}/agents`, undefined, { Authorization: 'Bearer nope' });
      expect(wrong.status).to.equal(401);
      expect(wrong.body.status).to.equal('UNAUTHORIZED');

      expect((await api('GET', '/agents')).status).to.equal(200);
    });

    it('reports the account configuration', async () => {
      const { status, body } = await api('GET', '/accounts/configuration');
      expect(status).to.equal(200);
      expect(body).to.include({ datacenter: 'LOCAL', account_domain: 'sandbox.freshchat.local' });
      expect(body.app_id).to.be.a('string').and.not.empty;
      expect(body.account_id).to.be.a('string').and.not.empty;
      expect(body.organisation_id).to.be.a('string').and.not.empty;
    });

    it('rejects bad requests with 400/404 in Freshchat shape and stores nothing', async () => {
      const { conversationId } = await newConversation();
      const unknownAgent = await api('POST', `/conversations/${conversationId}/messages`, {
        message_parts: [{ text: { content: 'hi' } }], actor_type: 'agent', actor_id: 'not-an-agent',
      });
      expect(unknownAgent.status).to.equal(400);
      expect(unknownAgent.body).to.include({ code: 400, status: 'INVALID_VALUE' });

      const noParts = await api('POST', `/conversations/${conversationId}/messages`, { actor_type: 'bot', message_parts: [] });
      expect(noParts.status).to.equal(400);

      const malformed = await fetch(`${sandbox.apiUrl}/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' },
        body: '{"message_parts": [',
      });
      expect(malformed.status).to.equal(400);
      expect(await malformed.json()).to.include({ status: 'INVALID_VALUE' });

      expect((await api('GET', `/conversations/${conversationId}/messages`)).body.messages).to.have.length(0);

      const missing = await api('GET', '/conversations/does-not-exist');
      expect(missing.status).to.equal(404);
      expect(missing.body).to.include({ code: 404, status: 'NOT_FOUND' });
      expect((await api('GET', '/no/such/endpoint')).body).to.include({ code: 404, status: 'NOT_FOUND' });
    });

    it('posts a message and echoes it as a message_create webhook, private notes included', async () => {
      const { conversationId, userId } = await newConversation();
      const posted = await postAsAgent(conversationId, 'Hello from the AI');
      expect(posted.status).to.equal(201);
      expect(posted.body.id).to.be.a('string').and.not.empty;
      expect(Date.parse(posted.body.created_time)).to.be.a('number').and.not.NaN;
      expect(posted.body).to.include({
        conversation_id: conversationId, actor_type: 'agent', actor_id: sandbox.aiAgentId, message_type: 'normal', user_id: userId,
      });

      const note = await postAsAgent(conversationId, 'For reps only', { message_type: 'private' });
      expect(note.status).to.equal(201);
      const bot = await api('POST', `/conversations/${conversationId}/messages`, {
        message_parts: [{ text: { content: 'Beep' } }], actor_type: 'bot',
      });
      expect(bot.status).to.equal(201);

      await sandbox.drainWebhooks();
      const echoes = receiver.of(conversationId);
      expect(echoes.map((webhook) => webhook.json.data.message.id)).to.deep.equal([posted.body.id, note.body.id, bot.body.id]);
      const [echo, noteEcho, botEcho] = echoes.map((webhook) => webhook.json);
      expect(echo.action).to.equal('message_create');
      expect(echo.actor).to.deep.equal({ actor_type: 'agent', actor_id: sandbox.aiAgentId });
      expect(Date.parse(echo.action_time)).to.not.be.NaN;
      const configuration = (await api('GET', '/accounts/configuration')).body;
      expect(echo.data.message).to.include({
        conversation_id: conversationId, user_id: userId, app_id: configuration.app_id, message_type: 'normal',
      });
      expect(echo.data.message.channel_id).to.be.a('string').and.not.empty;
      expect(echo.data.message.interaction_id).to.match(/^\d+-\d+$/);
      expect(echo.data.message.message_parts).to.deep.equal([{ text: { content: 'Hello from the AI' } }]);
      expect(noteEcho.data.message.message_type).to.equal('private');
      expect(botEcho.actor.actor_type).to.equal('bot');
    });

    it('lists messages newest first, pages through link, filters by from_time', async () => {
      const { conversationId, messageId } = await newConversation('first');
      const ids = [messageId!];
      for (const text of ['second', 'third', 'fourth', 'fifth']) ids.push((await postAsAgent(conversationId, text)).body.id);

      const seen: string[] = [];
      let path: string | undefined = `/conversations/${conversationId}/messages?items_per_page=2`;
      const pageSizes: number[] = [];
      while (path) {
        const page: Json = await api('GET', path);
        expect(page.status).to.equal(200);
        pageSizes.push(page.body.messages.length);
        seen.push(...page.body.messages.map((message: Json) => message.id));
        if (page.body.link) expect(page.body.link.rel).to.equal('next');
        path = page.body.link?.href;
      }
      expect(pageSizes).to.deep.equal([2, 2, 1]);
      expect(seen).to.deep.equal([...ids].reverse());

      const all = (await api('GET', `/conversations/${conversationId}/messages`)).body;
      expect(all).to.not.have.property('link');
      const first = all.messages.at(-1);
      expect(first).to.include({ actor_type: 'user', actor_id: first.user_id, message_type: 'normal' });
      expect(first).to.include.keys('app_id', 'channel_id', 'created_time', 'message_parts');

      const third = all.messages.find((message: Json) => message.id === ids[2]);
      const since = await api(
        'GET', `/conversations/${conversationId}/messages?from_time=${encodeURIComponent(third.created_time)}`,
      );
      expect(since.body.messages.map((message: Json) => message.id)).to.deep.equal([ids[4], ids[3], ids[2]]);

      const badTime = await api('GET', `/conversations/${conversationId}/messages?from_time=yesterday`);
      expect(badTime.status).to.equal(400);
    });

    it('gets a conversation without assigned_* while unassigned, with a url to the sandbox page', async () => {
      const { conversationId, userId } = await newConversation('hello');
      const { status, body } = await api('GET', `/conversations/${conversationId}`);
      expect(status).to.equal(200);
      expect(body).to.include({ conversation_id: conversationId, status: 'new', user_id: userId });
      expect(body).to.not.have.any.keys('assigned_agent_id', 'assigned_group_id');
      expect(body).to.include.keys('conversation_internal_id', 'app_id', 'channel_id', 'properties', 'created_time', 'updated_time');
      expect(body.url).to.equal(`${sandbox.baseUrl}/?conversation=${conversationId}`);
      const page = await fetch(body.url);
      expect(page.headers.get('content-type')).to.match(/text\/html/);
      expect(await page.text()).to.include('Freshchat sandbox');
    });

    it('updates a conversation: assign, same agent again, unassign with "", group, resolve, reopen; each with its webhook', async () => {
      const { conversationId } = await newConversation();
      const put = (body: unknown) => api('PUT', `/conversations/${conversationId}`, body);

      const assigned = await put({ status: 'assigned', assigned_agent_id: sandbox.aiAgentId });
      expect(assigned.status).to.equal(200);
      expect(assigned.body).to.include({ status: 'assigned', assigned_agent_id: sandbox.aiAgentId });
      await put({ status: 'assigned', assigned_agent_id: sandbox.aiAgentId }); // Freshchat re-sends for the same agent

      const unassigned = await put({ status: 'new', assigned_agent_id: '' });
      expect(unassigned.body.status).to.equal('new');
      expect(unassigned.body).to.not.have.property('assigned_agent_id');
      await put({ status: 'new', assigned_agent_id: '' }); // nothing changes, nothing is sent

      const grouped = await put({ status: 'new', assigned_group_id: supportGroupId });
      expect(grouped.body).to.include({ status: 'new', assigned_group_id: supportGroupId });
      expect(grouped.body).to.not.have.property('assigned_agent_id');

      for (const invalid of [
        { status: 'assigned' },
        { status: 'assigned', assigned_agent_id: '' },
        { status: 'assigned', assigned_agent_id: 'no-such-agent' },
        { status: 'new', assigned_group_id: 'no-such-group' },
        { status: 'closed' },
      ]) {
        const rejected = await put(invalid);
        expect(rejected.status, JSON.stringify(invalid)).to.equal(400);
        expect(rejected.body.status).to.equal('INVALID_VALUE');
      }
      expect((await api('GET', `/conversations/${conversationId}`)).body).to.include({ status: 'new', assigned_group_id: supportGroupId });

      const resolved = await put({ status: 'resolved' });
      expect(resolved.body.status).to.equal('resolved');
      await put({ status: 'resolved' }); // already resolved: no second event
      const reopened = await put({ status: 'new' });
      expect(reopened.body.status).to.equal('reopened');

      await sandbox.drainWebhooks();
      const events = receiver.of(conversationId).map((webhook) => webhook.json);
      expect(events.map((event) => event.action)).to.deep.equal([
        'conversation_assignment', 'conversation_assignment', 'conversation_assignment', 'conversation_assignment',
        'conversation_resolution', 'conversation_reopen',
      ]);
      const [toAi, toAiAgain, toQueue, toGroup, resolution, reopen] = events;
      for (const event of [toAi, toAiAgain, toQueue, toGroup]) {
        expect(event.actor).to.deep.equal({ actor_type: 'system', actor_id: '' });
        expect(event.data.assignment.assignor).to.equal('system');
      }
      expect(toAi.data.assignment).to.include({ to_agent_id: sandbox.aiAgentId, from_agent_id: '', to_group_id: '', from_group_id: '' });
      expect(toAi.data.assignment.conversation).to.include({
        conversation_id: conversationId, status: 'assigned', assigned_agent_id: sandbox.aiAgentId,
      });
      expect(toAiAgain.data.assignment).to.include({ to_agent_id: sandbox.aiAgentId, from_agent_id: sandbox.aiAgentId });
      expect(toQueue.data.assignment).to.include({ to_agent_id: '', from_agent_id: sandbox.aiAgentId });
      expect(toQueue.data.assignment.conversation).to.include({ status: 'new' }).and.not.have.property('assigned_agent_id');
      expect(toGroup.data.assignment).to.include({ to_agent_id: '', to_group_id: supportGroupId, from_group_id: '' });
      expect(resolution.data.resolve).to.include({ resolver: 'system', resolver_id: '' });
      expect(resolution.data.resolve.conversation).to.include({ status: 'resolved', assigned_group_id: supportGroupId });
      expect(reopen.data.reopen.reopener).to.equal('agent');
      expect(reopen.data.reopen.conversation.status).to.equal('reopened');
      expect(reopen.data.reopen.interaction_id).to.match(/^\d+-\d+$/);
      expect(reopen.data.reopen.interaction_id).to.not.equal(resolution.data.resolve.interaction_id);

      // A message after the reopen belongs to the new interaction.
      const after = await postAsAgent(conversationId, 'welcome back');
      expect(after.body.interaction_id).to.equal(reopen.data.reopen.interaction_id);
    });

    it('pages agents 50 at a time across 2 pages; the AI agent and reps are there', async () => {
      const first = await api('GET', '/agents?items_per_page=100');
      expect(first.body.agents).to.have.length(50); // capped at 50
      expect(first.body.pagination).to.deep.equal({ total_items: 63, total_pages: 2, current_page: 1 });
      expect(first.body.links.next_page.href).to.be.a('string');

      const second = await api('GET', first.body.links.next_page.href);
      expect(second.status).to.equal(200);
      expect(second.body.agents).to.have.length(13);
      expect(second.body.pagination.current_page).to.equal(2);
      expect(second.body.links).to.not.have.property('next_page');

      const all: Json[] = [...first.body.agents, ...second.body.agents];
      expect(new Set(all.map((agent) => agent.id)).size).to.equal(63);
      const ai = all.find((agent) => agent.email === AI_AGENT_EMAIL);
      expect(ai).to.include({ id: sandbox.aiAgentId, first_name: 'AI', last_name: 'Assistant', is_deactivated: false });
      expect(ai).to.include({ availability_status: 'AVAILABLE' });
      expect(ai.groups).to.be.an('array');
      expect(sandbox.reps.map((rep) => rep.email)).to.deep.equal(['alice@sandbox.test', 'bob@sandbox.test']);
      for (const rep of sandbox.reps) expect(all.find((agent) => agent.id === rep.id)?.email).to.equal(rep.email);

      expect((await api('GET', `/agents/${sandbox.aiAgentId}`)).body.email).to.equal(AI_AGENT_EMAIL);
      expect((await api('GET', '/agents/unknown')).body).to.include({ code: 404, status: 'NOT_FOUND' });
    });

    it('lists groups and channels', async () => {
      const groups = (await api('GET', '/groups')).body;
      expect(groups.groups.map((group: Json) => group.name)).to.include('Support');
      expect(groups.pagination.total_items).to.equal(groups.groups.length);
      const channels = (await api('GET', '/channels')).body;
      expect(channels.channels).to.have.length(1);
      const { conversationId } = await newConversation();
      expect((await api('GET', `/conversations/${conversationId}`)).body.channel_id).to.equal(channels.channels[0].id);
    });

    it('finds users by email (several may share one), by id, and their conversations', async () => {
      const email = `pat+${Date.now()}@example.com`;
      const first = await newUser({ email, first_name: 'Pat' });
      const second = await newUser({ email, first_name: 'Pat', last_name: 'Again' });
      await newUser({ email: 'someone-else@example.com' });

      const found = await api('GET', `/users?email=${encodeURIComponent(email)}`);
      expect(found.status).to.equal(200);
      expect(found.body.users.map((user: Json) => user.id).sort()).to.deep.equal([first, second].sort());
      expect((await api('GET', `/users?email=${encodeURIComponent('nobody@example.com')}`)).body.users).to.deep.equal([]);

      const user = await api('GET', `/users/${second}`);
      expect(user.body).to.include({ id: second, email, first_name: 'Pat', last_name: 'Again' });
      expect((await api('GET', '/users/unknown')).status).to.equal(404);

      const conversation = (await control('POST', '/conversations', { user_id: first, text: 'hi' })).body;
      const listed = await api('GET', `/users/${first}/conversations`);
      expect(listed.body.conversations).to.have.length(1);
      expect(listed.body.conversations[0]).to.include({ id: conversation.conversation_id, status: 'new' });
      expect((await api('GET', `/users/${second}/conversations`)).body.conversations).to.deep.equal([]);
    });
  });

  describe('webhooks', () => {
    it('signs the exact body with RSA-SHA256, verifiable with the one-line key as pasted', async () => {
      const { conversationId } = await newConversation('Is my order shipped?');
      await sandbox.drainWebhooks();
      const [webhook] = receiver.of(conversationId);
      expect(webhook.headers['content-type']).to.match(/^application\/json/);
      expect(webhook.headers['x-freshchat-payload-version']).to.equal('1');
      expect(webhook.headers['x-retry-count']).to.equal('0');
      const signature = String(webhook.headers['x-freshchat-signature']);

      expect(sandbox.publicKeyOneLine).to.match(/^-----BEGIN RSA PUBLIC KEY----- [A-Za-z0-9+/=]+ -----END RSA PUBLIC KEY-----$/);
      const key = keyFromOneLine(sandbox.publicKeyOneLine);
      expect(signatureIsValid(key, webhook.body, signature)).to.equal(true);
      expect(signatureIsValid(createPublicKey(sandbox.publicKeyPem), webhook.body, signature)).to.equal(true);
      expect(signatureIsValid(key, webhook.body.replace('shipped', 'shipper'), signature)).to.equal(false);

      const served = await fetch(`${sandbox.baseUrl}/sandbox/public-key`);
      expect(served.headers.get('content-type')).to.match(/^text\/plain/);
      expect(await served.text()).to.equal(sandbox.publicKeyOneLine);

      expect(webhook.json).to.include({ action: 'message_create' });
      expect(webhook.json.actor.actor_type).to.equal('user');
      expect(webhook.json.data.message.actor_id).to.equal(webhook.json.data.message.user_id);
    });

    it('retries a failed delivery with the same body and an increasing X-Retry-Count', async () => {
      let failuresLeft = 2;
      receiver.answer = () => (failuresLeft-- > 0 ? 500 : 200);
      const { conversationId } = await newConversation('please retry');
      await sandbox.drainWebhooks();

      const attempts = receiver.of(conversationId);
      expect(attempts.map((webhook) => webhook.headers['x-retry-count'])).to.deep.equal(['0', '1', '2']);
      expect(new Set(attempts.map((webhook) => webhook.body)).size).to.equal(1);
      const key = keyFromOneLine(sandbox.publicKeyOneLine);
      for (const attempt of attempts) {
        expect(signatureIsValid(key, attempt.body, String(attempt.headers['x-freshchat-signature']))).to.equal(true);
      }
      const [delivery] = await deliveriesOf(conversationId);
      expect(delivery).to.include({ status: 'delivered', attempts: 3, last_status_code: 200, action: 'message_create' });
      expect(delivery.body).to.equal(attempts[0].body);
    });

    it('gives up after 5 retries and records the delivery as failed', async () => {
      receiver.answer = () => 503;
      const { conversationId } = await newConversation('nobody home');
      await sandbox.drainWebhooks();
      expect(receiver.of(conversationId).map((webhook) => webhook.headers['x-retry-count'])).to.deep.equal(
        ['0', '1', '2', '3', '4', '5'],
      );
      const [delivery] = await deliveriesOf(conversationId);
      expect(delivery).to.include({ status: 'failed', attempts: 6, last_status_code: 503 });
    });

    it('redelivers a recorded delivery: identical body, next X-Retry-Count', async () => {
      const { conversationId } = await newConversation('again please');
      await sandbox.drainWebhooks();
      const [delivery] = await deliveriesOf(conversationId);
      expect(delivery).to.include({ status: 'delivered', attempts: 1 });

      const redelivered = await control('POST', `/webhooks/${delivery.id}/redeliver`);
      expect(redelivered.status).to.equal(200);
      expect(redelivered.body).to.include({ id: delivery.id, status: 'delivered', attempts: 2 });
      const received = receiver.of(conversationId);
      expect(received).to.have.length(2); // arrived before the redeliver call returned
      expect(received[1].body).to.equal(received[0].body);
      expect(received[1].headers['x-retry-count']).to.equal('1');

      expect((await control('POST', '/webhooks/unknown/redeliver')).status).to.equal(404);
    });

    it('records deliveries as skipped while no webhook URL is set', async () => {
      sandbox.setWebhookUrl('');
      const { conversationId } = await newConversation('into the void');
      await sandbox.drainWebhooks();
      expect(receiver.of(conversationId)).to.have.length(0);
      const [delivery] = await deliveriesOf(conversationId);
      expect(delivery).to.include({ status: 'skipped', attempts: 0, action: 'message_create' });
    });

    it('delivers one conversation in event order, one at a time, and conversations in parallel', async () => {
      receiver.delayMs = 60;
      const a = await newConversation();
      const b = await newConversation();
      let failedFirstOfA = false;
      receiver.answer = (webhook) => {
        // The head of A's queue fails once: A's later events must wait for it.
        if (webhook.conversationId === a.conversationId && !failedFirstOfA) {
          failedFirstOfA = true;
          return 500;
        }
        return 200;
      };
      const sentA: string[] = [];
      const sentB: string[] = [];
      for (let n = 1; n <= 4; n++) {
        sentA.push((await control('POST', `/conversations/${a.conversationId}/customer-messages`, { text: `A${n}` })).body.id);
        sentB.push((await control('POST', `/conversations/${b.conversationId}/customer-messages`, { text: `B${n}` })).body.id);
      }
      await sandbox.drainWebhooks();

      const idsOf = (conversationId: string) => receiver.of(conversationId).map((webhook) => webhook.json.data.message.id);
      expect(idsOf(a.conversationId)).to.deep.equal([sentA[0], ...sentA]); // first one twice: failed, then retried
      expect(idsOf(b.conversationId)).to.deep.equal(sentB);
      expect(receiver.maxConcurrentPerConversation).to.equal(1);
      expect(receiver.maxConcurrent).to.be.at.least(2);
    });
  });

  describe('faults', () => {
    it('answers 429 with Retry-After without performing the request, once', async () => {
      const { conversationId } = await newConversation();
      const armed = await control('POST', '/faults', { method: 'POST', path: '/messages', status: 429, retryAfterSeconds: 7 });
      expect(armed.status).to.equal(201);
      expect(armed.body.id).to.be.a('string');
      expect((await control('GET', '/faults')).body).to.have.length(1).and.to.have.nested.property('[0].remaining', 1);

      const limited = await postAsAgent(conversationId, 'too fast');
      expect(limited.status).to.equal(429);
      expect(limited.headers.get('retry-after')).to.equal('7');
      expect(limited.body).to.include({ code: 429, status: 'TOO_MANY_REQUESTS' });
      expect((await api('GET', `/conversations/${conversationId}/messages`)).body.messages).to.have.length(0);
      const spent = (await control('GET', '/faults')).body;
      expect(spent).to.have.length(1);
      expect(spent[0]).to.include({ id: armed.body.id, remaining: 0, status: 429 });

      expect((await postAsAgent(conversationId, 'now fine')).status).to.equal(201);
      await sandbox.drainWebhooks();
      expect(receiver.of(conversationId).map((webhook) => webhook.json.data.message.message_parts[0].text.content)).to.deep.equal([
        'now fine',
      ]);
    });

    it('answers 503 as many times as asked, only for matching method and path', async () => {
      const { conversationId } = await newConversation();
      await control('POST', '/faults', { method: 'GET', path: `/conversations/${conversationId}$`, status: 503, times: 2 });
      expect((await api('GET', `/conversations/${conversationId}/messages`)).status).to.equal(200); // path does not match
      expect((await api('PUT', `/conversations/${conversationId}`, { properties: { priority: 'Low' } })).status).to.equal(200);
      const first = await api('GET', `/conversations/${conversationId}`);
      expect(first.status).to.equal(503);
      expect(first.body).to.include({ code: 503, status: 'SERVICE_UNAVAILABLE' });
      expect((await api('GET', `/conversations/${conversationId}`)).status).to.equal(503);
      const third = await api('GET', `/conversations/${conversationId}`);
      expect(third.status).to.equal(200);
      expect(third.body.properties).to.deep.equal({ priority: 'Low' });
    });

    it('delays an answer with delayMs', async () => {
      await control('POST', '/faults', { path: '^/v2/agents\\?', delayMs: 400 });
      const started = Date.now();
      const slow = await api('GET', '/agents?page=1');
      expect(slow.status).to.equal(200);
      expect(Date.now() - started).to.be.at.least(390);
      expect((await control('GET', '/faults')).body[0].remaining).to.equal(0); // used up: the next call is not delayed
    });

    it('afterEffect: the message is stored and echoed though the answer never arrives in time', async () => {
      const { conversationId } = await newConversation();
      await control('POST', '/faults', { method: 'POST', path: '/messages$', delayMs: 1500, afterEffect: true });
      const started = Date.now();
      let aborted = false;
      try {
        await fetch(`${sandbox.apiUrl}/conversations/${conversationId}/messages`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ message_parts: [{ text: { content: 'did it post?' } }], actor_type: 'agent', actor_id: sandbox.aiAgentId }),
          signal: AbortSignal.timeout(300), // the worker gives up (or dies) before the answer comes
        });
      } catch {
        aborted = true;
      }
      expect(aborted).to.equal(true);
      expect(Date.now() - started).to.be.below(1400);

      const stored = (await api('GET', `/conversations/${conversationId}/messages`)).body.messages;
      expect(stored.map((message: Json) => message.message_parts[0].text.content)).to.deep.equal(['did it post?']);
      await sandbox.drainWebhooks();
      expect(receiver.of(conversationId).map((webhook) => webhook.json.data.message.id)).to.deep.equal([stored[0].id]);
      await sleep(1300); // let the held answer go out before the next test
    });

    it('afterEffect with a status: performed, then answered with the error', async () => {
      const { conversationId } = await newConversation();
      await control('POST', '/faults', { method: 'POST', path: '/messages$', status: 500, delayMs: 200, afterEffect: true });
      const started = Date.now();
      const failed = await postAsAgent(conversationId, 'half done');
      expect(failed.status).to.equal(500);
      expect(failed.body).to.include({ code: 500, status: 'INTERNAL_SERVER_ERROR' });
      expect(Date.now() - started).to.be.at.least(190);
      expect((await api('GET', `/conversations/${conversationId}/messages`)).body.messages).to.have.length(1);
    });

    it('rejects a fault with neither status nor delay, or a bad regex', async () => {
      expect((await control('POST', '/faults', { path: '/messages' })).status).to.equal(400);
      expect((await control('POST', '/faults', { path: '(', status: 500 })).status).to.equal(400);
    });
  });

  describe('control API', () => {
    it('plays reps in the UI: messages keep the assignment, assign/resolve/reopen carry the agent as actor', async () => {
      const { conversationId, userId } = await newConversation('I need a human');
      const [alice, bob] = sandbox.reps;
      const assign = await control('POST', `/conversations/${conversationId}/assign`, {
        agent_id: sandbox.aiAgentId, assignor_id: alice.id,
      });
      expect(assign.body.conversation).to.include({ status: 'assigned', assigned_agent_id: sandbox.aiAgentId });

      const note = await control('POST', `/conversations/${conversationId}/agent-messages`, {
        agent_id: bob.id, text: 'Looking into it', message_type: 'private',
      });
      expect(note.status).to.equal(201);
      await control('POST', `/conversations/${conversationId}/agent-messages`, { agent_id: bob.id, text: 'Hi, Bob here' });
      await control('POST', `/conversations/${conversationId}/system-messages`, { text: 'Welcome back!' });
      expect((await api('GET', `/conversations/${conversationId}`)).body.assigned_agent_id).to.equal(sandbox.aiAgentId);

      await control('POST', `/conversations/${conversationId}/resolve`, { agent_id: bob.id });
      // A customer writing into a resolved conversation reopens it first.
      await control('POST', `/conversations/${conversationId}/customer-messages`, { text: 'one more thing' });
      expect((await api('GET', `/conversations/${conversationId}`)).body.status).to.equal('reopened');

      await sandbox.drainWebhooks();
      const events = receiver.of(conversationId).map((webhook) => webhook.json);
      expect(events.map((event) => `${event.action}:${event.actor.actor_type}`)).to.deep.equal([
        'message_create:user', 'conversation_assignment:agent', 'message_create:agent', 'message_create:agent',
        'message_create:system', 'conversation_resolution:agent', 'conversation_reopen:user', 'message_create:user',
      ]);
      expect(events[1].actor.actor_id).to.equal(alice.id);
      expect(events[1].data.assignment).to.include({ assignor: 'agent', assignor_id: alice.id, to_agent_id: sandbox.aiAgentId });
      expect(events[2].data.message).to.include({ actor_id: bob.id, message_type: 'private' });
      expect(events[5].data.resolve).to.include({ resolver: 'agent', resolver_id: bob.id });
      expect(events[6].data.reopen).to.include({ reopener: 'user', reopener_id: userId });

      const detail = (await control('GET', `/conversations/${conversationId}`)).body;
      expect(detail.messages.map((message: Json) => message.message_parts[0].text.content)).to.deep.equal([
        'I need a human', 'Looking into it', 'Hi, Bob here', 'Welcome back!', 'one more thing',
      ]);
      expect(detail.conversation.conversation_id).to.equal(conversationId);

      const state = (await control('GET', '/state')).body;
      expect(state.agents.map((agent: Json) => agent.id).sort()).to.deep.equal([sandbox.aiAgentId, alice.id, bob.id].sort());
      expect(state.conversations.map((conversation: Json) => conversation.conversation_id)).to.include(conversationId);
      expect(state.users.map((user: Json) => user.id)).to.include(userId);
    });

    it('sends image parts and moves a conversation to the queue from the UI', async () => {
      const { conversationId } = await newConversation();
      const image = await control('POST', `/conversations/${conversationId}/customer-messages`, { image_url: 'https://example.com/a.png' });
      expect(image.body.message_parts).to.deep.equal([{ image: { url: 'https://example.com/a.png' } }]);
      await control('POST', `/conversations/${conversationId}/assign`, { agent_id: sandbox.reps[0].id });
      const queued = await control('POST', `/conversations/${conversationId}/assign`, { agent_id: '', assignor_id: sandbox.reps[0].id });
      expect(queued.body.conversation.status).to.equal('new');
      expect(queued.body.conversation).to.not.have.property('assigned_agent_id');
      await sandbox.drainWebhooks();
      const lastAssignment = receiver.of(conversationId).at(-1)!.json;
      expect(lastAssignment.data.assignment).to.include({ to_agent_id: '', from_agent_id: sandbox.reps[0].id, assignor: 'agent' });
    });
  });
});
