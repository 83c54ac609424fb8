/**
 * The AI's structured decision for one turn, as the workflow acts on it. The AI providers
 * must produce it; its zod schema (ai/decision-schema.ts) checks what they return, outside
 * the workflow, and is held to this type at compile time.
 */
export const sentimentLevels = ['very_negative', 'negative', 'neutral', 'positive'] as const;
export type Sentiment = (typeof sentimentLevels)[number];

export const aiActions = ['reply', 'escalate', 'resolve'] as const;
export type AiAction = (typeof aiActions)[number];

export interface AiDecision {
  action: AiAction;
  /** Customer-facing text: the answer, or the closing words on resolve. May be empty on escalate. */
  reply: string;
  /** A topic name from the settings file, or "other". */
  topic: string;
  sentiment: Sentiment;
  /** Summary of the session so far, for the private note a rep reads. */
  summary: string;
  /** Why the AI chose this action, in a sentence. */
  reason: string;
  confidence: number;
}

/** Lower index = worse mood; rules compare levels by this order. */
export function sentimentRank(s: Sentiment): number {
  return sentimentLevels.indexOf(s);
}
