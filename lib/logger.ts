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

export function createLogger(component: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      base: { component },
      level: process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
