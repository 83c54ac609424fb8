import got, { type Response } from 'got';
import type { z } from 'zod';
import { aiActions, sentimentLevels } from '../workflow-safe/decision.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { retryAfterMsOf } from '../lib/retry-after.js';
import type { AssistantSettings } from '../settings/schema.js';
import { AiProviderError } from './provider-error.js';
import { ModelDecisionSchema, ResponseFormatLadder, refusesResponseFormat, responseFormatOf, type ResponseFormatStep } from './response-format.js';
import type { AiProvider, AiTurnInput, AiTurnResult, TranscriptEntry } from './provider.js';
import type { ToolSettings } from '../settings/tool-schema.js';
import type { ToolCallRequest, ToolStep } from '../workflow-safe/tool-calls.js';

/**
 * Any OpenAI-compatible chat-completions endpoint: OpenAI, Azure OpenAI, vLLM, Ollama,
 * llama.cpp. One HTTP attempt per call: retries, backoff and the overall deadline are the
 * Temporal activity's job, so failures come back as AiProviderError saying whether a retry
 * can help (and after how long, from Retry-After).
 *
 * The request asks for structured outputs (the decision's JSON Schema, strict); an endpoint that
 * refuses them gets JSON mode, then no response_format at all, and the step that worked is
 * remembered per endpoint and model (ai/response-format.ts).
 *
 * The model answers with a JSON object that must pass AiDecisionSchema. A malformed answer
 * gets exactly one repair request (the bad output and the validation error); if that is
 * malformed too, the turn fails with AI_MALFORMED_OUTPUT, which retrying won't fix.
 *
 * The API key is sent in `Authorization: Bearer` (OpenAI and most servers) and `api-key`
 * (Azure). It never appears in an error message or log line.
 */

export interface OpenAiProviderConfig {
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1, or an Azure deployment URL with ?api-version=… */
  baseUrl: string;
  apiKey: string;
  model: string;
  temperature: number;
  /** Timeout of one HTTP request; default 60 s. */
  timeoutMs?: number;
}

const defaultTimeoutMs = 60_000;

type ChatMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string }
  | { role: 'assistant'; content: null; tool_calls: ToolCallMessage[] }
  | { role: 'tool'; tool_call_id: string; content: string };
