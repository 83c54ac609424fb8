/**
 * The evaluation harness: the sandbox's help center synced the way the product syncs it (the
 * real freshdesk source and sync into a SQLite store), retrieval over the stored chunks, and
 * one AI turn per labelled question, built the way the assistant activity builds it. Plain
 * functions, so `npm run eval` and the test run the same code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../lib/logger.js';
import { retrievalTextOf } from '../ai/faq-provider.js';
import { decisionOf, type AiProvider, type AiTurnInput, type TranscriptEntry } from '../ai/provider.js';
import { KnowledgeIndex } from '../knowledge/knowledge-index.js';
import { loadChunks } from '../knowledge/knowledge-store.js';
import { freshdeskSource } from '../knowledge/sources/freshdesk-source.js';
import { syncSource, type SourceSyncResult } from '../knowledge/sync.js';
import type { KnowledgeChunk } from '../knowledge/types.js';
import { startSandbox } from '../sandbox/server.js';
import { Store } from '../store/store.js';
import { detectLanguage } from '../lib/language-detection.js';
import { acceptedArticleIds, questionKinds, type LabelledQuestion, type QuestionKind } from './question-set.js';

/** The name the help center's source gets here: article ids are `help-center:<Freshdesk id>`. */
export const helpCenterSourceName = 'help-center';

/** How deep retrieval is read for the ranks behind MRR: far past topK, so a near miss still counts a little. */
const rankDepthChunks = 50;

/** A logger that writes nothing: the sandbox's request lines would bury the report. */
export function quietLogger(component: string): Logger {
  return createLogger(component, { write: () => undefined });
}

export interface SyncedHelpCenter {
  chunks: KnowledgeChunk[];
  sync: SourceSyncResult;
}

/**
 * Starts a sandbox, syncs its help center through the freshdesk source into a fresh SQLite
 * store, and returns the stored chunks. Sandbox and store are gone when it returns.
 */
