import { expect } from 'chai';
import type { AiDecision } from '../../workflow-safe/decision.js';
import { applyDecisionRules, escalationBeforeAi, matchHandoffPhrase, type DecisionRulesContext } from '../../workflow-safe/handoff-rules.js';

describe('escalationBeforeAi', () => {
  const open = { open: true, nextOpening: null, nextClosing: null };
  const closed = { open: false, nextOpening: new Date('2026-12-04T09:00:00Z'), nextClosing: null };

  it('hands off for a phrase first, then for closed hours when the settings hand off then', () => {
    expect(escalationBeforeAi('I want a human', ['human'], closed, 'handoff')).to.deep.equal({ rule: 'handoff_phrase', reason: 'The customer asked for a person ("human")' });
    expect(escalationBeforeAi('Where is my order?', ['human'], closed, 'handoff')).to.deep.equal({ rule: 'office_hours', reason: 'Outside office hours' });
  });

  it('leaves it to the AI when open, or closed with the AI answering until the opening', () => {
    expect(escalationBeforeAi('Where is my order?', ['human'], open, 'handoff')).to.equal(undefined);
    expect(escalationBeforeAi('Where is my order?', ['human'], closed, 'ai-until-open')).to.equal(undefined);
    expect(escalationBeforeAi('Where is my order?', ['human'], closed, undefined)).to.equal(undefined);
  });
});

describe('matchHandoffPhrase', () => {
  const phrases = ['talk to a human', 'agent', 'mit einem Menschen', 'représentant'];

  it('matches whole phrases regardless of case, accents and spacing', () => {
    expect(matchHandoffPhrase('Can I TALK to a   human please?', phrases)).to.equal('talk to a human');
    expect(matchHandoffPhrase('AGENT!!', phrases)).to.equal('agent');
    expect(matchHandoffPhrase('Agént, bitte', phrases)).to.equal('agent');
    expect(matchHandoffPhrase('Ich will mit einem menschen sprechen', phrases)).to.equal('mit einem Menschen');
    expect(matchHandoffPhrase('je veux un representant', phrases)).to.equal('représentant');
    expect(matchHandoffPhrase('(agent)', phrases)).to.equal('agent');
  });

  it('does not match inside other words', () => {
    expect(matchHandoffPhrase("What's on the agenda?", phrases)).to.equal(null);
    expect(matchHandoffPhrase('The agents were helpful', phrases)).to.equal(null);
    expect(matchHandoffPhrase('reagent bottles', phrases)).to.equal(null);
    expect(matchHandoffPhrase('talk to a humanoid robot', phrases)).to.equal(null);
    expect(matchHandoffPhrase('Where is my order?', phrases)).to.equal(null);
  });

  it('ignores empty phrases', () => {
    expect(matchHandoffPhrase('anything', ['', '   '])).to.equal(null);
  });
});

