import { failureTypes, type DomainFailure } from '../workflow-safe/failures.js';

export interface AiProviderErrorOptions {
  retryable: boolean;
  /** From the server's Retry-After header (429), in milliseconds. */
  retryAfterMs?: number;
  /** HTTP status, when the server answered. */
  status?: number;
  /** Stable code, e.g. AI_RATE_LIMITED, AI_MALFORMED_OUTPUT. */
  code: string;
}

/**
 * A failed AI call, with what the caller needs to decide on a retry. Temporal-free: the
 * worker's activity turns it into an ApplicationFailure (workflow-safe/failures.ts).
 * Messages never contain the API key or customer text.
 */
export class AiProviderError extends Error implements DomainFailure {
  override name = 'AiProviderError';
  readonly failureType = failureTypes.aiProvider;

  constructor(
    message: string,
    readonly options: AiProviderErrorOptions,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.options.retryable;
  }
  get status(): number | undefined {
    return this.options.status;
  }
  get code(): string {
    return this.options.code;
  }
  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}