type ToolCallMessage = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** What one completion answered: text (the decision's JSON), or the model's first tool call. */
type Completion = { content: string; toolCall?: undefined } | { content?: undefined; toolCall: ToolCallMessage['function'] };

/**
 * Every tool gets this extra argument: the model's reason for the call, which a rep reads in the
 * approval note. It is taken off before the arguments are checked against the tool's schema.
 */
const reasonArgument = 'reason_for_call';

export class OpenAiProvider implements AiProvider {
  readonly name = 'openai' as const;
  private readonly url: string;
  private readonly host: string;
  /** host + path: what the response_format step is remembered for. */
  private readonly endpoint: string;
  private readonly responseFormats = new ResponseFormatLadder();

  constructor(
    private readonly config: OpenAiProviderConfig,
    private readonly settings: AssistantSettings,
    private readonly logger: Logger = createLogger('openai-provider'),
  ) {
    this.url = chatCompletionsUrl(config.baseUrl);
    this.host = new URL(this.url).host;
    this.endpoint = `${this.host}${new URL(this.url).pathname}`;
  }

  async decide(input: AiTurnInput, signal: AbortSignal): Promise<AiTurnResult> {
    const messages: ChatMessage[] = [
      { role: 'system', content: buildSystemPrompt(this.settings, input) },
      ...transcriptMessages(input.transcript),
      ...toolStepMessages(input.steps ?? []),
    ];

    const answer = await this.complete(messages, signal, 'decide', input);
    if (answer.toolCall) return { toolCall: toolCallRequestOf(answer.toolCall, input), model: this.config.model };
    const firstAnswer = answer.content;
    const first = parseDecision(firstAnswer);
    if (first.ok) return this.result(first.decision, input);

    this.logger.warn({ event: 'ai_malformed_output', model: this.config.model, problem: first.problem }, 'asking the model to repair its answer');
    const repairMessages: ChatMessage[] = [
      ...messages,
      { role: 'assistant', content: firstAnswer },
      {
        role: 'user',
        content:
          `Your answer was not valid: ${first.problem}. ` +
          'Reply again with only the corrected JSON object, with exactly the fields required, and no other text.',
      },
    ];
    const repairAnswer = await this.complete(repairMessages, signal, 'repair', input);
    const repaired = repairAnswer.toolCall ? ({ ok: false, problem: 'the answer is a tool call, not a decision' } as const) : parseDecision(repairAnswer.content);
    if (repaired.ok) return this.result(repaired.decision, input);
    throw new AiProviderError(`The model's answer was not a valid decision, even after one repair request: ${repaired.problem}`, {
      retryable: false,
      code: 'AI_MALFORMED_OUTPUT',
    });
  }

  /** The model's cited ids count only when they are among the retrieved articles: a made-up id is dropped. */
  private result(answer: ModelDecision, input: AiTurnInput): AiTurnResult {
    const { sources: cited, ...decision } = answer;
    const retrieved = new Set(input.knowledge.map((c) => c.articleId));
    const sources = [...new Set(cited.filter((id) => retrieved.has(id)))];
    return { decision: { ...decision, topic: this.knownTopic(decision.topic) }, sources, model: this.config.model };
  }

  /** The settings' spelling of the topic, or 'other' for one the model made up (it would skew reports). */
  private knownTopic(topic: string): string {
    const wanted = topic.trim().toLowerCase();
    return this.settings.topics.find((t) => t.name.toLowerCase() === wanted)?.name ?? 'other';
  }

  /** One HTTP request with the response_format of `step`. */
  private async post(messages: ChatMessage[], step: ResponseFormatStep, signal: AbortSignal, purpose: 'decide' | 'repair', input: AiTurnInput): Promise<Response<string>> {
    signal.throwIfAborted();
    const responseFormat = responseFormatOf(step);
    const tools = input.tools ?? [];
    const started = performance.now();
    let response: Response<string>;
    try {
      response = await got.post(this.url, {
        headers: { authorization: `Bearer ${this.config.apiKey}`, 'api-key': this.config.apiKey },
        json: {
          model: this.config.model,
          temperature: this.config.temperature,
          messages,
          ...(responseFormat && { response_format: responseFormat }),
          // At the turn's limit the tools stay listed (earlier calls refer to them) but may not be called.
          ...(tools.length > 0 && { tools: tools.map(functionOf), tool_choice: input.mayCallTools && purpose === 'decide' ? 'auto' : 'none' }),
        },
        responseType: 'text',
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: this.config.timeoutMs ?? defaultTimeoutMs },
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw this.requestFailure(err);
    }

    const latencyMs = Math.round(performance.now() - started);
    this.logger.info({ event: 'ai_request', purpose, model: this.config.model, responseFormat: step, status: response.statusCode, latencyMs }, 'AI request answered');
    return response;
  }

  /**
   * One chat completion; returns choices[0].message.content. A 400 refusing the
   * response_format is followed by the same request one step down (at most two more).
   */
  private async complete(messages: ChatMessage[], signal: AbortSignal, purpose: 'decide' | 'repair', input: AiTurnInput): Promise<Completion> {
    let step = this.responseFormats.stepFor(this.endpoint, this.config.model);
    let response = await this.post(messages, step, signal, purpose, input);
    while (step !== 'none' && refusesResponseFormat(response.statusCode, response.body)) {
      step = this.responseFormats.refused(this.endpoint, this.config.model, step);
      response = await this.post(messages, step, signal, purpose, input);
    }
    if (response.statusCode >= 300) throw this.httpFailure(response);
    if (this.responseFormats.answeredWithFallback(this.endpoint, this.config.model, step)) {
      this.logger.warn(
        { event: 'ai_response_format_fallback', host: this.host, model: this.config.model, responseFormat: step },
        step === 'none' ? 'AI endpoint refuses response_format: asking without one from now on' : `AI endpoint refuses structured outputs: using ${step} from now on`,
      );
    }

    const toolCall = input.mayCallTools && purpose === 'decide' ? firstToolCall(response.body) : undefined;
    if (toolCall) return { toolCall };
    const content = messageContent(response.body);
    if (content === undefined) {
      throw new AiProviderError(`AI endpoint ${this.host} answered ${response.statusCode} without a chat completion in the body`, {
        retryable: true,
        status: response.statusCode,
        code: 'AI_BAD_RESPONSE',
      });
    }
    return { content };
  }

  /** The request didn't get an HTTP answer: timeout, refused connection, DNS, TLS. All worth retrying. */
  private requestFailure(err: unknown): AiProviderError {
    const code = (err as { code?: unknown }).code;
    const name = (err as { name?: unknown }).name;
    if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
      return new AiProviderError(`AI endpoint ${this.host} did not answer within ${this.config.timeoutMs ?? defaultTimeoutMs} ms`, {
        retryable: true,
        code: 'AI_TIMEOUT',
      });
    }
    return new AiProviderError(`AI endpoint ${this.host} could not be reached (${typeof code === 'string' ? code : 'network error'})`, {
      retryable: true,
      code: 'AI_NETWORK_ERROR',
    });
  }

  private httpFailure(response: Response<string>): AiProviderError {
    const status = response.statusCode;
    // Host, status and the upstream error's code only. Never its free text nor the reason phrase
    // (response.statusMessage): servers and proxies quote the request (the customer's words) in
    // both, and this message goes to logs and workflow history.
    const code = upstreamErrorCode(response.body);
    const detail = code.startsWith('sk-') || (this.config.apiKey !== '' && code.includes(this.config.apiKey)) ? '' : code;
    const message = `AI endpoint ${this.host} answered ${status}${detail ? ` (${detail})` : ''}`;
    if (status === 429) {
      const retryAfterMs = retryAfterMsOf(response.headers);
      return new AiProviderError(message, { retryable: true, status, code: 'AI_RATE_LIMITED', ...(retryAfterMs !== undefined && { retryAfterMs }) });
    }
    if (status >= 500 || status === 408) return new AiProviderError(message, { retryable: true, status, code: 'AI_SERVER_ERROR' });
    if (status === 401 || status === 403) return new AiProviderError(message, { retryable: false, status, code: 'AI_AUTH_FAILED' });
    if (status === 404) return new AiProviderError(message, { retryable: false, status, code: 'AI_NOT_FOUND' });
    if (status === 400) return new AiProviderError(message, { retryable: false, status, code: 'AI_BAD_REQUEST' });
    return new AiProviderError(message, { retryable: false, status, code: 'AI_HTTP_ERROR' });
  }
}

/**
 * `${baseUrl}/chat/completions`, keeping a query string (Azure's ?api-version=…) after the path.
 */
export function chatCompletionsUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url.toString();
}

