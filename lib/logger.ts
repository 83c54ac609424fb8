import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino removes from every log line: credentials, and customer content (emails and
 * message text), so logs carry ids only. Fields are matched at the top level and one level
 * down, which is where this code base puts them.
 */
const sensitiveKeys = [
  'token', 'apiToken', 'apiKey', 'api_key', 'key', 'keys', 'secret', 'password', 'authorization',
  'Authorization', 'email', 'text', 'content', 'reply', 'summary', 'message_parts', 'body',
];
export const redactPaths = [...sensitiveKeys, ...sensitiveKeys.map((k) => `*.${k}`)];

const MAX_CAUSE_DEPTH = 4;

/**
 * An Error as `{ type, message, code?, failureType?, stack?, cause? }`.
 *
 * pino serializes only `err` by itself; any other key holding an Error (the Temporal SDK logs
 * `{ error }`) becomes its enumerable properties, so the message was lost: a worker that cannot
 * decrypt history logged `"error":{}` instead of the missing key id. Enumerable extras such as an
 * ApplicationFailure's `details` are deliberately left out: they are payload data and may hold
 * customer content. Messages are kept: this code base puts ids in error messages, never content.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const error = value as Error & { code?: unknown; type?: unknown };
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  if (typeof error.code === 'string' || typeof error.code === 'number') out.code = error.code;
  // ApplicationFailure's own type ('AiProviderError', 'FreshchatApiError', ...).
  if (typeof error.type === 'string' && error.type !== error.name) out.failureType = error.type;
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

export function createLogger(component: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      base: { component },
      level: process.env.LOG_LEVEL || 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