export async function syncSandboxHelpCenter(signal: AbortSignal = new AbortController().signal): Promise<SyncedHelpCenter> {
  const sandbox = await startSandbox({ apiToken: 'eval-unused-token', aiAgentEmail: 'ai@sandbox.test', logger: quietLogger('freshchat-sandbox') });
  const dir = mkdtempSync(join(tmpdir(), 'fcai-eval-'));
  const store = new Store({ sqlitePath: join(dir, 'knowledge.sqlite') });
  try {
    await store.ready();
    // The source adds /api/v2 itself: it takes the account URL, which is the sandbox's base URL.
    const source = freshdeskSource({ name: helpCenterSourceName, accountUrl: sandbox.baseUrl, apiKey: sandbox.freshdeskApiKey, language: 'en', translations: ['de', 'es'] });
    const sync = await syncSource(store.db, source, { signal });
    return { chunks: await loadChunks(store.db), sync };
  } finally {
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `help-center:5000100001` → `5000100001`: the labels name Freshdesk ids. */
export function freshdeskIdOf(articleId: string): string {
  // A translation's id carries its language ("5000200001/de"): the labels name the article.
  return articleId.slice(articleId.indexOf(':') + 1).split('/')[0]!;
}

/** Articles in the order retrieval ranks them: each at the rank of its best chunk. */
export function rankedArticleIds(index: KnowledgeIndex, text: string, depth = rankDepthChunks): string[] {
  return [...new Set(index.search(text, depth).map((chunk) => freshdeskIdOf(chunk.articleId)))];
}

/** An AI turn's input as the assistant activity builds it for a session's first customer message. */
export function turnInputFor(index: KnowledgeIndex, question: LabelledQuestion, topK: number, defaultLanguage: string): AiTurnInput {
  const transcript: TranscriptEntry[] = [{ role: 'customer', text: question.q, at: '2026-12-01T09:00:00.000Z' }];
  return { transcript, earlierSummaries: [], language: detectLanguage(question.q, defaultLanguage), knowledge: index.search(retrievalTextOf(transcript), topK) };
}

export interface QuestionOutcome {
  question: LabelledQuestion;
  /** 1-based rank of the first accepted article among the ranked articles; undefined when none (or an escalate question). */
  rank?: number;
  action: 'reply' | 'escalate' | 'resolve';
  /** The article ids the provider's answer used (Freshdesk ids). */
  sources: string[];
}

export interface Figures {
  questions: number;
  /** Questions that expect an article: what the retrieval figures are over. */
  articleQuestions: number;
  escalateQuestions: number;
  hitAt1?: number;
  hitAt5?: number;
  mrr?: number;
  /** Replied when an article was expected, escalated when `escalate` was: over all questions. */
  decisionAccuracy: number;
  /** Replied citing an accepted article: over the article questions. */
  rightArticleAnswerRate?: number;
  /** Replied when it should have escalated: over the escalate questions. */
  falseAnswerRate?: number;
}

export interface EvaluationReport {
  provider: string;
  topK: number;
  chunks: number;
  overall: Figures;
  byKind: Partial<Record<QuestionKind, Figures>>;
  outcomes: QuestionOutcome[];
}

export interface EvaluationOptions {
  provider: AiProvider;
  topK: number;
  defaultLanguage?: string;
  signal?: AbortSignal;
}

/** One AI turn per question, in order (the openai provider is a network call: one at a time keeps it gentle). */
export async function evaluateQuestions(index: KnowledgeIndex, questions: LabelledQuestion[], options: EvaluationOptions): Promise<EvaluationReport> {
  const signal = options.signal ?? new AbortController().signal;
  const outcomes: QuestionOutcome[] = [];
  for (const question of questions) {
    const accepted = acceptedArticleIds(question);
    const ranked = rankedArticleIds(index, question.q);
    const position = ranked.findIndex((id) => accepted.includes(id));
    const result = decisionOf(await options.provider.decide(turnInputFor(index, question, options.topK, options.defaultLanguage ?? 'en'), signal));
    outcomes.push({
      question,
      rank: position >= 0 ? position + 1 : undefined,
      action: result.decision.action,
      sources: result.sources.map(freshdeskIdOf),
    });
  }
  const byKind: EvaluationReport['byKind'] = {};
  for (const kind of questionKinds) {
    const ofKind = outcomes.filter((o) => o.question.kind === kind);
    if (ofKind.length > 0) byKind[kind] = figuresOf(ofKind);
  }
  return { provider: options.provider.name, topK: options.topK, chunks: index.size, overall: figuresOf(outcomes), byKind, outcomes };
}

export function figuresOf(outcomes: QuestionOutcome[]): Figures {
  const expectsArticle = outcomes.filter((o) => o.question.expect !== 'escalate');
  const expectsEscalation = outcomes.filter((o) => o.question.expect === 'escalate');
  const share = (part: number, whole: number) => (whole === 0 ? undefined : part / whole);
  const decidedRight = outcomes.filter((o) => (o.question.expect === 'escalate' ? o.action === 'escalate' : o.action === 'reply')).length;
  return {
    questions: outcomes.length,
    articleQuestions: expectsArticle.length,
    escalateQuestions: expectsEscalation.length,
    hitAt1: share(expectsArticle.filter((o) => o.rank === 1).length, expectsArticle.length),
    hitAt5: share(expectsArticle.filter((o) => o.rank !== undefined && o.rank <= 5).length, expectsArticle.length),
    mrr: share(expectsArticle.reduce((sum, o) => sum + (o.rank ? 1 / o.rank : 0), 0), expectsArticle.length),
    decisionAccuracy: decidedRight / outcomes.length,
    rightArticleAnswerRate: share(
      expectsArticle.filter((o) => o.action === 'reply' && o.sources.some((id) => acceptedArticleIds(o.question).includes(id))).length,
      expectsArticle.length,
    ),
    falseAnswerRate: share(expectsEscalation.filter((o) => o.action === 'reply').length, expectsEscalation.length),
  };
}

/** The report as a plain-text table: one row overall, one per kind. */
export function formatReport(report: EvaluationReport): string {
  const percent = (value: number | undefined) => (value === undefined ? '–' : `${(value * 100).toFixed(1)} %`);
  const decimal = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3));
  const header = ['questions', 'n', 'hit@1', 'hit@5', 'MRR', 'decision acc.', 'right-article answers', 'false answers'];
  const row = (name: string, f: Figures) => [
    name, String(f.questions), percent(f.hitAt1), percent(f.hitAt5), decimal(f.mrr), percent(f.decisionAccuracy), percent(f.rightArticleAnswerRate), percent(f.falseAnswerRate),
  ];
  const rows = [row('all', report.overall), ...Object.entries(report.byKind).map(([kind, f]) => row(kind, f))];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `provider ${report.provider}, topK ${report.topK}, ${report.chunks} chunks, ${report.overall.articleQuestions} article questions, ${report.overall.escalateQuestions} escalate questions`,
    line(header),
    ...rows.map(line),
    'hit@k/MRR: rank of the first accepted article (alsoAccept counts) among the articles retrieval ranks, over the article questions.',
    'decision acc.: replied when an article was expected, escalated when escalate was. false answers: replied, over the escalate questions.',
  ].join('\n');
}
