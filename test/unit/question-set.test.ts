/**
 * The shipped question set against the shipped help center: big enough, every kind present,
 * and every article it names one a customer may be answered from (never a draft or internal one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  acceptedArticleIds, loadQuestionSet, QuestionSetError, questionKinds, unknownOrHiddenArticleIds,
} from '../../evaluation/question-set.js';
import { customerVisibleArticles, isCustomerVisible, loadHelpCenter } from '../../sandbox/help-center.js';

describe('the labelled question set (evaluation/questions.yaml)', () => {
  const helpCenter = loadHelpCenter();
  const questions = loadQuestionSet();

  it('has at least 150 questions, every kind among them', () => {
    expect(questions.length).to.be.at.least(150);
    expect(new Set(questions.map((question) => question.kind))).to.have.all.keys(...questionKinds);
  });

  it('names only published, customer-visible articles', () => {
    expect(unknownOrHiddenArticleIds(questions, helpCenter)).to.deep.equal([]);
  });

  it('never names a draft or an agent-only article, anywhere', () => {
    const hidden = helpCenter.articles.filter((article) => !isCustomerVisible(article, helpCenter.folders));
    expect(hidden.map((article) => article.status)).to.include('draft');
    expect(hidden.some((article) => helpCenter.folders.find((folder) => folder.id === article.folderId)?.visibility === 3)).to.equal(true);
    const named = new Set(questions.flatMap(acceptedArticleIds));
    expect(hidden.map((article) => article.id).filter((id) => named.has(id))).to.deep.equal([]);
  });

  it('asks about every customer-visible article', () => {
    const named = new Set(questions.map((question) => question.expect));
    expect(customerVisibleArticles(helpCenter).map((article) => article.id).filter((id) => !named.has(id))).to.deep.equal([]);
  });

  it('has German and Spanish questions that expect the de and es articles', () => {
    const languageOf = new Map(helpCenter.articles.map((article) => [article.id, article.language]));
    for (const language of ['de', 'es'] as const) {
      const expected = questions.filter((question) => question.language === language).map((question) => languageOf.get(question.expect));
      expect(expected, language).to.include(language);
    }
  });

  it('the check can fail: an internal article, a draft and an unknown id are reported', () => {
    const probe = [
      { q: 'refund limits?', expect: '5000400001', kind: 'direct' as const },
      { q: 'loyalty?', expect: '5000100001', alsoAccept: ['5000300002'], kind: 'two-articles' as const },
      { q: 'unknown', expect: '1', kind: 'direct' as const },
    ];
    expect(unknownOrHiddenArticleIds(probe, helpCenter)).to.have.length(3);
  });

  describe('the loader', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'question-set-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const errorFor = (yaml: string): string => {
      const path = join(dir, 'questions.yaml');
      writeFileSync(path, yaml);
      try {
        loadQuestionSet(path);
      } catch (error) {
        expect(error).to.be.instanceOf(QuestionSetError);
        return (error as Error).message;
      }
      throw new Error('expected the question set to be rejected');
    };

    it('rejects an unknown kind, a person question that expects an article, and stray keys', () => {
      expect(errorFor('questions:\n  - { q: hi, expect: 5000100001, kind: vague }\n')).to.match(/kind/);
      expect(errorFor('questions:\n  - { q: human, expect: 5000100071, kind: person }\n')).to.match(/expects escalate/);
      expect(errorFor('questions:\n  - { q: hi, expect: escalate, kind: unanswerable, answer: x }\n')).to.match(/answer/);
    });

    it('reads ids as strings, from numbers or strings', () => {
      const path = join(dir, 'questions.yaml');
      writeFileSync(path, 'questions:\n  - { q: "a, b", expect: 5000100001, alsoAccept: ["5000100002"], kind: two-articles }\n');
      expect(loadQuestionSet(path)).to.deep.equal([
        { q: 'a, b', expect: '5000100001', alsoAccept: ['5000100002'], kind: 'two-articles' },
      ]);
    });
  });
});
