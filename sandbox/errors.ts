import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../lib/logger.js';

/** Freshchat's `status` word for each HTTP code it answers with. */
const statusWords: Record<number, string> = {
  400: 'INVALID_VALUE',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export function statusWordFor(code: number): string {
  return statusWords[code] ?? (code >= 500 ? 'INTERNAL_SERVER_ERROR' : 'INVALID_VALUE');
}

/** The body Freshchat answers errors with: `{"code":400,"status":"INVALID_VALUE","message":"..."}`. */
export function freshchatErrorBody(code: number, message: string) {
  return { code, status: statusWordFor(code), message };
}

/** Thrown by route handlers; the error middleware turns it into Freshchat's error shape. */
export class FreshchatError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'FreshchatError';
  }
}

export const invalidValue = (message: string) => new FreshchatError(400, message);
export const notFound = (message: string) => new FreshchatError(404, message);

export function sendFreshchatError(res: Response, code: number, message: string): void {
  res.status(code).json(freshchatErrorBody(code, message));
}

/** Parses a request part with a zod schema, or throws a 400 that says what is wrong. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const reasons = result.error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw invalidValue(`Invalid ${what}: ${reasons}`);
}

/**
 * Last middleware of each router: every failure leaves in Freshchat's error shape, including
 * malformed JSON and oversized bodies rejected by express.json().
 */
export function freshchatErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof FreshchatError) return sendFreshchatError(res, err.code, err.message);
    if (err?.type === 'entity.parse.failed') return sendFreshchatError(res, 400, 'Malformed JSON body');
    const httpStatus = typeof err?.status === 'number' ? err.status : 500;
    if (httpStatus >= 400 && httpStatus < 500) {
      return sendFreshchatError(res, httpStatus, String(err?.message ?? 'Bad request'));
    }
    logger.error({ err, method: req.method, path: req.path }, 'sandbox request failed');
    sendFreshchatError(res, 500, 'Internal error in the Freshchat sandbox');
  };
}
