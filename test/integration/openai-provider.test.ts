import { decisionOf } from '../../ai/provider.js';
import { expect } from 'chai';
import { knowledgeIndexOf } from '../helpers/knowledge.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { OpenAiProvider, chatCompletionsUrl, type OpenAiProviderConfig } from '../../ai/openai-provider.js';
import { retryAfterMsOf } from '../../lib/retry-after.js';
import { createAiProvider } from '../../ai/create-provider.js';
import { AiProviderError, type AiTurnInput } from '../../ai/provider.js';
import type { AiDecision } from '../../workflow-safe/decision.js';
import { createLogger } from '../../lib/logger.js';
import { defaultSettingsPath, loadAssistantSettings } from '../../settings/assistant-settings.js';

/**
 * A local stand-in for an OpenAI-compatible server: it records every request and answers
 * with whatever the test queued for it.
 */
interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    temperature: number;
    response_format: unknown;
    messages: Array<{ role: string; content: string }>;
  };
}
type Responder = (req: IncomingMessage, res: ServerResponse) => void;

const apiKey = 'sk-test-SECRET-key-1234567890';
const settings = loadAssistantSettings(defaultSettingsPath);

const goodDecision: AiDecision = {
  action: 'reply',
  reply: 'Standardversand dauert 2–4 Werktage.',
  topic: 'shipping',
  sentiment: 'neutral',
  summary: 'Customer asked how long shipping takes.',
  reason: 'The knowledge base covers shipping times',
  confidence: 0.87,
};

const completion = (content: string | null) => JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] });

