import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { ENCRYPTED_ENCODING, METADATA_ENCRYPTION_KEY_ID } from '../../codec/aes-gcm-codec.js';
import { createDataConverter } from '../../codec/data-converter.js';
import { parseEncryptionKeys } from '../../codec/encryption-keys.js';
import { loadKnowledgeBase } from '../../ai/knowledge-base.js';
import { OpenAiProvider } from '../../ai/openai-provider.js';
import { createAiProvider } from '../../ai/provider.js';
import { createLogger, redactPaths } from '../../lib/logger.js';
import { createConversationWorker } from '../../worker/create-worker.js';
import { conversationWorkflowId, decisionsQuery, stateQuery } from '../../workflows/messages.js';
import { capturedLogs } from '../helpers/log-capture.js';
import {
  aiAgentEmail,
  aiReplies,
  customerSays,
  eventually,
  newCustomer,
  repoRoot,
  sandboxToken,
  startConversation,
  startSystem,
  textOf,
  workflowHandle,
  workflowState,
  writeTestSettings,
  type TestSystem,
} from '../helpers/system.js';
import { testServer, type TestServer } from '../helpers/temporal-server.js';

const run = promisify(execFile);

/** `temporal <args> --address … --namespace default` against the test server, WITHOUT a codec endpoint: what anyone with server access sees. */
async function temporalCli(server: TestServer, ...args: string[]): Promise<string> {
  const { stdout } = await run(server.cliPath, [...args, '--address', server.address, '--namespace', 'default'], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

const rawHistory = (server: TestServer, workflowId: string) => temporalCli(server, 'workflow', 'show', '-w', workflowId, '-o', 'json');
/** Payloads as `{ metadata, data }` objects (base64), even the ones the CLI would otherwise print as decoded JSON. */
const rawHistoryPayloads = (server: TestServer, workflowId: string) =>
  temporalCli(server, 'workflow', 'show', '-w', workflowId, '-o', 'json', '--no-json-shorthand-payloads');

/**
 * Where `secret` occurs in `text`, either literally or inside any base64 string of it (payload
 * data, metadata): a leak is found however the CLI happens to render a payload.
 */
function leaksOf(text: string, secrets: Record<string, string>): string[] {
  const decodedStrings = [...text.matchAll(/"([A-Za-z0-9+/_-]{8,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('latin1'));
  const haystacks = [text, ...decodedStrings];
  return Object.entries(secrets)
    .filter(([, secret]) => haystacks.some((h) => h.includes(secret)))
    .map(([name]) => name);
}

interface RawPayload {
  path: string;
  encoding: string;
  keyId?: string;
}

/**
 * Every payload (an object with `metadata.encoding`) in CLI JSON output, except search attributes:
 * those are indexed by the server and by design never go through a codec.
 */
function payloadsIn(json: unknown): RawPayload[] {
  const found: RawPayload[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((child, i) => visit(child, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    const metadata = object.metadata as Record<string, string> | undefined;
    if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string') {
      const keyId = metadata[METADATA_ENCRYPTION_KEY_ID];
      found.push({ path, encoding: Buffer.from(metadata.encoding, 'base64').toString('utf8'), keyId: keyId === undefined ? undefined : Buffer.from(keyId, 'base64').toString('utf8') });
      return;
    }
    for (const [key, child] of Object.entries(object)) {
      if (/searchAttributes/i.test(key)) continue;
      visit(child, `${path}.${key}`);
    }
  };
  visit(json, '$');
  return found;
}

/** Log lines written since `from` (an index into capturedLogs.lines). */
const logsSince = (from: number) => capturedLogs.lines.slice(from).join('\n');

// ---- a local OpenAI-compatible endpoint -------------------------------------------------------

interface FakeAi {
  baseUrl: string;
  authorizations: string[];
  close(): Promise<void>;
}

/** Answers every chat completion with a reply decision that quotes the customer in `summary` and `reason`, as real models do. */
async function startFakeOpenAi(replyText: string): Promise<FakeAi> {
  const authorizations: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      authorizations.push(String(req.headers.authorization ?? ''));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Array<{ role: string; content: string }> };
      const lastCustomer = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const decision = {
        action: 'reply',
        reply: replyText,
        topic: 'orders',
        sentiment: 'neutral',
        summary: `The customer wrote: ${lastCustomer}`,
        reason: `Answering "${lastCustomer}" from the knowledge base`,
        confidence: 0.9,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'cmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(decision) } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('customer data protection (real Temporal, Freshchat sandbox, real worker and API)', function () {
  this.timeout(180_000);

  describe('a whole conversation with known secrets', () => {
    const tag = randomUUID().slice(0, 8);
    const secrets = {
      customerText: `my parcel PARCELSECRET${tag} never reached 12 Hidden Lane`,
      followUpText: `FOLLOWUPSECRET${tag}`,
      customerEmail: `casey.private.${tag}@customer-mail.example`,
      aiReply: `AIREPLYSECRET${tag} orders ship within two days`,
      openAiKey: `sk-test-OPENAIKEY${tag}abcdefghijklmnop`,
      freshchatToken: sandboxToken,
      encryptionKey: randomBytes(32).toString('base64'),
    };
    const encryptionKeyId = `dp-${tag}`;
    let fakeAi: FakeAi;
    let system: TestSystem;
    let conversationId: string;
    let workflowId: string;
    let logsFrom: number;

    before(async function () {
      this.timeout(600_000);
      logsFrom = capturedLogs.lines.length;
      fakeAi = await startFakeOpenAi(secrets.aiReply);
      system = await startSystem({
        encryptionKeys: parseEncryptionKeys(`${encryptionKeyId}:${secrets.encryptionKey}`),
        ai: (settings) =>
          new OpenAiProvider(
            { baseUrl: fakeAi.baseUrl, apiKey: secrets.openAiKey, model: 'gpt-test', temperature: 0.2, timeoutMs: 10_000 },
            settings,
            loadKnowledgeBase(settings.knowledgeBase),
            createLogger('worker', capturedLogs),
          ),
      });
      const { sandbox } = system;
      const userId = await newCustomer(sandbox, secrets.customerEmail);
      conversationId = await startConversation(sandbox, secrets.customerText, userId);
      workflowId = conversationWorkflowId(conversationId);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the AI reply', 30_000);
      // A handoff: the note, the summary and the escalation go through activities too.
      await customerSays(sandbox, conversationId, `${secrets.followUpText}: I want to talk to a human`);
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff', 30_000);
    });
    after(async () => {
      await system?.close();
      await fakeAi?.close();
    });

    it('really carried the secrets through the system (so that their absence below means something)', async () => {
      expect(fakeAi.authorizations).to.include(`Bearer ${secrets.openAiKey}`);
      expect(textOf((await aiReplies(system.sandbox, conversationId))[0]!)).to.equal(secrets.aiReply);
      const state = await workflowState(system, conversationId);
      expect(state.contactId).to.match(/^ct_[0-9a-f]{24}$/);
      // Decoded with the key, the workflow's own data does hold the customer's words.
      const decisions = await workflowHandle(system, conversationId).query(decisionsQuery);
      expect(JSON.stringify(decisions)).to.include(secrets.customerText);
    });

    it('stores the history encrypted: `temporal workflow show -o json` has no customer text, email, AI reply or secret', async () => {
      const shown = await rawHistory(system.server, workflowId);
      expect(JSON.parse(shown).events.length).to.be.greaterThan(10);
      expect(leaksOf(shown, secrets)).to.deep.equal([]);
      const raw = await rawHistoryPayloads(system.server, workflowId);
      expect(leaksOf(raw, secrets)).to.deep.equal([]);
    });

    it('encrypts every payload in history (inputs, signals, activity inputs and results, memo, failures) under the first key, naming its id', async () => {
      const raw = JSON.parse(await rawHistoryPayloads(system.server, workflowId)) as { events: Array<Record<string, unknown>> };
      const payloads = payloadsIn(raw);
      const paths = payloads.map((p) => p.path).join('\n');
      // The kinds the issue names are all there: workflow input, signal input, activity input and result, memo.
      expect(paths).to.match(/workflowExecutionStartedEventAttributes\.input/);
      expect(paths).to.match(/workflowExecutionSignaledEventAttributes\.input/);
      expect(paths).to.match(/activityTaskScheduledEventAttributes\.input/);
      expect(paths).to.match(/activityTaskCompletedEventAttributes\.result/);
      expect(paths).to.match(/upsertWorkflowSearchAttributesEventAttributes|workflowPropertiesModifiedEventAttributes\.upsertedMemo/);
      const plain = payloads.filter((p) => p.encoding !== ENCRYPTED_ENCODING || p.keyId !== encryptionKeyId);
      expect(plain, `payloads not encrypted with key ${encryptionKeyId}`).to.deep.equal([]);
    });

    it('keeps the memo encrypted at rest and readable through the codec', async () => {
      const description = await workflowHandle(system, conversationId).describe();
      expect(description.memo).to.deep.equal({ freshchatUrl: (description.memo as { freshchatUrl: string }).freshchatUrl });
      expect(String(description.memo?.freshchatUrl)).to.include(conversationId);
      expect(leaksOf(JSON.stringify(description.memo), secrets)).to.deep.equal([]);

      const described = await temporalCli(system.server, 'workflow', 'describe', '-w', workflowId, '-o', 'json', '--no-json-shorthand-payloads');
      expect(leaksOf(described, secrets)).to.deep.equal([]);
      const memo = (JSON.parse(described) as { workflowExtendedInfo?: unknown; executionConfig?: unknown; workflowExecutionInfo: { memo: { fields: Record<string, unknown> } } }).workflowExecutionInfo.memo;
      const memoPayloads = payloadsIn(memo);
      expect(memoPayloads).to.have.length.greaterThan(0);
      for (const p of memoPayloads) expect(p).to.include({ encoding: ENCRYPTED_ENCODING, keyId: encryptionKeyId });
      // Not even the memo's field value (the Freshchat URL) is readable without the key.
      expect(described).not.to.include(conversationId.length > 0 ? `conversations/${conversationId}` : '');
    });

    it('keeps query results encrypted on the wire: a client without the codec sees ciphertext only', async () => {
      const queried = await temporalCli(system.server, 'workflow', 'query', '-w', workflowId, '--type', 'decisions', '-o', 'json', '--no-json-shorthand-payloads');
      expect(leaksOf(queried, secrets)).to.deep.equal([]);
      const payloads = payloadsIn(JSON.parse(queried));
      expect(payloads).to.have.length.greaterThan(0);
      for (const p of payloads) expect(p).to.include({ encoding: ENCRYPTED_ENCODING, keyId: encryptionKeyId });
    });

    it('puts only opaque ids and enums in search attributes (never encrypted)', async () => {
      const description = await workflowHandle(system, conversationId).describe();
      const state = await workflowState(system, conversationId);
      const attributes = description.searchAttributes as Record<string, unknown[]>;
      expect(attributes).to.deep.include({
        FreshchatConversationId: [conversationId],
        ContactId: [state.contactId],
        ConversationState: ['escalated'],
        HandoffRule: ['handoff_phrase'],
        SessionNumber: [1],
      });
      const allowed = /^(?:[A-Za-z0-9_-]{1,64}|\d+)$/;
      for (const [name, values] of Object.entries(attributes)) {
        for (const value of values) expect(String(value), name).to.match(allowed);
      }
      expect(leaksOf(JSON.stringify(attributes), secrets)).to.deep.equal([]);
      const raw = await temporalCli(system.server, 'workflow', 'describe', '-w', workflowId, '-o', 'json');
      expect(leaksOf(raw, secrets)).to.deep.equal([]);
    });

    it('writes no token, key, email or message text to the API, worker or SDK logs', async () => {
      const logs = logsSince(logsFrom);
      // The logs did record this conversation, from the API, the activities, the AI provider and the SDK.
      expect(logs).to.include(`"conversationId":"${conversationId}"`);
      expect(logs).to.match(/"component":"api".*webhook accepted/);
      expect(logs).to.match(/AI request answered/);
      expect(logs).to.match(/"workflowId":"[^"]*"/);
      expect(leaksOf(logs, secrets)).to.deep.equal([]);
    });
  });

  it('control: with PAYLOAD_ENCRYPTION=off the same history shows the customer text (so the checks above can fail)', async () => {
    const plain = await startSystem({ encryptionKeys: null });
    try {
      const text = `How long does shipping take? PLAINCONTROL${randomUUID().slice(0, 8)}`;
      const conversationId = await startConversation(plain.sandbox, text);
      await eventually(async () => (await aiReplies(plain.sandbox, conversationId)).length === 1, 'the AI reply', 30_000);
      const shown = await rawHistory(plain.server, conversationWorkflowId(conversationId));
      expect(leaksOf(shown, { text })).to.deep.equal(['text']);
      const payloads = payloadsIn(JSON.parse(await rawHistoryPayloads(plain.server, conversationWorkflowId(conversationId))));
      expect(payloads.filter((p) => p.encoding === ENCRYPTED_ENCODING)).to.deep.equal([]);
    } finally {
      await plain.close();
    }
  });
});