function messageContent(body: string): string | undefined {
  try {
    const content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
    // null content (a refusal, a tool call) is an answer that isn't a decision: the repair path handles it.
    return typeof content === 'string' ? content : content === null ? '' : undefined;
  } catch {
    return undefined;
  }
}

/** What the prompt says about tools, when there are any. */
function toolsParagraph(input: AiTurnInput): string {
  if (!input.tools?.length) return '';
  const calls = input.mayCallTools
    ? 'Before you answer, you may call the functions offered to look things up or to act for the customer: one call at a time, only with arguments the customer gave. '
    : 'You may not call another function in this turn: decide now. ';
  return `${calls}A function's answer counts as a fact like the knowledge base. When a function failed or an action was declined, do not claim it worked: escalate.\n\n`;
}

/** choices[0].message.tool_calls[0].function, when the model called a function. */
function firstToolCall(body: string): ToolCallMessage['function'] | undefined {
  try {
    const calls = (JSON.parse(body) as { choices?: Array<{ message?: { tool_calls?: Array<{ type?: string; function?: { name?: unknown; arguments?: unknown } }> } }> })?.choices?.[0]?.message?.tool_calls;
    const call = calls?.find((c) => c.function && typeof c.function.name === 'string');
    if (!call?.function) return undefined;
    return { name: call.function.name as string, arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments ?? {}) };
  } catch {
    return undefined;
  }
}

/** A tool as a function the model may call: its input schema plus the reason argument. */
function functionOf(tool: ToolSettings): { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } } {
  const input = tool.input as { properties?: Record<string, unknown>; required?: string[] };
  const parameters = {
    ...input,
    properties: { ...input.properties, [reasonArgument]: { type: 'string', description: 'Why you call this tool now, in one sentence, for the human agent who may have to approve it' } },
    required: [...(input.required ?? []), reasonArgument],
  };
  const approval = tool.approval === 'rep' ? ' A human agent must approve this action before it runs; the customer is told you are checking with the team.' : '';
  return { type: 'function', function: { name: tool.name, description: `${tool.description}${approval}`, parameters } };
}

/**
 * The model's function call as the workflow takes it: the arguments without the reason. Arguments
 * that are not a JSON object, or a function that is not among the tools, make an invalid call
 * (the workflow tells the model instead of running it).
 */
function toolCallRequestOf(call: ToolCallMessage['function'], input: AiTurnInput): ToolCallRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments || '{}');
  } catch {
    return { tool: call.name, arguments: {}, reason: '', invalid: 'the arguments are not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { tool: call.name, arguments: {}, reason: '', invalid: 'the arguments are not a JSON object' };
  const { [reasonArgument]: reason, ...args } = parsed as Record<string, unknown>;
  const known = (input.tools ?? []).some((t) => t.name === call.name);
  return { tool: call.name, arguments: args, reason: typeof reason === 'string' ? reason.slice(0, 500) : '', ...(!known && { invalid: 'there is no such tool' }) };
}

/** Each earlier tool call of the turn: the assistant's call and the tool's answer (the picked fields, or what went wrong). */
function toolStepMessages(steps: ToolStep[]): ChatMessage[] {
  return steps.flatMap((step, index): ChatMessage[] => {
    const id = `call_${index + 1}`;
    const answer = step.outcome === 'ok' ? (step.result ?? {}) : { error: step.outcome, ...(step.error && { code: step.error }) };
    return [
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: step.tool, arguments: JSON.stringify(step.arguments) } }] },
      { role: 'tool', tool_call_id: id, content: JSON.stringify(answer) },
    ];
  });
}

