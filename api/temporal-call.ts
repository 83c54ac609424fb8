import { isGrpcServiceError, type Client } from '@temporalio/client';

export type TemporalCallOutcome<T> =
  | { ok: true; value: T }
  /** Temporal could not be reached or did not answer in time: worth a retry. */
  | { ok: false; failure: 'unavailable'; grpcCode?: number }
  /** Temporal refused the request as invalid: a retry gets the same answer. */
  | { ok: false; failure: 'rejected'; reason: string; grpcCode: number };

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
const INVALID_ARGUMENT = 3;
const INTERNAL = 13;
const timedOut = Symbol('timed out');

/**
 * Runs one Temporal call and answers within `deadlineMs` whatever the failure: refused,
 * frozen or unresolvable. The gRPC deadline alone does not bound it (connecting and the
 * client's own retries come on top), so a timer races the call and aborts it; a call that
 * still lands later is harmless, since events are de-duplicated by id in the workflow.
 */
export async function callTemporalWithin<T>(client: Client, deadlineMs: number, run: () => Promise<T>): Promise<TemporalCallOutcome<T>> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(timedOut);
    }, deadlineMs);
  });
  try {
    const call = client.withAbortSignal(abort.signal, () => client.withDeadline(Date.now() + deadlineMs, run));
    call.catch(() => undefined); // when the timer wins, the call's own failure comes later
    const result = await Promise.race([call, deadline]);
    return result === timedOut ? { ok: false, failure: 'unavailable' } : { ok: true, value: result };
  } catch (error) {
    return classifyTemporalFailure(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Only an invalid request is the caller's fault: INVALID_ARGUMENT, or a request the server
 * could not even decode (a lone UTF-16 surrogate in an id arrives as INTERNAL "error
 * unmarshalling request"). Everything else — transport, deadlines, rate limits, a missing
 * namespace or credentials — is ours to fix, and the sender should retry.
 */
export function classifyTemporalFailure(error: unknown): Exclude<TemporalCallOutcome<never>, { ok: true }> {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const grpc = isGrpcServiceError(error) ? error : isGrpcServiceError(cause) ? cause : undefined;
  if (!grpc) return { ok: false, failure: 'unavailable' };
  const details = typeof grpc.details === 'string' ? grpc.details : '';
  if (grpc.code === INVALID_ARGUMENT || (grpc.code === INTERNAL && /unmarshal/i.test(details))) {
    return { ok: false, failure: 'rejected', reason: details.slice(0, 200) || 'invalid request', grpcCode: grpc.code };
  }
  return { ok: false, failure: 'unavailable', grpcCode: grpc.code };
}
