import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
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
import { contactIdFor } from '../../activities/freshchat-activities.js';
import { OpenAiProvider } from '../../ai/openai-provider.js';
import { createAiProvider } from '../../ai/create-provider.js';
import { createLogger, redactPaths } from '../../lib/logger.js';
import { patchIds } from '../../workflows/patches.js';
import { createConversationWorker } from '../../worker/create-worker.js';
import { conversationWorkflowId, decisionsQuery, stateQuery } from '../../workflows/messages.js';
import { searchAttributeDefinitions } from '../../workflows/search-attributes.js';
import { capturedLogs } from '../helpers/log-capture.js';
import {
  aiAgentEmail,
  aiReplies,
  customerSays,
  eventually,
  newCustomer,
  repoRoot,
  sandboxCall,
  sandboxToken,
  startConversation,
  startSystem,
  testContactIdSecret,
  textOf,
  workflowHandle,
  workflowState,
  writeTestSettings,
  type TestSystem,
} from '../helpers/system.js';
import { freePort, testServer, type TestServer } from '../helpers/temporal-server.js';

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
      if (isPatchMarkerData(path, object.data) || isLocalActivityMarkerData(path, object.data)) return;
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


/**
 * The SDK core writes a `patched()` marker's data itself, in plain JSON and past the codec: the
 * patch id and a flag, nothing of the customer's. Only exactly that shape is exempt.
 */
function isPatchMarkerData(path: string, data: unknown): boolean {
  if (!/markerRecordedEventAttributes\.details\.patch-data\.payloads\[\d+\]$/.test(path) || typeof data !== 'string') return false;
  const decoded = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, unknown>;
  return Object.keys(decoded).sort().join(',') === 'deprecated,id' && (Object.values(patchIds) as unknown[]).includes(decoded.id);
}

/**
 * Likewise a local activity's marker data: which activity, its attempt and times, in plain
 * JSON; its result travels beside it (`details.result`) through the codec like any payload.
 */
