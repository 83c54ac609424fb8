/**
 * A failed AI call, with what the caller needs to decide on a retry. Temporal-free: the
 * worker's activity maps it to an ApplicationFailure (retryable or not, next retry delay).
 * Messages never contain the API key or customer text.
 */
export class AiProviderError extends Error {
  override name = 'AiProviderError';
  constructor(
    message: string,
    readonly options: {
      retryable: boolean;
      /** From the server's Retry-After header (429), in milliseconds. */
      retryAfterMs?: number;
      /** HTTP status, when the server answered. */
      status?: number;
      /** Stable code, e.g. AI_RATE_LIMITED, AI_MALFORMED_OUTPUT. */
      code: string;
    },
  ) {
    super(message);
  }
}
