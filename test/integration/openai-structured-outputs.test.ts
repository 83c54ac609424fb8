import { decisionOf } from '../../ai/provider.js';
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAiProvider } from '../../ai/openai-provider.js';
import { AiProviderError, type AiTurnInput } from '../../ai/provider.js';
import { AiDecisionSchema } from '../../ai/decision-schema.js';
import type { AiDecision } from '../../workflow-safe/decision.js';
import { createLogger } from '../../lib/logger.js';
import { defaultSettingsPath, loadAssistantSettings } from '../../settings/assistant-settings.js';

/**
 * The response_format negotiation against three local OpenAI-compatible servers: one that
 * honours structured outputs, one that knows JSON mode only, one that knows neither.
 */
type Step = 'json_schema' | 'json_object' | 'none';
interface RequestBody {
  response_format?: { type?: string; json_schema?: { name?: string; strict?: unknown; schema?: Record<string, unknown> } };
  messages: Array<{ role: string; content: string }>;
}
type Reply = { status: number; body: unknown };
type Behaviour = (body: RequestBody) => Reply;

interface FakeEndpoint {
  baseUrl: string;
  host: string;
  /** The response_format step of every request, in order. */
  steps: Step[];
  bodies: RequestBody[];
  server: Server;
}

const apiKey = 'sk-test-STRUCTURED-key-0987654321';
const settings = loadAssistantSettings(defaultSettingsPath);
const customerWords = 'Wie lange dauert der Versand nach Berlin?';
const input: AiTurnInput = {
  transcript: [{ role: 'customer', text: customerWords, at: '2025-01-10T10:00:00.000Z' }],
  earlierSummaries: [],
  language: 'de',
  knowledge: [],
};
const goodDecision: AiDecision = {
  action: 'reply',
  reply: 'Standardversand dauert 2–4 Werktage.',
  topic: 'shipping',
  sentiment: 'neutral',
  summary: 'Customer asked how long shipping takes.',
  reason: 'The knowledge base covers shipping times',
  confidence: 0.9,
};
const completion = (decision: unknown): Reply => ({
  status: 200,
  body: { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: typeof decision === 'string' ? decision : JSON.stringify(decision) } }] },
});

const stepOf = (body: RequestBody): Step => (body.response_format === undefined ? 'none' : (body.response_format.type as Step));

/** What a server that honours json_schema checks before answering: a strict schema of the decision. */
function strictDecisionSchemaProblem(body: RequestBody): string | undefined {
  const format = body.response_format;
  if (format?.type !== 'json_schema') return `response_format.type is ${format?.type}`;
  if (format.json_schema?.strict !== true) return 'json_schema.strict is not true';
  if (format.json_schema.name !== 'ai_decision') return 'json_schema.name is not ai_decision';
  const schema = format.json_schema.schema ?? {};
  if (schema.additionalProperties !== false) return 'additionalProperties is not false';
  const required = (schema.required ?? []) as string[];
  const missing = Object.keys(AiDecisionSchema.shape).filter((field) => !required.includes(field));
  if (missing.length > 0) return `required lacks ${missing.join(',')}`;
  if ('$schema' in schema) return '$schema is present';
  return undefined;
}

