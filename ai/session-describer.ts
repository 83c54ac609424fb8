import type { Sentiment } from '../workflow-safe/decision.js';
import type { RetrievedChunk } from '../knowledge/types.js';
import { defaultMinScore, sentimentOf, summarizeSession } from './faq-provider.js';
import type { TranscriptEntry } from './provider.js';

export interface SessionDescription {
  summary: string;
  sentiment: Sentiment;
  /** The knowledge base's topic the customer's words match best, or 'other'. */
  topic: string;
}

export type SessionDescriber = (transcript: TranscriptEntry[]) => Promise<SessionDescription>;

/**
 * What a note says of a session the AI never described (a handoff phrase on the first message,
 * office hours, ops): an extractive summary, the lexicon sentiment of the customer's messages,
 * and the topic of the knowledge article they match best, whatever AI provider is configured.
 */
export function createSessionDescriber(retrieve: (text: string, k: number) => Promise<RetrievedChunk[]>): SessionDescriber {
  return async (transcript) => {
    const customerText = transcript.filter((e) => e.role === 'customer').map((e) => e.text).join('\n');
    const [best] = customerText.trim() ? await retrieve(customerText, 1) : [];
    return {
      summary: summarizeSession(transcript),
      sentiment: sentimentOf(customerText),
      topic: best && best.score >= defaultMinScore ? (best.topic ?? 'other') : 'other',
    };
  };
}
