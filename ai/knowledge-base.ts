import { resolve } from 'node:path';
import { z } from 'zod';
import { readYamlFile } from '../settings/yaml-file.js';

/**
 * The question/answer file format (YAML, so it can carry comments): what a `yaml` knowledge
 * source reads (knowledge/sources/yaml-source.ts), and what the settings loader validates.
 */

const nonEmptyText = z.string().trim().min(1, { error: 'must not be empty' });

export const KnowledgeBaseEntrySchema = z.strictObject({
  /** Stable id; reps see it as the source of an answer. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'must be letters, digits, - _ or . (e.g. shipping-times)' }),
  question: nonEmptyText,
  answer: nonEmptyText.max(4000),
  /** A topic name from the settings file; missing = "other". */
  topic: nonEmptyText.max(100).optional(),
});
export type KnowledgeBaseEntry = z.infer<typeof KnowledgeBaseEntrySchema>;

export const KnowledgeBaseSchema = z
  .strictObject({ entries: z.array(KnowledgeBaseEntrySchema).min(1, { error: 'must have at least one entry' }) })
  .superRefine((kb, ctx) => {
    const seen = new Set<string>();
    kb.entries.forEach((entry, index) => {
      if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: ['entries', index, 'id'], message: `duplicate id '${entry.id}'` });
      seen.add(entry.id);
    });
  });
export type KnowledgeBase = z.infer<typeof KnowledgeBaseSchema>;

export class KnowledgeBaseError extends Error {
  override name = 'KnowledgeBaseError';
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`knowledge base (${path}): ${problems.join('; ')}`);
  }
}

/** Reads and validates a knowledge-base file; throws KnowledgeBaseError naming the file and every bad field. */
export function loadKnowledgeBase(path: string): KnowledgeBase {
  const absolutePath = resolve(path);
  const result = readYamlFile(absolutePath, KnowledgeBaseSchema);
  if (!result.ok) throw new KnowledgeBaseError(absolutePath, result.problems);
  return result.value;
}