const behaviours: Record<'structured' | 'jsonModeOnly' | 'plainOnly', Behaviour> = {
  structured: (body) => {
    const problem = strictDecisionSchemaProblem(body);
    return problem ? { status: 500, body: { error: { message: problem, code: 'test_schema_check_failed' } } } : completion(goodDecision);
  },
  // OpenAI's answer for a model without structured outputs.
  jsonModeOnly: (body) =>
    stepOf(body) === 'json_schema'
      ? { status: 400, body: { error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", type: 'invalid_request_error', param: 'response_format', code: null } } }
      : completion(goodDecision),
  // An Ollama-style string error for any response_format.
  plainOnly: (body) => (stepOf(body) === 'none' ? completion(goodDecision) : { status: 400, body: { error: 'json: unknown field "response_format"' } }),
};

async function startEndpoint(behaviour: Behaviour): Promise<FakeEndpoint> {
  const endpoint = { steps: [] as Step[], bodies: [] as RequestBody[] } as unknown as FakeEndpoint;
  endpoint.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody;
      endpoint.steps.push(stepOf(body));
      endpoint.bodies.push(body);
      const reply = behaviour(body);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
  endpoint.host = `127.0.0.1:${(endpoint.server.address() as AddressInfo).port}`;
  endpoint.baseUrl = `http://${endpoint.host}/v1`;
  return endpoint;
}

describe('openai provider: structured outputs and the response_format fallbacks', function () {
  const endpoints: FakeEndpoint[] = [];
  let logLines: string[];
  const fallbackLogs = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'ai_response_format_fallback');

  const provider = (endpoint: FakeEndpoint, model = 'gpt-test') =>
    new OpenAiProvider(
      { baseUrl: endpoint.baseUrl, apiKey, model, temperature: 0.2, timeoutMs: 5000 },
      settings,
      createLogger('openai-provider-test', { write: (line: string) => void logLines.push(line) }),
    );
  const decide = (p: OpenAiProvider) => p.decide(input, new AbortController().signal).then(decisionOf);

  async function endpoint(behaviour: Behaviour): Promise<FakeEndpoint> {
    const started = await startEndpoint(behaviour);
    endpoints.push(started);
    return started;
  }

  beforeEach(() => {
    logLines = [];
  });

  afterEach(() => {
    const logs = logLines.join('\n');
    expect(logs).not.to.contain(apiKey);
    expect(logs).not.to.contain(customerWords);
  });

  after(async () => {
    for (const { server } of endpoints) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('(1) an endpoint that honours json_schema gets the strict decision schema, on every call, and nothing is logged', async () => {
    const structured = await endpoint(behaviours.structured);
    const openai = provider(structured);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);

    expect(structured.steps).to.deep.equal(['json_schema', 'json_schema']);
    expect(strictDecisionSchemaProblem(structured.bodies[0]!)).to.equal(undefined);
    expect(fallbackLogs()).to.deep.equal([]);
  });

  it('(2) an endpoint that refuses json_schema but honours json_object: json_schema → json_object, then json_object directly; logged once', async () => {
    const jsonModeOnly = await endpoint(behaviours.jsonModeOnly);
    const openai = provider(jsonModeOnly);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);
    expect(jsonModeOnly.steps).to.deep.equal(['json_schema', 'json_object']);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);
    expect(jsonModeOnly.steps).to.deep.equal(['json_schema', 'json_object', 'json_object']);
    // The retried request is the same request, one response_format step down.
    expect(jsonModeOnly.bodies[1]!.messages).to.deep.equal(jsonModeOnly.bodies[0]!.messages);

    const logs = fallbackLogs();
    expect(logs).to.have.length(1);
    expect(logs[0]).to.deep.include({ level: 'warn', host: jsonModeOnly.host, model: 'gpt-test', responseFormat: 'json_object' });
  });

  it('(3) an endpoint that refuses any response_format: json_schema → json_object → none, then none directly; logged once', async () => {
    const plainOnly = await endpoint(behaviours.plainOnly);
    const openai = provider(plainOnly);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);
    expect(plainOnly.steps).to.deep.equal(['json_schema', 'json_object', 'none']);
    expect((await decide(openai)).decision).to.deep.equal(goodDecision);
    expect(plainOnly.steps).to.deep.equal(['json_schema', 'json_object', 'none', 'none']);
    expect(plainOnly.bodies[2]).not.to.have.property('response_format');

    const logs = fallbackLogs();
    expect(logs).to.have.length(1);
    expect(logs[0]).to.deep.include({ level: 'warn', host: plainOnly.host, model: 'gpt-test', responseFormat: 'none' });
  });

  it('the step is remembered per model: another model on the same endpoint starts from json_schema again', async () => {
    const jsonModeOnly = await endpoint(behaviours.jsonModeOnly);
    await decide(provider(jsonModeOnly, 'model-a'));
    await decide(provider(jsonModeOnly, 'model-b'));
    expect(jsonModeOnly.steps).to.deep.equal(['json_schema', 'json_object', 'json_schema', 'json_object']);
    expect(fallbackLogs().map((entry) => entry.model)).to.deep.equal(['model-a', 'model-b']);
  });

  it('the repair request goes straight to the step that worked', async () => {
    let answers = 0;
    const jsonModeOnly = await endpoint((body) => {
      const reply = behaviours.jsonModeOnly(body);
      if (reply.status !== 200) return reply;
      return answers++ === 0 ? completion({ ...goodDecision, confidence: 7 }) : reply;
    });
    expect((await decide(provider(jsonModeOnly))).decision).to.deep.equal(goodDecision);
    expect(jsonModeOnly.steps).to.deep.equal(['json_schema', 'json_object', 'json_object']);
    expect(jsonModeOnly.bodies[2]!.messages.at(-1)!.content).to.contain('confidence:');
    expect(fallbackLogs()).to.have.length(1);
  });

  it('a 400 that does not name response_format is an ordinary error: no fallback, nothing remembered', async () => {
    let refuse = true;
    const picky = await endpoint((body) =>
      refuse ? { status: 400, body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } } : behaviours.structured(body),
    );
    const openai = provider(picky);
    const err = await decide(openai).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AiProviderError);
    expect((err as AiProviderError).options).to.deep.include({ status: 400, code: 'AI_BAD_REQUEST', retryable: false });
    expect(picky.steps).to.deep.equal(['json_schema']);

    refuse = false;
    await decide(openai);
    expect(picky.steps).to.deep.equal(['json_schema', 'json_schema']);
    expect(fallbackLogs()).to.deep.equal([]);
  });
});