describe('applyDecisionRules', () => {
  const decision = (overrides: Partial<AiDecision> = {}): AiDecision => ({
    action: 'reply',
    reply: 'Standard delivery takes 2–4 days.',
    topic: 'shipping',
    sentiment: 'neutral',
    summary: 'Customer asked about delivery times.',
    reason: 'The knowledge base answers delivery times',
    confidence: 0.9,
    ...overrides,
  });
  const ctx = (overrides: Partial<DecisionRulesContext> = {}): DecisionRulesContext => ({
    topics: [
      { name: 'shipping', description: 'Delivery', policy: 'answer' },
      { name: 'billing', description: 'Charges', policy: 'escalate' },
    ],
    handoff: { phrases: [], sentimentAtOrBelow: 'negative', minConfidence: 0.6, maxAiRepliesPerSession: 3 },
    aiRepliesSoFar: 0,
    ...overrides,
  });

  it("keeps the AI's own action and reason when no rule applies", () => {
    expect(applyDecisionRules(decision(), ctx())).to.deep.equal({
      action: 'reply',
      rule: 'ai_decision',
      reason: 'The knowledge base answers delivery times',
    });
    expect(applyDecisionRules(decision({ action: 'resolve', reason: 'Customer is done' }), ctx())).to.include({ action: 'resolve', rule: 'ai_decision' });
    expect(applyDecisionRules(decision({ action: 'escalate', confidence: 0.1, reason: 'Not covered' }), ctx())).to.deep.equal({
      action: 'escalate',
      rule: 'ai_decision',
      reason: 'Not covered',
    });
  });

  it('escalates a topic whose policy is escalate, naming the topic (case-insensitive)', () => {
    const result = applyDecisionRules(decision({ topic: 'Billing' }), ctx());
    expect(result).to.deep.equal({ action: 'escalate', rule: 'topic_policy', reason: "Topic 'billing' is handled by people (topic policy)" });
  });

  it('treats a topic the settings do not list as having no policy', () => {
    expect(applyDecisionRules(decision({ topic: 'weather' }), ctx()).rule).to.equal('ai_decision');
  });

  it('escalates on sentiment at or below the configured level', () => {
    const negative = applyDecisionRules(decision({ sentiment: 'negative' }), ctx());
    expect(negative).to.include({ action: 'escalate', rule: 'sentiment' });
    expect(negative.reason).to.contain('negative').and.contain('sentiment rule');
    expect(applyDecisionRules(decision({ sentiment: 'very_negative' }), ctx()).rule).to.equal('sentiment');
    expect(applyDecisionRules(decision({ sentiment: 'neutral' }), ctx()).rule).to.equal('ai_decision');
  });

  it('never escalates for sentiment when the level is null', () => {
    const noSentimentRule = ctx({ handoff: { phrases: [], sentimentAtOrBelow: null, minConfidence: 0.6, maxAiRepliesPerSession: 3 } });
    expect(applyDecisionRules(decision({ sentiment: 'very_negative' }), noSentimentRule).rule).to.equal('ai_decision');
  });

  it('escalates a reply or resolve below the confidence floor, not at it', () => {
    const low = applyDecisionRules(decision({ confidence: 0.59 }), ctx());
    expect(low).to.include({ action: 'escalate', rule: 'confidence_floor' });
    expect(low.reason).to.contain('0.59').and.contain('0.6').and.contain('confidence floor');
    expect(applyDecisionRules(decision({ action: 'resolve', confidence: 0.2 }), ctx()).rule).to.equal('confidence_floor');
    expect(applyDecisionRules(decision({ confidence: 0.6 }), ctx()).rule).to.equal('ai_decision');
  });

  it('escalates a reply once the session has the maximum number of AI replies', () => {
    expect(applyDecisionRules(decision(), ctx({ aiRepliesSoFar: 2 })).rule).to.equal('ai_decision');
    const atLimit = applyDecisionRules(decision(), ctx({ aiRepliesSoFar: 3 }));
    expect(atLimit).to.include({ action: 'escalate', rule: 'reply_limit' });
    expect(atLimit.reason).to.contain('3').and.contain('reply limit');
    // Resolving is still allowed at the limit.
    expect(applyDecisionRules(decision({ action: 'resolve' }), ctx({ aiRepliesSoFar: 3 })).rule).to.equal('ai_decision');
  });

  it('applies the rules in order: topic, sentiment, confidence, reply limit', () => {
    const everything = decision({ topic: 'billing', sentiment: 'very_negative', confidence: 0.1 });
    expect(applyDecisionRules(everything, ctx({ aiRepliesSoFar: 5 })).rule).to.equal('topic_policy');
    expect(applyDecisionRules({ ...everything, topic: 'shipping' }, ctx({ aiRepliesSoFar: 5 })).rule).to.equal('sentiment');
    expect(applyDecisionRules({ ...everything, topic: 'shipping', sentiment: 'neutral' }, ctx({ aiRepliesSoFar: 5 })).rule).to.equal(
      'confidence_floor',
    );
    expect(
      applyDecisionRules({ ...everything, topic: 'shipping', sentiment: 'neutral', confidence: 0.9 }, ctx({ aiRepliesSoFar: 5 })).rule,
    ).to.equal('reply_limit');
  });
});
