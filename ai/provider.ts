import type { AiDecision } from '../workflow-safe/decision.js';
import type { RetrievedChunk } from '../knowledge/types.js';

/**
 * The AI behind one interface: given the session so far, decide reply / escalate / resolve.
 * Providers are Temporal-free; the worker's activity calls `decide` and maps
 * AiProviderError to Temporal failures (retryable or not, Retry-After as the next delay).
 * The factory that picks one from the settings is ./create-provider.ts.
 */

export { AiProviderError } from './provider-error.js';

export interface TranscriptEntry {
  role: 'customer' | 'ai' | 'rep';
  text: string;
  /** ISO timestamp. */
  at: string;
}

export interface AiTurnInput {
  /** This session, oldest first, bounded by the caller (last ~50). */
  transcript: TranscriptEntry[];
  /** The contact's earlier session summaries (may be empty). */
  earlierSummaries: string[];
  /** ISO 639-1 of the customer, e.g. 'en'. */
  language: string;
  /** The knowledge chunks retrieved for the customer's latest messages, best first: all the AI may answer from. */
  knowledge: RetrievedChunk[];
}

export interface AiTurnResult {
  /** Valid by AiDecisionSchema. */
  decision: AiDecision;
  /** The article ids the answer used, each among the retrieved chunks' (a made-up one is dropped). */
  sources: string[];
  /** 'faq' or the model name. */
  model: string;
}

export interface AiProvider {
  readonly name: 'faq' | 'openai';
  /**
   * One AI turn. Honours `signal`: stops work (aborts the HTTP call) and rejects with
   * `signal.reason` when aborted, so a Temporal cancellation propagates as itself.
   */
  decide(input: AiTurnInput, signal: AbortSignal): Promise<AiTurnResult>;
}
