/**
 * One activity per configured tool (`tool:<name>`): a thin adapter that sends the company's own
 * API one HTTP request and hands back the response fields the settings let through. One HTTP
 * attempt per activity attempt: retries and their backoff are Temporal's (each failure says
 * whether a retry can help), and every attempt sends the workflow's Idempotency-Key, so the
 * API can tell a retried refund from a second one.
 *
 * Arguments come from the model and may hold customer data; URL paths and queries carry them.
 * Neither they, nor a body, nor a header value (secrets) reach a log line or a failure message:
 * those name the tool, the host, the status and a code.
 */
import type { Readable } from 'node:stream';
import { Context } from '@temporalio/activity';
import got, { RequestError, type PlainResponse } from 'got';
import type { Logger } from '../lib/logger.js';
import { retryAfterMsOf } from '../lib/retry-after.js';
import type { ToolSettings } from '../settings/tool-schema.js';
import { createArgumentValidators, expandHeaders, expandUrl, pickFields, ToolCallError } from '../tools/tool-request.js';
import { toApplicationFailure } from '../workflow-safe/failures.js';
import { toolActivityName, type ToolCallInput, type ToolCallResult } from '../workflow-safe/tool-calls.js';

export interface ToolActivityDeps {
  tools: ToolSettings[];
  /** actions.maxResponseBytes: a larger body is refused before any field is picked. */
  maxResponseBytes: number;
  /** Where `${NAME}` is read, at each call (process.env in the worker). */
  env: Record<string, string | undefined>;
  logger: Logger;
}

export type ToolActivities = Record<string, (input: ToolCallInput) => Promise<ToolCallResult>>;

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

