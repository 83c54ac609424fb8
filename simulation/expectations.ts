/**
 * What a scenario's `expect` steps check, as plain functions over what was observed: the
 * workflow's decision records and the texts the AI posted. Each returns the problem, in words
 * for the report, or undefined when the expectation holds.
 */
import { foldText } from '../workflow-safe/text.js';
import type { DecisionRecord, ResolutionKind } from '../workflows/messages.js';
import type { Expectation } from './scenario.js';

export type ActionExpectation = Extract<Expectation, { action: string }>;

/** Words are found in the text ignoring case, accents and spacing ("Working days" in "5 working  days"). */
export function mentionProblems(text: string, mentions: string[] = [], notMentions: string[] = []): string[] {
  const folded = foldText(text);
  return [
    ...mentions.filter((m) => !folded.includes(foldText(m))).map((m) => `does not mention "${m}"`),
    ...notMentions.filter((m) => folded.includes(foldText(m))).map((m) => `mentions "${m}"`),
  ];
}

/** The decision against the expected action (and rule), before any text is looked at. */
export function decisionProblem(expected: ActionExpectation, decision: DecisionRecord): string | undefined {
  const done = { reply: 'posted', escalate: 'escalated', resolve: 'resolved' } as const;
  if (decision.action !== expected.action || decision.outcome !== done[expected.action]) {
    return `expected the AI to ${expected.action}, but it decided: ${describeDecision(decision)}`;
  }
  if (expected.action === 'escalate' && expected.rule && decision.rule !== expected.rule) {
    return `expected an escalation by rule ${expected.rule}, but it was by ${describeDecision(decision)}`;
  }
  return undefined;
}

export function resolutionProblem(expected: ResolutionKind | undefined, actual: ResolutionKind | undefined): string | undefined {
  if (!expected || expected === actual) return undefined;
  return `expected a ${expected} resolution, but it was ${actual ?? 'of no kind'}`;
}

/** One line: "escalate (rule handoff_phrase, escalated): The customer asked for a person". */
export function describeDecision(decision: DecisionRecord): string {
  const details = [`rule ${decision.rule}`, decision.outcome];
  if (decision.confidence !== undefined) details.push(`confidence ${decision.confidence}`);
  if (decision.topic) details.push(`topic ${decision.topic}`);
  return `${decision.action} (${details.join(', ')})${decision.reason ? `: ${decision.reason}` : ''}`;
}