/**
 * A short token such as `rate_limit_exceeded`: anything longer or with other characters (spaces,
 * quotes, ':') may be text the server copied from the request, so it is dropped, not cut.
 */
const UPSTREAM_CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The `error.code` (else `error.type`) of an OpenAI-style error body when it is a clean token; '' otherwise. */
function upstreamErrorCode(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } | string }).error;
    if (error === undefined || error === null || typeof error !== 'object') return '';
    const code = [error.code, error.type].find((v): v is string => typeof v === 'string' && UPSTREAM_CODE_PATTERN.test(v));
    return code ?? '';
  } catch {
    return '';
  }
}

type ModelDecision = z.infer<typeof ModelDecisionSchema>;
type ParsedDecision = { ok: true; decision: ModelDecision } | { ok: false; problem: string };

/**
 * The model's text as a decision: plain JSON, or JSON inside a ```json fenced block (some
 * local models add one despite response_format). Problems are described without quoting the
 * text, which may contain customer words.
 */
export function parseDecision(content: string): ParsedDecision {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(content);
  const jsonText = (fenced ? fenced[1]! : content).trim();
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch {
    return { ok: false, problem: jsonText ? 'the answer is not valid JSON' : 'the answer is empty' };
  }
  const result = ModelDecisionSchema.safeParse(data);
  if (result.success) return { ok: true, decision: result.data };
  return { ok: false, problem: describeIssues(result.error) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the answer'}: ${issue.message}`)
    .join('; ');
}

/** Customer messages as `user`, the AI's and reps' as `assistant`; runs of one role merged (some chat templates require alternation). */
function transcriptMessages(transcript: TranscriptEntry[]): ChatMessage[] {
  const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (const entry of transcript) {
    const role = entry.role === 'customer' ? 'user' : 'assistant';
    const content = entry.role === 'rep' ? `[Human support agent] ${entry.text}` : entry.text;
    const previous = messages[messages.length - 1];
    if (previous?.role === role) previous.content += `\n\n${content}`;
    else messages.push({ role, content });
  }
  return messages;
}

/**
 * The system prompt: the assistant's instructions, the rules of the JSON answer, the topics,
 * the knowledge retrieved for the customer's latest messages (each with its id, title and
 * URL), the contact's earlier sessions and the language to answer in.
 */
export function buildSystemPrompt(settings: AssistantSettings, input: AiTurnInput): string {
  const topicNames = [...settings.topics.map((t) => t.name), ...(settings.topics.some((t) => t.name === 'other') ? [] : ['other'])];
  const topics = settings.topics.length
    ? settings.topics.map((t) => `- ${t.name}: ${t.description}`).join('\n')
    : '- other: anything';
  const entries = input.knowledge.length
    ? input.knowledge.map((c) => `[${c.articleId}] ${c.title}${c.url ? ` <${c.url}>` : ''} (topic: ${c.topic ?? 'other'})\n${c.text}`).join('\n\n')
    : '(nothing in the knowledge base matches this question)';
  const earlier = input.earlierSummaries.length
    ? input.earlierSummaries.map((s, i) => `${i + 1}. ${s}`).join('\n')
    : '(none)';
  const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(' | ');

  return `${settings.instructions.trim()}

You are the AI agent in a live support chat. For each turn, decide one action:
- "reply": answer the customer, using only facts from the knowledge base below.
- "escalate": hand the conversation to a human agent: when the knowledge base does not cover the question, when the customer asks for a person, or when you are unsure.
- "resolve": the customer confirmed their issue is solved or that they need nothing else; "reply" then holds short closing words.

Answer with one JSON object and nothing else, with exactly these fields:
{
  "action": ${quoted(aiActions)},
  "reply": string,       // customer-facing text (at most 4000 characters); "" when escalating
  "topic": string,       // one of: ${topicNames.join(', ')}
  "sentiment": ${quoted(sentimentLevels)},   // the customer's mood in their latest messages
  "summary": string,     // the session so far, for a human agent taking over (at most 2000 characters)
  "reason": string,      // why you chose this action, one sentence (at most 500 characters)
  "confidence": number,  // 0 to 1: how sure you are that this action and reply are right
  "sources": string[]    // the ids (in square brackets below) of the knowledge articles your reply used; [] if none
}

${toolsParagraph(input)}Answer in the customer's language (${input.language}).

Topics:
${topics}

Knowledge base (the articles that match the customer's latest messages):
${entries}

Summaries of this customer's earlier conversations:
${earlier}`;
}
