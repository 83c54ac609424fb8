/**
 * The evaluation (evaluation/evaluate.ts) for the faq provider: the sandbox's help center
 * synced through the real freshdesk source into SQLite, the 175 labelled questions through
 * retrieval and the provider. The faq provider is deterministic, so the floors sit just
 * below the figures measured when they were set (2026-12-01, BENCHMARKS.md): a change to
 * sync, chunking, retrieval or the provider that loses more than a question or two fails here.
 */
import { expect } from 'chai';
import { FaqProvider } from '../../ai/faq-provider.js';
import { KnowledgeIndex } from '../../knowledge/knowledge-index.js';
import { evaluateQuestions, freshdeskIdOf, helpCenterSourceName, syncSandboxHelpCenter, type EvaluationReport } from '../../evaluation/evaluate.js';
import { loadQuestionSet } from '../../evaluation/question-set.js';
import { customerVisibleArticles, loadHelpCenter } from '../../sandbox/help-center.js';

describe('knowledge evaluation (faq provider, sandbox help center)', function () {
  this.timeout(30_000);
  let report: EvaluationReport;
  let syncedArticleIds: Set<string>;

  before(async () => {
    const { chunks } = await syncSandboxHelpCenter();
    syncedArticleIds = new Set(chunks.map((chunk) => chunk.articleId));
    report = await evaluateQuestions(new KnowledgeIndex(chunks), loadQuestionSet(), { provider: new FaqProvider(), topK: 5 });
  });

  it('syncs every English customer-visible article, and no draft or agent-only one, as <source>:<Freshdesk id>', () => {
    const visible = customerVisibleArticles(loadHelpCenter());
    const synced = [...syncedArticleIds].map(freshdeskIdOf);
    expect(synced).to.include.members(visible.filter((article) => article.language === 'en').map((article) => article.id));
    expect(visible.map((article) => article.id)).to.include.members(synced);
    for (const id of syncedArticleIds) expect(id.startsWith(`${helpCenterSourceName}:`), id).to.equal(true);
  });

  it('evaluates every labelled question', () => {
    expect(report.overall.questions).to.equal(175);
    expect(report.overall.articleQuestions + report.overall.escalateQuestions).to.equal(175);
  });

  // Measured (the help center with its German and Spanish translations): hit@1 0.698, hit@5 0.913, MRR 0.793 over 149 article questions.
  it('retrieval ranks the expected article high', () => {
    expect(report.overall.hitAt1).to.be.at.least(0.68);
    expect(report.overall.hitAt5).to.be.at.least(0.9);
    expect(report.overall.mrr).to.be.at.least(0.78);
    // Questions in the articles' own words: all but two first (measured hit@1 0.941, hit@5 1).
    expect(report.byKind.direct?.hitAt1).to.be.at.least(0.94);
    // German and Spanish questions find their translations (measured hit@5 1).
    expect(report.byKind['other-language']?.hitAt5).to.be.at.least(0.95);
    expect(report.byKind.direct?.hitAt5).to.equal(1);
  });

  // Measured: decision accuracy 0.857, right-article answers 0.685, false answers 0.577 (15 of 26).
  it('answers and escalates about as often as it should', () => {
    expect(report.overall.decisionAccuracy).to.be.at.least(0.84);
    expect(report.overall.rightArticleAnswerRate).to.be.at.least(0.67);
    expect(report.overall.falseAnswerRate).to.be.at.most(0.6);
    // Asking for a person escalates nearly always (measured 8 of 10).
    expect(report.byKind.person?.decisionAccuracy).to.be.at.least(0.8);
  });

  it('cites only articles it retrieved from the synced help center', () => {
    for (const outcome of report.outcomes) {
      for (const id of outcome.sources) expect([...syncedArticleIds].some((synced) => synced.startsWith(`${helpCenterSourceName}:${id}`)), `${outcome.question.q} cites ${id}`).to.equal(true);
    }
  });
});
