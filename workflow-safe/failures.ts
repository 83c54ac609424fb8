import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';

/**
 * The one taxonomy of failures that cross from activities into the workflow. Activities turn
 * a domain error (FreshchatApiError, AiProviderError, ToolCallError, or any other error of an AI turn) into an
 * ApplicationFailure with `toApplicationFailure`; the workflow reads it back with
 * `readActivityFailure`. Both sides import this file, so a type or a detail is named once.
 */
export const failureTypes = {
  /** Freshchat refused for good (401, 403, 404, …): the workflow records it and does not loop. */
  freshchatPermanent: 'FreshchatPermanentError',
  /** A Freshchat call worth retrying (429, 5xx, network). */
  freshchatTransient: 'FreshchatTransientError',
  /** The AI provider failed (HTTP, timeout, an answer that is not a valid decision). */
  aiProvider: 'AiProviderError',
  /** Anything else that went wrong in an AI turn. */
  ai: 'AiFailure',
  /** A call to one of the company's own APIs (a tool) failed; the code says how and whether a retry helps. */
  tool: 'ToolError',
} as const;
export type FailureType = (typeof failureTypes)[keyof typeof failureTypes];

/** The details every crossing failure carries (no customer text: an HTTP status and a code). */
export interface FailureDetails {
  status?: number;
  code: string;
}

/** What a domain error says about itself; FreshchatApiError and AiProviderError implement it. */
export interface DomainFailure extends FailureDetails {
  readonly message: string;
  readonly failureType: FailureType;
  readonly retryable: boolean;
  /** The server's Retry-After, honoured as the next retry's delay. */
  readonly retryAfterMs?: number;
}

/** A domain error as Temporal carries it. `final` ends the retries even for a retryable error. */
export function toApplicationFailure(error: DomainFailure, options: { final?: boolean } = {}): ApplicationFailure {
  const nonRetryable = !error.retryable || options.final === true;
  const details: FailureDetails = { status: error.status, code: error.code };
  return ApplicationFailure.create({
    message: error.message,
    type: error.failureType,
    details: [details],
    nonRetryable,
    nextRetryDelay: !nonRetryable && error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, 100) : undefined,
  });
}

/** An activity's failure as the workflow sees it; undefined when `error` is not an activity failure. */
export interface CrossedFailure extends FailureDetails {
  /** One of failureTypes, or undefined (a timeout, a cancellation, an error of unknown origin). */
  type?: string;
  message: string;
}

/**
 * An activity's failure arrives wrapped in an ActivityFailure; a local activity's arrives as
 * itself: the ApplicationFailure its code threw, or the TimeoutFailure of its timeout.
 */
export function readActivityFailure(error: unknown): CrossedFailure | undefined {
  if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure || error instanceof TimeoutFailure)) return undefined;
  const reason = error instanceof ActivityFailure ? error.cause : error;
  const cause = reason instanceof ApplicationFailure ? reason : undefined;
  const details = (cause?.details?.[0] ?? {}) as Partial<FailureDetails>;
  return { type: cause?.type ?? undefined, status: details.status, code: details.code ?? cause?.type ?? 'UNKNOWN', message: cause?.message ?? error.message };
}

export function isFreshchatFailure(failure: CrossedFailure | undefined): failure is CrossedFailure {
  return failure?.type === failureTypes.freshchatPermanent || failure?.type === failureTypes.freshchatTransient;
}
