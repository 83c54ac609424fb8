/**
 * The failure types that cross from activities into the workflow. Plain constants with no
 * imports, so the workflow bundle may import them as well as the activities.
 */

/** Freshchat refused for good (401, 403, 404, …): the workflow records it and does not loop. */
export const freshchatPermanentFailureType = 'FreshchatPermanentError';
/** A Freshchat call worth retrying (429, 5xx, network) that ran out of retries. */
export const freshchatTransientFailureType = 'FreshchatTransientError';
/** The AI provider failed (HTTP, timeout, a decision that is not valid). */
export const aiProviderFailureType = 'AiProviderError';
/** Anything else that went wrong in the AI's turn. */
export const aiFailureType = 'AiFailure';

export function isFreshchatFailureType(type: string | undefined | null): boolean {
  return type === freshchatPermanentFailureType || type === freshchatTransientFailureType;
}
