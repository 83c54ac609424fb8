import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { freshchatErrorBody, invalidValue } from './errors.js';

/**
 * Injected misbehaviour of the /v2 API (and of the Freshdesk routes, the help-center website and
 * the sample shop's API), for tests and demos: errors (429 with Retry-After, 5xx), slow answers,
 * and the nastiest one, a request that takes effect but whose answer comes late or as an error
 * (a worker that dies mid-post and retries).
 */
export const faultSpecSchema = z
  .object({
    method: z.string().min(1).optional(),
    /** A regular expression tested against the request's path including the query string (e.g. `/v2/agents?page=2`, `/api/v2/solutions/categories`). */
    path: z.string().min(1),
    status: z.number().int().min(100).max(599).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    times: z.number().int().min(1).default(1),
    /** Perform the request, then delay its answer (and replace it with `status` when given). */
    afterEffect: z.boolean().default(false),
  })
  .refine((spec) => spec.status !== undefined || spec.delayMs !== undefined, {
    message: 'a fault needs a status, a delayMs, or both',
  });

export type FaultSpec = z.output<typeof faultSpecSchema>;

export interface Fault extends FaultSpec {
  id: string;
  /** How many more matching requests this fault will hit. */
  remaining: number;
}

export class FaultRegistry {
  private faults: Array<{ fault: Fault; pattern: RegExp }> = [];

  add(spec: FaultSpec): Fault {
    let pattern: RegExp;
    try {
      pattern = new RegExp(spec.path);
    } catch (error) {
      throw invalidValue(`path is not a valid regular expression: ${(error as Error).message}`);
    }
    const fault: Fault = { ...spec, id: randomUUID(), remaining: spec.times };
    this.faults.push({ fault, pattern });
    return fault;
  }

  /** Forgets every fault; returns how many were still armed. */
  clear(): number {
    const armed = this.faults.filter(({ fault }) => fault.remaining > 0).length;
    this.faults = [];
    return armed;
  }

  list(): Fault[] {
    return this.faults.map(({ fault }) => ({ ...fault }));
  }

  /**
   * The first armed fault matching the request, counted as used. Spent faults stay listed
   * (remaining 0) so a test can check that they were hit.
   */
  take(method: string, pathWithQuery: string): Fault | undefined {
    const entry = this.faults.find(
      ({ fault, pattern }) =>
        fault.remaining > 0 &&
        (!fault.method || fault.method.toUpperCase() === method.toUpperCase()) &&
        pattern.test(pathWithQuery),
    );
    if (!entry) return undefined;
    entry.fault.remaining -= 1;
    return { ...entry.fault };
  }
}

function faultMessage(status: number): string {
  if (status === 429) return 'Rate limit exceeded (simulated by the sandbox)';
  if (status >= 500) return 'Service temporarily unavailable (simulated by the sandbox)';
  return `Request rejected with ${status} (simulated by the sandbox)`;
}

/** Retry-After goes with a fault's error answer when the fault has one. */
function writeFaultHeaders(res: Response, fault: Fault): void {
  if (fault.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(fault.retryAfterSeconds));
}

/**
 * Lets the route run, then holds its answer for `delayMs` and, when the fault has a status,
 * swaps the answer for that error. Headers are only written by `end`, so they can still change.
 */
function holdAnswerAfterEffect(res: Response, fault: Fault, errorBody: FaultErrorBody): void {
  const originalEnd = res.end.bind(res) as (...args: unknown[]) => Response;
  const heldEnd = (...args: unknown[]) => {
    setTimeout(() => {
      if (fault.status === undefined || res.headersSent) {
        originalEnd(...args);
        return;
      }
      for (const header of res.getHeaderNames()) res.removeHeader(header);
      res.statusCode = fault.status;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      writeFaultHeaders(res, fault);
      originalEnd(JSON.stringify(errorBody(fault.status, faultMessage(fault.status))));
    }, fault.delayMs ?? 0);
    return res;
  };
  res.end = heldEnd as Response['end'];
}

/** The error body an injected failure answers with: the shape of the API it imitates. */
export type FaultErrorBody = (status: number, message: string) => unknown;

export function faultMiddleware(registry: FaultRegistry, errorBody: FaultErrorBody = freshchatErrorBody): RequestHandler {
  return async (req, res, next) => {
    const fault = registry.take(req.method, req.originalUrl);
    if (!fault) return next();
    if (fault.afterEffect) {
      holdAnswerAfterEffect(res, fault, errorBody);
      return next();
    }
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.status === undefined) return next();
    writeFaultHeaders(res, fault);
    res.status(fault.status).json(errorBody(fault.status, faultMessage(fault.status)));
  };
}