const answer =
  (status: number, body: string, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

const input: AiTurnInput = {
  transcript: [
    { role: 'customer', text: 'Wie lange dauert der Versand?', at: '2025-01-10T10:00:00.000Z' },
    { role: 'ai', text: 'Meinen Sie nach Deutschland?', at: '2025-01-10T10:00:05.000Z' },
    { role: 'customer', text: 'Ja.', at: '2025-01-10T10:00:20.000Z' },
    { role: 'customer', text: 'Nach Berlin.', at: '2025-01-10T10:00:21.000Z' },
  ],
  earlierSummaries: ['Asked about a refund for order 1234 in December.'],
  language: 'de',
  knowledge: (await knowledgeIndexOf(settings)).search('shipping delivery time', 3),
};

describe('openai provider (against a local chat-completions server)', function () {
  let server: Server;
  let baseUrl: string;
  let requests: RecordedRequest[];
  let responders: Responder[];
  let closedBeforeAnswer: boolean[];
  let logLines: string[];

  const provider = (overrides: Partial<OpenAiProviderConfig> = {}) =>
    new OpenAiProvider(
      { baseUrl, apiKey, model: 'gpt-test', temperature: 0.2, timeoutMs: 5000, ...overrides },
      settings,
      createLogger('openai-provider-test', { write: (line: string) => void logLines.push(line) }),
    );

  async function failureOf(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  }

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'],
        });
        const index = closedBeforeAnswer.push(false) - 1;
        res.on('close', () => {
          if (!res.writableEnded) closedBeforeAnswer[index] = true;
        });
        const respond = responders.shift() ?? answer(500, '{"error":{"message":"no responder queued"}}');
        respond(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests = [];
    responders = [];
    closedBeforeAnswer = [];
    logLines = [];
  });

  afterEach(() => {
    expect(logLines.join('\n')).not.to.contain(apiKey);
  });

  it('sends the model, temperature, structured-outputs response format, keys and a complete system prompt', async () => {
    responders.push(answer(200, completion(JSON.stringify(goodDecision))));
    const result = decisionOf(await provider().decide(input, new AbortController().signal));

    expect(result).to.deep.equal({ decision: goodDecision, sources: [], model: 'gpt-test' });
    expect(requests).to.have.length(1);
    const [request] = requests;
    expect(request!.method).to.equal('POST');
    expect(request!.url).to.equal('/v1/chat/completions');
    expect(request!.headers.authorization).to.equal(`Bearer ${apiKey}`);
    expect(request!.headers['api-key']).to.equal(apiKey);
    expect(request!.body).to.deep.include({ model: 'gpt-test', temperature: 0.2 });
    // Structured outputs first; the fallbacks are in openai-structured-outputs.test.ts.
    expect(request!.body.response_format).to.deep.include({ type: 'json_schema' });

    const [system, ...conversation] = request!.body.messages;
    expect(system!.role).to.equal('system');
    expect(system!.content).to.contain(settings.instructions.trim());
    // Only what retrieval found, each with its id and title: never the whole knowledge base.
    expect(input.knowledge.length).to.be.greaterThan(0);
    for (const chunk of input.knowledge) expect(system!.content).to.contain(`[${chunk.articleId}] ${chunk.title}`).and.contain(chunk.text);
    expect(system!.content).not.to.contain('[faq:password-reset]');
    for (const topic of settings.topics) expect(system!.content).to.contain(`- ${topic.name}: ${topic.description}`);
    expect(system!.content).to.contain("Answer in the customer's language (de)");
    expect(system!.content).to.contain('"reply" | "escalate" | "resolve"');
    expect(system!.content).to.contain('"very_negative" | "negative" | "neutral" | "positive"');
    expect(system!.content).to.contain('Asked about a refund for order 1234 in December.');
    // Transcript: customer → user, AI → assistant; consecutive customer bubbles merged.
    expect(conversation).to.deep.equal([
      { role: 'user', content: 'Wie lange dauert der Versand?' },
      { role: 'assistant', content: 'Meinen Sie nach Deutschland?' },
      { role: 'user', content: 'Ja.\n\nNach Berlin.' },
    ]);
  });

  it('keeps the cited article ids that were retrieved and drops a made-up one', async () => {
    const cited = input.knowledge[0]!.articleId;
    responders.push(answer(200, completion(JSON.stringify({ ...goodDecision, sources: [cited, 'faq:made-up', cited] }))));
    const result = decisionOf(await provider().decide(input, new AbortController().signal));
    expect(result.sources).to.deep.equal([cited]);
    expect(result.decision).to.deep.equal(goodDecision);
  });

  it('accepts JSON in a ```json fenced block', async () => {
    responders.push(answer(200, completion(`Here you go:\n\`\`\`json\n${JSON.stringify(goodDecision, null, 2)}\n\`\`\``)));
    const { decision } = decisionOf(await provider().decide(input, new AbortController().signal));
    expect(decision).to.deep.equal(goodDecision);
  });

  it('maps a topic the settings do not list to "other"', async () => {
    responders.push(answer(200, completion(JSON.stringify({ ...goodDecision, topic: 'Weather' }))));
    expect((decisionOf(await provider().decide(input, new AbortController().signal))).decision.topic).to.equal('other');
  });

  it('repairs a malformed answer with exactly one more request that carries the validation error', async () => {
    const bad = JSON.stringify({ ...goodDecision, action: 'answer', confidence: 3 });
    responders.push(answer(200, completion(bad)), answer(200, completion(JSON.stringify(goodDecision))));
    const { decision } = decisionOf(await provider().decide(input, new AbortController().signal));

    expect(decision).to.deep.equal(goodDecision);
    expect(requests).to.have.length(2);
    const repairMessages = requests[1]!.body.messages;
    expect(repairMessages.slice(0, -2)).to.deep.equal(requests[0]!.body.messages);
    expect(repairMessages.at(-2)).to.deep.equal({ role: 'assistant', content: bad });
    const repairRequest = repairMessages.at(-1)!;
    expect(repairRequest.role).to.equal('user');
    expect(repairRequest.content).to.contain('action:').and.contain('confidence:').and.contain('corrected JSON');
  });

  it('fails with AI_MALFORMED_OUTPUT, not retryable, when the repair is malformed too', async () => {
    responders.push(answer(200, completion('I think you should reply nicely.')), answer(200, completion('{"action":"reply"}')));
    const err = await failureOf(provider().decide(input, new AbortController().signal));
    expect(err).to.be.instanceOf(AiProviderError);
    expect((err as AiProviderError).options).to.deep.include({ code: 'AI_MALFORMED_OUTPUT', retryable: false });
    expect((err as AiProviderError).message).to.contain('reply:');
    expect(requests).to.have.length(2);
    expect(requests[1]!.body.messages.at(-1)!.content).to.contain('not valid JSON');
  });

  it('429 with Retry-After: 7 is retryable after 7000 ms', async () => {
    responders.push(answer(429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', { 'retry-after': '7' }));
    const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
    expect(err).to.be.instanceOf(AiProviderError);
    expect(err.options).to.deep.equal({ retryable: true, status: 429, code: 'AI_RATE_LIMITED', retryAfterMs: 7000 });
    expect(err.message).to.contain('429').and.contain('(rate_limit_exceeded)');
    expect(requests).to.have.length(1); // no retries of its own
  });

  it('500 is retryable', async () => {
    responders.push(answer(500, '{"error":{"message":"The server had an error"}}'));
    const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
    expect(err.options).to.deep.include({ retryable: true, status: 500, code: 'AI_SERVER_ERROR' });
    expect(requests).to.have.length(1);
  });

  it('401 is not retryable, and the key never shows in the error', async () => {
    responders.push(answer(401, JSON.stringify({ error: { message: `Incorrect API key provided: ${apiKey}.`, type: 'invalid_request_error', code: 'invalid_api_key' } })));
    const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
    expect(err.options).to.deep.include({ retryable: false, status: 401, code: 'AI_AUTH_FAILED' });
    // The upstream code, not its free text (servers quote requests, i.e. customer words, in their messages).
    expect(err.message).to.contain('401').and.contain('(invalid_api_key)').and.not.contain('Incorrect API key provided');
    expect(err.message).not.to.contain(apiKey);
    expect(inspect(err, { depth: 10 })).not.to.contain(apiKey);
    expect(JSON.stringify(err)).not.to.contain(apiKey);
  });

  describe('error messages carry the host, the status and a clean upstream code only', () => {
    // What a proxy or a faulty server may echo of the request: the customer's words.
    const marker = 'CUSTOMER-SECRET-WORDS';
    const echoing =
      (status: number, error: Record<string, unknown>): Responder =>
      (_req, res) => {
        res.writeHead(status, `Bad Gateway for ${marker} my card 4111`, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `You wrote: ${marker}`, ...error } }));
      };
    const host = () => new URL(baseUrl).host;
    const dirtyCode = `the request "${marker}" could not be processed because of a long story`;

    for (const [status, code] of [[500, 'AI_SERVER_ERROR'], [400, 'AI_BAD_REQUEST']] as const) {
      it(`${status} with a reason phrase and an error body that quote the customer`, async () => {
        responders.push(echoing(status, { type: `invalid request: ${marker}`, code: dirtyCode }));
        const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
        expect(err).to.be.instanceOf(AiProviderError);
        expect(err.options).to.deep.include({ status, code });
        expect(err.message).to.contain(String(status)).and.contain(host());
        expect(err.message).not.to.contain(marker);
        expect(err.message).not.to.contain('Bad Gateway');
        // Neither the code nor the type is a clean token: no upstream detail at all.
        expect(err.message).to.equal(`AI endpoint ${host()} answered ${status}`);
        expect(inspect(err, { depth: 10 })).not.to.contain(marker);
        expect(logLines.join('\n')).not.to.contain(marker);
      });
    }

    it('keeps a clean upstream code next to a reason phrase that quotes the customer', async () => {
      responders.push(echoing(500, { type: 'server_error', code: 'upstream.timeout-2' }));
      const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
      expect(err.message).to.equal(`AI endpoint ${host()} answered 500 (upstream.timeout-2)`);
    });

    it('describes a malformed answer without quoting it (in the error and in the log line)', async () => {
      const quoting = JSON.stringify({ ...goodDecision, action: marker, sentiment: marker, confidence: marker });
      responders.push(answer(200, completion(quoting)), answer(200, completion(`${marker} {`)));
      const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
      expect(err.options.code).to.equal('AI_MALFORMED_OUTPUT');
      expect(err.message).to.contain('not valid JSON').and.not.contain(marker);
      expect(logLines.join('\n')).to.contain('ai_malformed_output').and.contain('action:').and.not.contain(marker);
    });

    it('drops codes that are not tokens: too long, with a colon, with spaces', async () => {
      for (const code of ['x'.repeat(65), `${marker}:private`, 'rate limit']) {
        responders.push(answer(400, JSON.stringify({ error: { message: 'no', code } })));
        const err = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
        expect(err.message, code).to.equal(`AI endpoint ${host()} answered 400`);
      }
    });
  });

  it('400 and 404 are not retryable', async () => {
    responders.push(answer(400, '{"error":{"message":"bad"}}'), answer(404, '{"error":{"message":"model not found"}}'));
    const badRequest = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
    const notFound = (await failureOf(provider().decide(input, new AbortController().signal))) as AiProviderError;
    expect(badRequest.options).to.deep.include({ retryable: false, code: 'AI_BAD_REQUEST' });
    expect(notFound.options).to.deep.include({ retryable: false, code: 'AI_NOT_FOUND' });
  });

  it('a refused connection is retryable', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const port = (unused.address() as AddressInfo).port;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    const err = (await failureOf(provider({ baseUrl: `http://127.0.0.1:${port}/v1` }).decide(input, new AbortController().signal))) as AiProviderError;
    expect(err.options).to.deep.include({ retryable: true, code: 'AI_NETWORK_ERROR' });
    expect(err.message).to.contain('ECONNREFUSED');
  });

  it('a request slower than timeoutMs is a retryable timeout', async () => {
    responders.push(() => {
      /* never answers */
    });
    const err = (await failureOf(provider({ timeoutMs: 200 }).decide(input, new AbortController().signal))) as AiProviderError;
    expect(err.options).to.deep.include({ retryable: true, code: 'AI_TIMEOUT' });
  });

  it('an aborted signal closes the connection before the server answers, and rejects with the abort reason', async () => {
    let answerLater: (() => void) | undefined;
    responders.push((_req, res) => {
      answerLater = () => answer(200, completion(JSON.stringify(goodDecision)))(_req, res);
    });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const pending = provider().decide(input, controller.signal);
    while (requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(reason);

    expect(await failureOf(pending)).to.equal(reason);
    // Give the server a moment to see the socket close.
    for (let i = 0; i < 50 && !closedBeforeAnswer[0]; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closedBeforeAnswer[0]).to.equal(true);
    expect(answerLater).to.be.a('function');
  });

  it('keeps an Azure-style query string after the path', async () => {
    const azureBase = `${baseUrl.replace(/\/v1$/, '')}/openai/deployments/gpt4o?api-version=2024-06-01`;
    responders.push(answer(200, completion(JSON.stringify(goodDecision))));
    decisionOf(await provider({ baseUrl: azureBase }).decide(input, new AbortController().signal));
    expect(requests[0]!.url).to.equal('/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01');
  });

  it('is what createAiProvider builds for provider openai', async () => {
    responders.push(answer(200, completion(JSON.stringify(goodDecision))));
    const built = createAiProvider({ provider: 'openai', baseUrl, apiKey, model: 'gpt-built', temperature: 0 }, settings, createLogger('openai-provider-test', { write: (line: string) => void logLines.push(line) }));
    expect(built.name).to.equal('openai');
    expect((decisionOf(await built.decide(input, new AbortController().signal))).model).to.equal('gpt-built');
  });
});