export function createToolActivities(deps: ToolActivityDeps): ToolActivities {
  const { logger, maxResponseBytes } = deps;
  const validate = createArgumentValidators(deps.tools);

  async function callTool(tool: ToolSettings, input: ToolCallInput): Promise<ToolCallResult> {
    const context = Context.current();
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    let status: number | undefined;
    try {
      const problem = validate(tool.name, input.arguments);
      if (problem !== undefined) {
        throw new ToolCallError(`Tool ${tool.name}: invalid arguments: ${problem} (TOOL_INVALID_ARGUMENTS)`, { code: 'TOOL_INVALID_ARGUMENTS', retryable: false });
      }
      const { url, headers } = requestOf(tool, input);
      const host = new URL(url).host;
      const response = await send(tool, url, headers, input, context.cancellationSignal, host);
      status = response.status;
      const result: ToolCallResult = { result: pickFields(response.body, tool.response), status, latencyMs: latency() };
      logger.info({ event: 'tool_call', tool: tool.name, status, latencyMs: result.latencyMs, attempt: context.info.attempt }, 'tool answered');
      return result;
    } catch (error) {
      const latencyMs = latency();
      if (context.cancellationSignal.aborted) {
        logger.info({ event: 'tool_call', tool: tool.name, status, latencyMs, attempt: context.info.attempt, code: 'CANCELLED' }, 'tool call cancelled');
        throw context.cancellationSignal.reason;
      }
      if (!(error instanceof ToolCallError)) {
        // A bug, not an answer of the API: Temporal retries it; its message is not logged (it may quote anything).
        logger.error({ event: 'tool_call', tool: tool.name, status, latencyMs, attempt: context.info.attempt, code: 'TOOL_UNEXPECTED_ERROR' }, 'tool call failed');
        throw error;
      }
      logger.warn({ event: 'tool_call', tool: tool.name, status: error.status, latencyMs, attempt: context.info.attempt, code: error.code }, 'tool call failed');
      throw toApplicationFailure(error);
    }
  }

  /** The URL and headers, with the environment read now: a variable unset since start-up fails this call, not the worker. */
  function requestOf(tool: ToolSettings, input: ToolCallInput): { url: string; headers: Record<string, string> } {
    try {
      const url = expandUrl(tool.request.url, input.arguments, deps.env);
      const configured = Object.entries(expandHeaders(tool.request.headers, deps.env)).map(([name, value]) => [name.toLowerCase(), value]);
      // Set last, so that a header in the settings cannot replace the idempotency key.
      const headers = { ...Object.fromEntries(configured), 'idempotency-key': input.idempotencyKey, accept: 'application/json' };
      return { url, headers };
    } catch (error) {
      if (!(error instanceof ToolCallError)) throw error;
      const what = error.code === 'TOOL_NOT_CONFIGURED' ? 'is not configured' : 'has invalid arguments';
      throw new ToolCallError(`Tool ${tool.name} ${what}: ${error.message} (${error.code})`, { code: error.code, retryable: error.retryable });
    }
  }

  /** One request; the body is read up to maxResponseBytes and must be a JSON object. */
  async function send(
    tool: ToolSettings,
    url: string,
    headers: Record<string, string>,
    input: ToolCallInput,
    signal: AbortSignal,
    host: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const where = `Tool ${tool.name} (${host})`;
    const hasBody = methodsWithBody.has(tool.request.method);
    const stream = got.stream(url, {
      method: tool.request.method,
      headers,
      ...(hasBody && { json: input.arguments }),
      timeout: { request: tool.timeoutSeconds * 1000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
      // A redirect would carry the tool's headers (its secrets) to wherever the API points; the API must answer itself.
      followRedirect: false,
      signal,
    });
    // got ends GET requests itself; a DELETE stream waits for a body that never comes.
    if (!hasBody && tool.request.method !== 'GET') stream.end();

    let status: number | undefined;
    try {
      const response = await new Promise<PlainResponse>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
      status = response.statusCode;
      if (status < 200 || status >= 300) {
        stream.destroy();
        throw statusFailure(where, status, response);
      }
      const tooLarge = () => new ToolCallError(`${where} answered ${status} with a body over ${maxResponseBytes} bytes (TOOL_RESPONSE_TOO_LARGE)`, { code: 'TOOL_RESPONSE_TOO_LARGE', retryable: false, status });
      // A Content-Length counts the encoded bytes; a compressed body is counted as it is decompressed.
      const declared = Number(response.headers['content-length']);
      if (response.headers['content-encoding'] === undefined && Number.isFinite(declared) && declared > maxResponseBytes) {
        stream.destroy();
        throw tooLarge();
      }
      const raw = await readAtMost(stream, maxResponseBytes);
      if (raw === undefined) throw tooLarge();
      const body = jsonObjectOf(raw);
      if (body === undefined) throw new ToolCallError(`${where} answered ${status} with a body that is not a JSON object (TOOL_BAD_RESPONSE)`, { code: 'TOOL_BAD_RESPONSE', retryable: false, status });
      return { status, body };
    } catch (error) {
      stream.destroy();
      if (error instanceof ToolCallError || signal.aborted) throw error;
      throw requestFailure(where, tool, error, status);
    }
  }

  return Object.fromEntries(deps.tools.map((tool) => [toolActivityName(tool.name), (input: ToolCallInput) => callTool(tool, input)]));
}

/**
 * The body, or undefined as soon as it grows past `limit` bytes: the rest is not read (the
 * stream is destroyed, which closes the connection), so a huge or endless answer costs at
 * most `limit` bytes of memory.
 */
async function readAtMost(stream: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function jsonObjectOf(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A non-2xx answer. Its body and reason phrase are not read: APIs quote the request (the arguments) in both. */
function statusFailure(where: string, status: number, response: PlainResponse): ToolCallError {
  const failure = (code: string, retryable: boolean, retryAfterMs?: number) =>
    new ToolCallError(`${where} answered ${status} (${code})`, { code, retryable, status, ...(retryAfterMs !== undefined && { retryAfterMs }) });
  if (status === 429) return failure('TOOL_RATE_LIMITED', true, retryAfterMsOf(response.headers));
  if (status >= 500 || status === 408) return failure('TOOL_SERVER_ERROR', true);
  return failure('TOOL_HTTP_ERROR', false);
}

/** No (complete) HTTP answer: a timeout, or the connection failed (refused, reset, DNS, TLS). Both are worth a retry. */
function requestFailure(where: string, tool: ToolSettings, error: unknown, status: number | undefined): ToolCallError {
  const name = (error as { name?: unknown }).name;
  const code = (error as { code?: unknown }).code;
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new ToolCallError(`${where} did not answer within ${tool.timeoutSeconds} s (TOOL_TIMEOUT)`, { code: 'TOOL_TIMEOUT', retryable: true, status });
  }
  if (!(error instanceof RequestError)) throw error;
  // The system's code only (ECONNREFUSED): got's messages can include the URL.
  const detail = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? ` (${code})` : '';
  return new ToolCallError(`${where} could not be reached${detail} (TOOL_NETWORK_ERROR)`, { code: 'TOOL_NETWORK_ERROR', retryable: true, status });
}
