import { z } from 'zod';
import type { Same } from '../lib/same-type.js';
import { aiActions, sentimentLevels, type AiDecision } from '../workflow-safe/decision.js';

/**
 * The schema every AI provider's decision must pass (lengths included) before it reaches the
 * workflow. It lives outside workflow-safe/: zod would otherwise be evaluated again in every
 * new or replayed workflow, which needs only the type.
 */
export const SentimentSchema = z.enum(sentimentLevels);
export const AiActionSchema = z.enum(aiActions);

export const AiDecisionSchema = z.object({
  action: AiActionSchema,
  reply: z.string().max(4000),
  topic: z.string().min(1).max(100),
  sentiment: SentimentSchema,
  summary: z.string().max(2000),
  reason: z.string().max(500),
  confidence: z.number().min(0).max(1),
});

/** Compile-time: the schema parses to exactly the workflow's type. */
export const decisionSchemaMatchesType: Same<z.infer<typeof AiDecisionSchema>, AiDecision> = true;