describe('openai provider helpers', () => {
  it('chatCompletionsUrl appends the path, tolerating a trailing slash', () => {
    expect(chatCompletionsUrl('https://api.openai.com/v1')).to.equal('https://api.openai.com/v1/chat/completions');
    expect(chatCompletionsUrl('http://localhost:8000/v1/')).to.equal('http://localhost:8000/v1/chat/completions');
    expect(chatCompletionsUrl('https://x.openai.azure.com/openai/deployments/d?api-version=2024-06-01')).to.equal(
      'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01',
    );
  });

  it('retryAfterMsOf reads seconds, an HTTP date, and Azure retry-after-ms', () => {
    const now = Date.parse('2025-01-10T10:00:00Z');
    expect(retryAfterMsOf({ 'retry-after': '7' }, now)).to.equal(7000);
    expect(retryAfterMsOf({ 'retry-after': 'Fri, 10 Jan 2025 10:00:30 GMT' }, now)).to.equal(30_000);
    expect(retryAfterMsOf({ 'retry-after': 'Fri, 10 Jan 2025 09:00:00 GMT' }, now)).to.equal(0);
    expect(retryAfterMsOf({ 'retry-after-ms': '1500', 'retry-after': '2' }, now)).to.equal(1500);
    expect(retryAfterMsOf({ 'retry-after': 'soon' }, now)).to.equal(undefined);
    expect(retryAfterMsOf({}, now)).to.equal(undefined);
  });
});
