import type { Sentiment } from '../workflow-safe/decision.js';
import { FaqProvider, sentimentOf, summarizeSession } from './faq-provider.js';
import type { KnowledgeBase } from './knowledge-base.js';
import type { TranscriptEntry } from './provider.js';

export interface SessionDescription {
  summary: string;
  sentiment: Sentiment;
  /** The knowledge base's topic the customer's words match best, or 'other'. */
  topic: string;
}

export type SessionDescriber = (transcript: TranscriptEntry[]) => SessionDescription;

/**
 * What a note says of a session the AI never described (a handoff phrase on the first message,
 * office hours, ops): an extractive summary, the lexicon sentiment of the customer's messages,
 * and the topic of the knowledge-base entry they match, whatever AI provider is configured.
 */
export function createSessionDescriber(knowledgeBase: KnowledgeBase): SessionDescriber {
  const faq = new FaqProvider(knowledgeBase);
  return (transcript) => {
    const customerText = transcript.filter((e) => e.role === 'customer').map((e) => e.text).join('\n');
    const best = customerText.trim() ? faq.rank(customerText)[0] : undefined;
    return {
      summary: summarizeSession(transcript),
      sentiment: sentimentOf(customerText),
      topic: best && best.score >= faq.minScore ? (best.entry.topic ?? 'other') : 'other',
    };
  };
}
