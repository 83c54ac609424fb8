import { sentimentRank, type AiAction, type AiDecision } from './decision.js';
import type { OfficeHours, OfficeHoursStatus } from './office-hours.js';
import { escapeRegExp, foldText } from './text.js';

/**
 * Handoff rules: when the AI must stop and a person takes over. Pure (workflow-safe).
 *
 * The workflow checks the phrases before asking the AI (no AI needed to see "talk to a
 * human"), then runs the AI's decision through applyDecisionRules. Every outcome names the
 * rule that decided it, for the decision record and the handoff note.
 */

/**
 * The settings file's `topics` and `handoff` sections, as the workflow decides with them. Their
 * zod schemas (settings/schema.ts) check the file at start-up and are held to these types.
 */
export const topicPolicies = ['answer', 'escalate'] as const;
export interface Topic {
  name: string;
  description: string;
  policy: (typeof topicPolicies)[number];
}

export const defaultHandoffPhrases = [
  'talk to a human', 'speak to a human', 'real person', 'human', 'agent', 'representative', 'operator',
];

export const handoffSentimentLevels = ['very_negative', 'negative', 'neutral'] as const;
export interface HandoffRules {
  /** Case- and accent-insensitive, whole words; any of them in a customer message hands off. */
  phrases: string[];
  /** Hand off when the customer's sentiment is this level or worse; null = never for sentiment. */
  sentimentAtOrBelow: (typeof handoffSentimentLevels)[number] | null;
  /** A reply or resolve with less confidence than this is handed off instead. */
  minConfidence: number;
  /** A session in which the AI already replied this often is handed off on the next reply. */
  maxAiRepliesPerSession: number;
}

/** Every rule a decision record may name. */
export const ruleNames = [
  'handoff_phrase',
  'topic_policy',
  'sentiment',
  'confidence_floor',
  'reply_limit',
  'office_hours',
  'ai_failure',
  'lost_ownership_race',
  'ops_signal',
  'ai_decision',
  'customer_inactive',
  'freshchat_failure',
  'customer_wrote_again',
  'action_declined',
  'action_timed_out',
] as const;
export type RuleName = (typeof ruleNames)[number];

/**
 * The first configured phrase found in `text` as whole words, ignoring case and accents
 * ("AGÉNT" matches "agent"; "agenda" does not). Returns the phrase as configured, or null.
 */
export function matchHandoffPhrase(text: string, phrases: string[]): string | null {
  const folded = foldText(text);
  for (const phrase of phrases) {
    if (phrasePattern(phrase)?.test(folded)) return phrase;
  }
  return null;
}

/**
 * A handoff that needs no AI, checked before it is asked: the customer asked for a person, or the
 * office is closed and the settings hand off then (`afterHours: handoff`).
 */
export function escalationBeforeAi(
  customerText: string,
  phrases: string[],
  hours: OfficeHoursStatus,
  afterHours: OfficeHours['afterHours'] | undefined,
): { rule: Extract<RuleName, 'handoff_phrase' | 'office_hours'>; reason: string } | undefined {
  const phrase = matchHandoffPhrase(customerText, phrases);
  if (phrase) return { rule: 'handoff_phrase', reason: `The customer asked for a person ("${phrase}")` };
  if (!hours.open && afterHours === 'handoff') return { rule: 'office_hours', reason: 'Outside office hours' };
  return undefined;
}

/**
 * A phrase's pattern, built once: the workflow checks every AI turn against every phrase, and
 * building Unicode patterns each time took milliseconds of each turn's workflow task.
 */
const phrasePatterns = new Map<string, RegExp | undefined>();
function phrasePattern(phrase: string): RegExp | undefined {
  if (!phrasePatterns.has(phrase)) {
    if (phrasePatterns.size >= 1000) phrasePatterns.clear(); // settings hold far fewer; bounded all the same
    const words = foldText(phrase).split(' ').filter(Boolean).map(escapeRegExp);
    // Letters and digits on either side would make it part of another word.
    phrasePatterns.set(phrase, words.length === 0 ? undefined : new RegExp(`(?<![\\p{L}\\p{N}])${words.join('\\s+')}(?![\\p{L}\\p{N}])`, 'u'));
  }
  return phrasePatterns.get(phrase);
}

export interface DecisionRulesContext {
  topics: Topic[];
  handoff: HandoffRules;
  /** AI replies already posted in this session. */
  aiRepliesSoFar: number;
}

export interface RuledAction {
  action: AiAction;
  rule: RuleName;
  /** In plain words, for the handoff note and the decision record. */
  reason: string;
}

/**
 * The action to take on the AI's decision, first rule that applies wins:
 * 1. the topic's policy is `escalate` (whatever the AI chose);
 * 2. the customer's sentiment is at or below the configured level;
 * 3. a reply or resolve with confidence below the floor (an escalation needs no confidence);
 * 4. a reply when the session already has the maximum number of AI replies;
 * 5. otherwise the AI's own action and reason.
 * A topic the settings don't list is treated as "other", which has no policy.
 */
export function applyDecisionRules(decision: AiDecision, ctx: DecisionRulesContext): RuledAction {
  const topic = findTopic(ctx.topics, decision.topic);
  if (topic?.policy === 'escalate') {
    return { action: 'escalate', rule: 'topic_policy', reason: `Topic '${topic.name}' is handled by people (topic policy)` };
  }

  const level = ctx.handoff.sentimentAtOrBelow;
  if (level !== null && sentimentRank(decision.sentiment) <= sentimentRank(level)) {
    return {
      action: 'escalate',
      rule: 'sentiment',
      reason: `Customer sentiment is ${words(decision.sentiment)}, at or below the handoff level ${words(level)} (sentiment rule)`,
    };
  }

  if (decision.action !== 'escalate' && decision.confidence < ctx.handoff.minConfidence) {
    return {
      action: 'escalate',
      rule: 'confidence_floor',
      reason: `AI confidence ${decision.confidence.toFixed(2)} is below the minimum ${ctx.handoff.minConfidence} (confidence floor)`,
    };
  }

  if (decision.action === 'reply' && ctx.aiRepliesSoFar >= ctx.handoff.maxAiRepliesPerSession) {
    return {
      action: 'escalate',
      rule: 'reply_limit',
      reason: `The AI already replied ${ctx.aiRepliesSoFar} times in this session, the maximum is ${ctx.handoff.maxAiRepliesPerSession} (reply limit)`,
    };
  }

  return { action: decision.action, rule: 'ai_decision', reason: decision.reason };
}

/** Exact name first; the AI may not match the case the settings use. */
function findTopic(topics: Topic[], name: string): Topic | undefined {
  return topics.find((t) => t.name === name) ?? topics.find((t) => t.name.toLowerCase() === name.trim().toLowerCase());
}

function words(level: string): string {
  return level.replace('_', ' ');
}
