import { z } from 'zod';

/**
 * The AI's structured decision for one turn. One schema, imported by the AI providers
 * (which must produce it) and by the workflow (which acts on it).
 */
export const sentimentLevels = ['very_negative', 'negative', 'neutral', 'positive'] as const;
export const SentimentSchema = z.enum(sentimentLevels);
export type Sentiment = z.infer<typeof SentimentSchema>;

export const AiActionSchema = z.enum(['reply', 'escalate', 'resolve']);
export type AiAction = z.infer<typeof AiActionSchema>;

export const AiDecisionSchema = z.object({
  action: AiActionSchema,
  /** Customer-facing text: the answer, or the closing words on resolve. May be empty on escalate. */
  reply: z.string().max(4000),
  /** A topic name from the settings file, or "other". */
  topic: z.string().min(1).max(100),
  sentiment: SentimentSchema,
  /** Summary of the session so far, for the private note a rep reads. */
  summary: z.string().max(2000),
  /** Why the AI chose this action, in a sentence. */
  reason: z.string().max(500),
  confidence: z.number().min(0).max(1),
});
export type AiDecision = z.infer<typeof AiDecisionSchema>;

/** Lower index = worse mood; rules compare levels by this order. */
export function sentimentRank(s: Sentiment): number {
  return sentimentLevels.indexOf(s);
}