const localActivityMarkerKeys = ['activity_id', 'activity_type', 'attempt', 'backoff', 'complete_time', 'original_schedule_time', 'seq'];
function isLocalActivityMarkerData(path: string, data: unknown): boolean {
  if (!/markerRecordedEventAttributes\.details\.data\.payloads\[\d+\]$/.test(path) || typeof data !== 'string') return false;
  const decoded = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, unknown>;
  return Object.keys(decoded).every((key) => localActivityMarkerKeys.includes(key)) && typeof decoded.activity_type === 'string' && !/\s/.test(decoded.activity_type);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
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

  describe('the logger (lib/logger.ts)', () => {
    const logLines = (write: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> => {
      const lines: string[] = [];
      write(createLogger('test', { write: (line: string) => void lines.push(line) }));
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    };

    it('redacts tokens, keys, emails and message text at the top level and one level down', () => {
      const secret = `SECRET${randomUUID()}`;
      const [line] = logLines((logger) =>
        logger.info(
          {
            conversationId: 'c-1',
            token: secret, apiKey: secret, authorization: secret, email: secret, text: secret, summary: secret, reply: secret,
            headers: { authorization: `Bearer ${secret}` },
            user: { email: secret, id: 'u-1' },
            message: { message_parts: [{ text: { content: secret } }] },
            request: { body: secret },
          },
          'event',
        ),
      );
      expect(JSON.stringify(line)).not.to.include(secret);
      expect(line).to.include({ conversationId: 'c-1', token: '[redacted]', email: '[redacted]', text: '[redacted]' });
      expect(line!.user).to.deep.equal({ email: '[redacted]', id: 'u-1' });
      expect(redactPaths).to.include.members(['email', '*.email', 'text', '*.text', 'authorization', '*.authorization']);
    });

    it("logs an Error under `error` or `err` with its message and cause (the SDK's `{ error }` used to log as {}), but not its payload details", () => {
      const secret = `SECRET${randomUUID()}`;
      const failure = Object.assign(new Error('Cannot decrypt payload: it was encrypted with key id "A"', { cause: new TypeError('inner cause') }), {
        type: 'SomeFailure',
        details: [{ text: secret }],
      });
      const lines = logLines((logger) => {
        logger.error({ error: failure }, 'Failed to process Workflow Activation');
        logger.error({ err: failure }, 'with err');
        logger.warn({ error: 'a plain string stays as it is' }, 'string');
      });
      for (const line of lines.slice(0, 2)) {
        const error = (line.error ?? line.err) as Record<string, unknown>;
        expect(error).to.include({ type: 'Error', message: 'Cannot decrypt payload: it was encrypted with key id "A"', failureType: 'SomeFailure' });
        expect(error.cause).to.include({ type: 'TypeError', message: 'inner cause' });
        expect(JSON.stringify(line)).not.to.include(secret);
      }
      expect(lines[2]!.error).to.equal('a plain string stays as it is');
    });
  });

  describe('a whole conversation with known secrets', () => {
    const tag = randomUUID().slice(0, 8);
    const secrets = {
      customerText: `my parcel PARCELSECRET${tag} never reached 12 Hidden Lane`,
      followUpText: `FOLLOWUPSECRET${tag}`,
      customerEmail: `casey.private.${tag}@customer-mail.example`,
      aiReply: `AIREPLYSECRET${tag} orders ship within two days`,
      openAiKey: `sk-test-OPENAIKEY${tag}abcdefghijklmnop`,
      freshchatToken: sandboxToken,
      contactIdSecret: testContactIdSecret,
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
            createLogger('worker', capturedLogs),
          ),
      });
      const { sandbox } = system;
      const userId = await newCustomer(sandbox, secrets.customerEmail);
      conversationId = await startConversation(sandbox, secrets.customerText, userId);
      workflowId = conversationWorkflowId(conversationId);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the AI reply', 30_000);
      // A handoff: the note, the summary and the escalation go through activities too; Freshchat refuses
      // the first post of it for good, so that history and logs also hold a failure.
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: `/conversations/${conversationId}/messages`, status: 403, times: 1 });
      await customerSays(sandbox, conversationId, `${secrets.followUpText}: I want to talk to a human`);
      // Escalated comes first, the refused handoff notice right after: wait for both.
      await eventually(async () => {
        const state = await workflowState(system, conversationId);
        return state.state === 'escalated' && state.lastError !== undefined;
      }, 'the handoff and its refused notice', 30_000);
    });
    after(async () => {
      await system?.close();
      await fakeAi?.close();
    });

    it('really carried the secrets through the system (so that their absence below means something)', async () => {
      expect(fakeAi.authorizations).to.include(`Bearer ${secrets.openAiKey}`);
      expect(textOf((await aiReplies(system.sandbox, conversationId))[0]!)).to.equal(secrets.aiReply);
      const state = await workflowState(system, conversationId);
      // The worker did read the customer's email: the contact id is derived from it.
      expect(state.contactId).to.equal(contactIdFor({ email: secrets.customerEmail }, testContactIdSecret));
      // Decoded with the key, the workflow's own data does hold the customer's words.
      const decisions = await workflowHandle(system, conversationId).query(decisionsQuery);
      expect(JSON.stringify(decisions)).to.include(secrets.customerText);
      // The refused post: recorded with ids and codes only.
      expect(state.lastError).to.include({ status: 403 });
      expect(state.lastError!.message).to.include(conversationId);
      expect(leaksOf(JSON.stringify(state.lastError), secrets)).to.deep.equal([]);
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
      expect(paths).to.match(/workflowPropertiesModifiedEventAttributes\.upsertedMemo/);
      // The refused Freshchat post: its message and stack trace travel as encoded attributes, encrypted too.
      expect(paths).to.match(/activityTaskFailedEventAttributes\.failure(\.cause)*\.encodedAttributes/);
      const failures = raw.events.flatMap((e) => (e.activityTaskFailedEventAttributes ? [(e.activityTaskFailedEventAttributes as { failure: { message: string } }).failure] : []));
      expect(failures.length).to.be.greaterThan(0);
      for (const failure of failures) expect(failure.message).to.equal('Encoded failure');
      const plain = payloads.filter((p) => p.encoding !== ENCRYPTED_ENCODING || p.keyId !== encryptionKeyId);
      expect(plain, `payloads not encrypted with key ${encryptionKeyId}`).to.deep.equal([]);
    });

    it('keeps the memo encrypted at rest and readable through the codec', async () => {
      const description = await workflowHandle(system, conversationId).describe();
      expect(Object.keys(description.memo ?? {})).to.deep.equal(['freshchatUrl']);
      expect(String(description.memo?.freshchatUrl)).to.include(conversationId);
      expect(leaksOf(JSON.stringify(description.memo), secrets)).to.deep.equal([]);

      const described = await temporalCli(system.server, 'workflow', 'describe', '-w', workflowId, '-o', 'json', '--no-json-shorthand-payloads');
      expect(leaksOf(described, secrets)).to.deep.equal([]);
      const memo = (JSON.parse(described) as { workflowExecutionInfo: { memo: unknown } }).workflowExecutionInfo.memo;
      const memoPayloads = payloadsIn(memo);
      expect(memoPayloads).to.have.length.greaterThan(0);
      for (const p of memoPayloads) expect(p).to.include({ encoding: ENCRYPTED_ENCODING, keyId: encryptionKeyId });
      // Not even the memo's field value (the Freshchat URL) is readable without the key.
      expect(leaksOf(described, { freshchatUrl: String(description.memo?.freshchatUrl) })).to.deep.equal([]);
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
      expect(String(attributes.FreshchatError)).to.match(/^\w+:403$/); // activity:status
      // Ids, enums, numbers, activity:status, or '' for a cleared value.
      const allowed = /^[A-Za-z0-9_:-]{0,64}$/;
      for (const { name } of searchAttributeDefinitions) {
        for (const value of attributes[name] ?? []) expect(String(value), name).to.match(allowed);
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
      // Error messages are logged (the refused post), and they carry ids, not content.
      const activityFailure = capturedLogs.lines.slice(logsFrom).map((l) => JSON.parse(l) as { msg: string; error?: { message?: string } }).find((l) => l.msg === 'Activity failed');
      expect(activityFailure?.error?.message).to.include(conversationId).and.include('403');
      expect(leaksOf(logs, secrets)).to.deep.equal([]);
    });
  });

  describe('error messages carry ids, not content', () => {
    it('an AI endpoint whose error answer quotes the request (as LiteLLM does): the handoff happens, the text reaches neither logs nor history', async () => {
      const tag = randomUUID().slice(0, 8);
      const text = `my parcel ECHOSECRET${tag} is lost`;
      const echoing = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Array<{ role: string; content: string }> };
          const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `litellm.BadRequestError: Received Messages=[{'role': 'user', 'content': '${last}'}]`, type: 'invalid_request_error', code: 'bad_request' } }));
        });
      });
      await new Promise<void>((resolve) => echoing.listen(0, '127.0.0.1', resolve));
      const baseUrl = `http://127.0.0.1:${(echoing.address() as AddressInfo).port}/v1`;
      const logsFrom = capturedLogs.lines.length;
      const system = await startSystem({
        ai: (settings) =>
          new OpenAiProvider({ baseUrl, apiKey: 'sk-test-echo', model: 'gpt-test', temperature: 0.2, timeoutMs: 5000 }, settings, createLogger('worker', capturedLogs)),
      });
      try {
        const conversationId = await startConversation(system.sandbox, text);
        await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff after the AI failure', 30_000);
        expect((await workflowState(system, conversationId)).escalationRule).to.equal('ai_failure');

        const logs = capturedLogs.lines.slice(logsFrom);
        const aiFailure = logs.map((l) => JSON.parse(l) as { msg: string; error?: string }).find((l) => l.msg === 'AI failed after its retries');
        // The failure is logged, and says what failed (endpoint, status) ...
        expect(aiFailure?.error).to.include('answered 400');
        // ... but not what the customer wrote.
        expect(leaksOf(logs.join('\n'), { text })).to.deep.equal([]);
        expect(leaksOf(await rawHistory(system.server, conversationWorkflowId(conversationId)), { text })).to.deep.equal([]);
      } finally {
        await system.close();
        await new Promise((resolve) => echoing.close(resolve));
      }
    });
  });

  describe('key rotation and unknown key ids', () => {
    const keyA = `A:${randomBytes(32).toString('base64')}`;
    const keyB = `B:${randomBytes(32).toString('base64')}`;
    let system: TestSystem;
    let extraWorker: { worker: Worker; running: Promise<void> } | undefined;

    /** A conversation worker like the system's, but with its own keys. */
    async function startWorkerWithKeys(setting: string): Promise<void> {
      const worker = await createConversationWorker({
        connection: system.server.env.nativeConnection,
        namespace: system.server.namespace,
        taskQueue: system.taskQueue,
        dataConverter: createDataConverter(parseEncryptionKeys(setting)),
        freshchat: { apiUrl: system.sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail },
        routingMode: 'auto',
        provider: createAiProvider({ provider: 'faq' }, system.settings),
        settings: system.settings,
        uiUrl: system.server.uiUrl,
        contactIdSecret: testContactIdSecret,
        store: system.store,
        logger: createLogger('worker', capturedLogs),
        workflowBundle: system.server.bundle,
      });
      extraWorker = { worker, running: worker.run() };
    }

    async function stopExtraWorker(): Promise<void> {
      if (!extraWorker) return;
      extraWorker.worker.shutdown();
      await extraWorker.running;
      extraWorker = undefined;
    }

    const clientWithKeys = (setting: string) =>
      new Client({ connection: system.server.env.connection, namespace: system.server.namespace, dataConverter: createDataConverter(parseEncryptionKeys(setting)) });

    async function failureOf(promise: Promise<unknown>): Promise<Error> {
      try {
        await promise;
      } catch (error) {
        return error as Error;
      }
      throw new Error('expected a failure');
    }

    before(async function () {
      this.timeout(600_000);
      system = await startSystem({ encryptionKeys: parseEncryptionKeys(keyA) });
    });
    after(async () => {
      await stopExtraWorker();
      await system?.close();
    });

    it('a workflow started under key A: B-only clients and workers name the missing key; after a restart with keys B,A it answers again and new payloads carry key id B', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      const workflowId = conversationWorkflowId(conversationId);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the first AI reply', 30_000);

      // A client that has only key B cannot read what was written under A, and says which key it lacks.
      const onlyB = clientWithKeys(keyB);
      const queryError = await failureOf(onlyB.workflow.getHandle(workflowId).query(stateQuery));
      expect(queryError.message).to.include('key id "A"');
      expect(queryError.message).to.include('PAYLOAD_ENCRYPTION_KEYS');
      const describeError = await failureOf(onlyB.workflow.getHandle(workflowId).describe());
      expect(describeError.message).to.include('key id "A"');

      await system.stopWorker();
      // A worker that lacks key A (a rotation done wrong) cannot replay the history: its log names the key it needs.
      const logsFrom = capturedLogs.lines.length;
      await startWorkerWithKeys(keyB);
      await customerSays(sandbox, conversationId, 'How do I return an item?');
      const failure = await eventually(
        async () => capturedLogs.lines.slice(logsFrom).find((line) => line.includes('Failed to process Workflow Activation')),
        'the worker logging the failed activation',
        30_000,
      );
      const { error } = JSON.parse(failure) as { error: { message: string } };
      expect(error.message).to.include('key id "A"').and.include('PAYLOAD_ENCRYPTION_KEYS');
      expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
      await stopExtraWorker();

      // The fix: the new key first, the old one kept. The waiting message is answered; nothing was lost.
      await startWorkerWithKeys(`${keyB},${keyA}`);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the AI answering after the restart', 60_000);

      const bothKeys = clientWithKeys(`${keyB},${keyA}`);
      const state = await bothKeys.workflow.getHandle(workflowId).query(stateQuery);
      expect(state.counters.aiReplies).to.equal(2);
      expect(state.state).to.equal('ai_active');

      // History: the old payloads under A, everything written since the restart under B, nothing in clear.
      const payloads = payloadsIn(JSON.parse(await rawHistoryPayloads(system.server, workflowId)));
      expect(payloads.filter((p) => p.encoding !== ENCRYPTED_ENCODING)).to.deep.equal([]);
      const keyIds = payloads.map((p) => p.keyId);
      expect(keyIds[0]).to.equal('A'); // the workflow input, from the API
      expect(keyIds).to.include('B');
      const lastActivityResult = payloads.filter((p) => /activityTaskCompletedEventAttributes\.result/.test(p.path)).at(-1)!;
      expect(lastActivityResult.keyId).to.equal('B');
      expect(new Set(keyIds)).to.deep.equal(new Set(['A', 'B']));

      // The worker now answers queries under B: a process that still has only A names the key it lacks.
      const queryErrorA = await failureOf(system.client.workflow.getHandle(workflowId).query(stateQuery));
      expect(queryErrorA.message).to.include('key id "B"');
    });
  });

  describe('start-up of the worker and the API as production processes', () => {
    let server: TestServer;
    let baseEnv: Record<string, string>;
    let webhookPublicKey: string;

    before(async function () {
      this.timeout(600_000);
      server = await testServer();
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      webhookPublicKey = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      // Only what is given here: no inherited settings, no .env (the working directory is empty), no Temporal config file.
      const home = mkdtempSync(join(tmpdir(), 'fc-startup-'));
      baseEnv = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        TEMPORAL_TASK_QUEUE: `startup-${randomUUID()}`,
        FRESHCHAT_API_URL: 'http://127.0.0.1:9/v2',
        FRESHCHAT_API_TOKEN: 'startup-token',
        FRESHCHAT_AI_AGENT_EMAIL: 'ai-agent@example.com',
        FRESHCHAT_WEBHOOK_PUBLIC_KEY: webhookPublicKey,
        ASSISTANT_SETTINGS: writeTestSettings(),
        PORT: '0',
        LOG_LEVEL: 'info',
      };
    });

    interface Outcome {
      /** Exit code, or 'running' when the process reached `until` and was stopped by the test. */
      code: number | 'running';
      stdout: string;
      stderr: string;
    }

    /** Runs `node dist/<script>` with exactly `env`; stops it with SIGTERM once stdout matches `until`. */
    function runNode(script: string, env: Record<string, string>, until?: RegExp, timeoutMs = 60_000): Promise<Outcome> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(repoRoot, 'dist', script)], { cwd: env.HOME, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let reached = false;
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${script} neither exited nor printed ${String(until)} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, timeoutMs);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (until && !reached && until.test(stdout)) {
            reached = true;
            child.kill('SIGTERM');
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: reached ? 'running' : (code ?? (signal ? -1 : 0)), stdout, stderr });
        });
      });
    }

    const without = (env: Record<string, string>, ...names: string[]) => Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));

    it('the worker without PAYLOAD_ENCRYPTION_KEYS stops with exit code 1 and a message naming the setting', async () => {
      const outcome = await runNode('worker/main.js', baseEnv);
      expect(outcome.code).to.equal(1);
      expect(outcome.stderr).to.include('PAYLOAD_ENCRYPTION_KEYS').and.include('PAYLOAD_ENCRYPTION=off');
      expect(outcome.stderr).not.to.match(/\n\s+at /); // one message, not a stack trace
      expect(outcome.stdout).not.to.include('worker started');
    });

    it('the API without PAYLOAD_ENCRYPTION_KEYS stops with exit code 1 and a message naming the setting', async () => {
      const outcome = await runNode('api/main.js', baseEnv);
      expect(outcome.code).to.equal(1);
      expect(outcome.stderr).to.include('PAYLOAD_ENCRYPTION_KEYS');
      expect(outcome.stderr).not.to.match(/\n\s+at /);
      expect(outcome.stdout).not.to.include('listening');
    });

    it('with PAYLOAD_ENCRYPTION=off both start, saying encryption is off', async () => {
      const env = { ...baseEnv, PAYLOAD_ENCRYPTION: 'off' };
      const api = await runNode('api/main.js', env, /ops API listening/);
      expect(api.code).to.equal('running');
      expect(api.stderr).not.to.include('PAYLOAD_ENCRYPTION_KEYS');
      expect(api.stdout).to.include('"codecServer":"off"');
      const worker = await runNode('worker/main.js', env, /worker started/, 120_000);
      expect(worker.code).to.equal('running');
      expect(worker.stderr).not.to.include('PAYLOAD_ENCRYPTION_KEYS');
      expect(worker.stdout).to.include('"encryption":"off"');
      // One event a line: the bundler's module summary is not one huge JSON line at start-up.
      expect(worker.stdout).to.include('Workflow bundle created');
      for (const line of worker.stdout.split('\n')) expect(line.length, line.slice(0, 120)).to.be.below(600);
    });

    it('with a key the worker syncs its knowledge at the first start and reads the encrypted result', async () => {
      const env = { ...baseEnv, PAYLOAD_ENCRYPTION_KEYS: `prod-1:${randomBytes(32).toString('base64')}`, TEMPORAL_TASK_QUEUE: `first-sync-${randomUUID()}` };
      const worker = await runNode('worker/main.js', env, /first knowledge sync done/, 120_000);
      expect(worker.code, worker.stderr).to.equal('running');
      expect(worker.stdout).to.include('"synced":["faq"]');
      expect(worker.stdout).not.to.include('could not schedule the knowledge sync');
    });

    it('with a key the API starts and its codec server (on the ops listener only) encrypts under that key id', async () => {
      const key = randomBytes(32).toString('base64');
      const port = await freePort();
      const opsPort = await freePort();
      const env: Record<string, string> = { ...baseEnv, PAYLOAD_ENCRYPTION_KEYS: `prod-1:${key}`, PORT: String(port), OPS_PORT: String(opsPort) };
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'api/main.js')], { cwd: env.HOME, env, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        await eventually(async () => stdout.includes('ops API listening'), 'the API to listen', 30_000);
        const onPublic = await fetch(`http://127.0.0.1:${port}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
        expect(onPublic.status).to.equal(404);
        const res = await fetch(`http://127.0.0.1:${opsPort}/codec/encode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
          body: JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hello"').toString('base64') }] }),
        });
        expect(res.status).to.equal(200);
        const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string> }> };
        expect(Buffer.from(body.payloads[0]!.metadata[METADATA_ENCRYPTION_KEY_ID]!, 'base64').toString()).to.equal('prod-1');
        expect(stdout).to.include('"codecServer":"/codec"');
        expect(stdout).not.to.include(key);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('a bad environment gives ONE message naming every wrong setting, and never echoes a key', async () => {
      const shortKey = randomBytes(16).toString('base64');
      const env = {
        ...without(baseEnv, 'FRESHCHAT_API_TOKEN'),
        FRESHCHAT_API_URL: 'acme.freshchat.com/v2',
        FRESHCHAT_ROUTING_MODE: 'sometimes',
        AI_PROVIDER: 'openai',
      };
      const worker = await runNode('worker/main.js', env);
      expect(worker.code).to.equal(1);
      expect(worker.stderr.match(/Invalid settings/g)).to.have.length(1);
      for (const name of ['FRESHCHAT_API_URL', 'FRESHCHAT_API_TOKEN', 'FRESHCHAT_ROUTING_MODE', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'PAYLOAD_ENCRYPTION_KEYS']) {
        expect(worker.stderr, name).to.include(name);
      }
      // One line per wrong setting (an unparseable URL is not also reported as "not http").
      expect(worker.stderr.match(/FRESHCHAT_API_URL/g)).to.have.length(1);

      // A malformed key is reported by position and id, together with the other problems, without its material.
      const badKey = await runNode('worker/main.js', { ...without(baseEnv, 'FRESHCHAT_API_TOKEN'), PAYLOAD_ENCRYPTION_KEYS: `new:${shortKey}` });
      expect(badKey.code).to.equal(1);
      expect(badKey.stderr.match(/Invalid settings/g)).to.have.length(1);
      expect(badKey.stderr).to.include('FRESHCHAT_API_TOKEN').and.include('PAYLOAD_ENCRYPTION_KEYS').and.include('key id "new"').and.include('16 bytes');
      expect(badKey.stderr).not.to.include(shortKey);

      const api = await runNode('api/main.js', { ...without(baseEnv, 'FRESHCHAT_WEBHOOK_PUBLIC_KEY'), PORT: 'eighty', PAYLOAD_ENCRYPTION: 'maybe' });
      expect(api.code).to.equal(1);
      expect(api.stderr.match(/Invalid settings/g)).to.have.length(1);
      for (const name of ['FRESHCHAT_WEBHOOK_PUBLIC_KEY', 'PORT', 'PAYLOAD_ENCRYPTION']) expect(api.stderr, name).to.include(name);
    });
  });

  describe('local `npm start` (scripts/start.ts): the development key', () => {
    it('generates a dev key on the first start, says so, uses it, and keeps it for the next start', async function () {
      this.timeout(300_000);
      // start.ts runs the dev server on its fixed ports (7233, UI 8233): skip rather than collide with one already running.
      const busy = (await Promise.all([7233, 8233].map(async (port) => ((await portIsFree(port)) ? undefined : port)))).filter(Boolean);
      if (busy.length > 0) {
        console.warn(`      skipped: port(s) ${busy.join(', ')} in use; npm start needs them for its dev server`);
        this.skip();
      }
      const server = await testServer();
      const cwd = mkdtempSync(join(tmpdir(), 'fc-npm-start-'));
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: cwd,
        TEMPORAL_CLI_PATH: server.cliPath,
        PORT: String(await freePort()),
        OPS_PORT: String(await freePort()),
        SANDBOX_PORT: String(await freePort()),
        ASSISTANT_SETTINGS: writeTestSettings(),
      };
      const keyFile = join(cwd, '.data', 'payload-encryption-key');

      const first = await runUntilRunning(cwd, env);
      try {
        expect(first.stdout()).to.include(`Payload encryption: development key generated at ${keyFile}`);
        const setting = readFileSync(keyFile, 'utf8').trim();
        expect(parseEncryptionKeys(setting, keyFile).map((k) => k.id)).to.deep.equal(['dev']);
        expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
        // The running API's codec server encrypts with it.
        expect(await codecKeyIdAt(Number(env.OPS_PORT))).to.equal('dev');
        expect(first.stdout()).not.to.include(setting.split(':')[1]!);

        // What it generated is where the parts run on their own find it: doctor, from a plain shell, is green.
        const localEnv = join(cwd, '.data', 'local.env');
        expect(statSync(localEnv).mode & 0o777).to.equal(0o600);
        expect(readFileSync(localEnv, 'utf8')).to.include('FRESHCHAT_WEBHOOK_PUBLIC_KEY=').and.include(`PAYLOAD_ENCRYPTION_KEYS="${setting}"`);
        const doctor = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
          // The settings file is the operator's own, not generated: the doctor is given the one npm start ran with.
          const child = spawn(process.execPath, [join(repoRoot, 'dist', 'scripts', 'doctor.js')], { cwd, env: { PATH: env.PATH, HOME: cwd, ASSISTANT_SETTINGS: env.ASSISTANT_SETTINGS! }, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
          child.once('close', (code) => resolve({ code, stdout: out }));
        });
        expect(doctor.stdout, doctor.stdout).to.include('All 12 checks passed.');
        expect(doctor.code).to.equal(0);
        expect(doctor.stdout).not.to.include(setting.split(':')[1]!);
      } finally {
        await first.stop();
      }

      const before = readFileSync(keyFile, 'utf8');
      const second = await runUntilRunning(cwd, env);
      try {
        expect(second.stdout()).to.include(`Payload encryption: development key loaded at ${keyFile}`);
        expect(await codecKeyIdAt(Number(env.OPS_PORT))).to.equal('dev');
      } finally {
        await second.stop();
      }
      expect(readFileSync(keyFile, 'utf8')).to.equal(before);
    });

    /** `node dist/scripts/start.js` in its own process group (it starts the dev server as a child), until it says it is running. */
    async function runUntilRunning(cwd: string, env: Record<string, string>) {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'scripts', 'start.js')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT'); // what Ctrl+C does: worker shutdown, then sandbox and dev server stop
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      };
      try {
        await eventually(async () => {
          if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}: ${stderr}`);
          return stdout.includes('Freshchat AI agent is running.');
        }, 'npm start to be running', 180_000);
      } catch (error) {
        await stop();
        throw new Error(`${(error as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
      return { stdout: () => stdout, stop };
    }

    async function codecKeyIdAt(port: number): Promise<string> {
      const res = await fetch(`http://127.0.0.1:${port}/codec/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] }),
      });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string> }> };
      return Buffer.from(body.payloads[0]!.metadata[METADATA_ENCRYPTION_KEY_ID]!, 'base64').toString('utf8');
    }
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
