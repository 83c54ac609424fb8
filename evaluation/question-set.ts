/**
 * The labelled question set: questions customers type in chat, each with the help-center
 * article that answers it, or `escalate` when no customer-facing article does (or the customer
 * asks for a person). Used to measure how well the product finds the right article.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { customerVisibleArticles, type HelpCenter } from '../sandbox/help-center.js';

/** Resolved from the source tree: tsc does not copy .yaml files into dist. */
export const defaultQuestionSetPath: string = fileURLToPath(new URL('../../evaluation/questions.yaml', import.meta.url));

export const questionKinds = ['direct', 'paraphrase', 'two-articles', 'unanswerable', 'person', 'other-language'] as const;
export type QuestionKind = (typeof questionKinds)[number];

const articleId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(String);

export const questionSchema = z
  .object({
    q: z.string().min(1),
    /** The article that answers best, or `escalate`. */
    expect: z.union([z.literal('escalate'), articleId]),
    /** Other articles that answer it too (two-articles questions). */
    alsoAccept: z.array(articleId).optional(),
    /** The language the question is written in, when not English. */
    language: z.enum(['de', 'es']).optional(),
    kind: z.enum(questionKinds),
  })
  .strict()
  .superRefine((question, ctx) => {
    const escalates = question.expect === 'escalate';
    if ((question.kind === 'unanswerable' || question.kind === 'person') && !escalates) {
      ctx.addIssue({ code: 'custom', message: `a ${question.kind} question expects escalate` });
    }
    if (question.kind === 'two-articles' && !question.alsoAccept?.length) {
      ctx.addIssue({ code: 'custom', message: 'a two-articles question lists alsoAccept' });
    }
    if (question.kind === 'other-language' && !question.language) {
      ctx.addIssue({ code: 'custom', message: 'an other-language question says its language' });
    }
    if (escalates && question.alsoAccept?.length) {
      ctx.addIssue({ code: 'custom', message: 'an escalate question accepts no article' });
    }
  });

export type LabelledQuestion = z.output<typeof questionSchema>;

const questionSetSchema = z.object({ questions: z.array(questionSchema).min(1) });

export class QuestionSetError extends Error {
  override name = 'QuestionSetError';
}

export function loadQuestionSet(path: string = defaultQuestionSetPath): LabelledQuestion[] {
  const parsed = questionSetSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n  ');
    throw new QuestionSetError(`${path}:\n  ${problems}`);
  }
  return parsed.data.questions;
}

/** The ids a question accepts as a right answer (none for escalate). */
export function acceptedArticleIds(question: LabelledQuestion): string[] {
  return question.expect === 'escalate' ? [] : [question.expect, ...(question.alsoAccept ?? [])];
}

/**
 * Every id the set names must be an article customers may be answered from: published, in a
 * folder open to all. Returns one line per offending question (empty = all fine).
 */
export function unknownOrHiddenArticleIds(questions: LabelledQuestion[], helpCenter: HelpCenter): string[] {
  const answerable = new Set(customerVisibleArticles(helpCenter).map((article) => article.id));
  return questions.flatMap((question, index) =>
    acceptedArticleIds(question)
      .filter((id) => !answerable.has(id))
      .map((id) => `question ${index + 1} (${JSON.stringify(question.q)}) names ${id}, not a published customer-visible article`),
  );
}
