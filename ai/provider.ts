import type { AiDecision } from '../workflow-safe/decision.js';
import type { RetrievedChunk } from '../knowledge/types.js';
import type { ToolSettings } from '../settings/tool-schema.js';
import type { ToolCallRequest, ToolStep } from '../workflow-safe/tool-calls.js';

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
  /** The configured tools (settings `tools`). */
  tools?: ToolSettings[];
  /** Whether this step may call one (false at the turn's limit of tool calls: the AI must decide). */
  mayCallTools?: boolean;
  /** The tool calls this turn made so far, oldest first, with what each answered. */
  steps?: ToolStep[];
}

/** The AI's decision for the turn. */
export interface AiDecisionResult {
  /** Valid by AiDecisionSchema. */
  decision: AiDecision;
  /** The article ids the answer used, each among the retrieved chunks' (a made-up one is dropped). */
  sources: string[];
  /** 'faq' or the model name. */
  model: string;
}

/** The AI wants a tool's answer (or action) before it decides. */
export interface AiToolCallResult {
  toolCall: ToolCallRequest;
  model: string;
}

export type AiTurnResult = AiDecisionResult | AiToolCallResult;

/** The decision of a step that was offered no tools (evaluations, doctor): a tool call there is a provider bug. */
export function decisionOf(result: AiTurnResult): AiDecisionResult {
  if ('toolCall' in result) throw new Error(`the AI asked for the tool '${result.toolCall.tool}' although none was offered`);
  return result;
}

export interface AiProvider {
  readonly name: 'faq' | 'openai';
  /**
   * One AI turn. Honours `signal`: stops work (aborts the HTTP call) and rejects with
   * `signal.reason` when aborted, so a Temporal cancellation propagates as itself.
   */
  decide(input: AiTurnInput, signal: AbortSignal): Promise<AiTurnResult>;
}
