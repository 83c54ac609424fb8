/**
 * What customers and reps do in the soak, chosen by a seeded generator: the same seed gives
 * the same choices (timing, and so the product's answers, still vary from run to run).
 * Plain functions: the driver (soak/driver.ts) performs the steps against the sandbox.
 */
import { escalatePhrase, resolvePhrase } from './ai-stub.js';

export type Step =
  | { kind: 'message' }
  | { kind: 'burst'; count: number }
  | { kind: 'ask_human' }
  | { kind: 'ask_colleague' }
  | { kind: 'thanks' }
  | { kind: 'rep_writes' }
  | { kind: 'rep_takes' }
  | { kind: 'rep_resolves' }
  | { kind: 'rep_to_queue' }
  | { kind: 'hand_back' }
  | { kind: 'redeliver' };

/** What the soak sees of the conversation in the sandbox before it picks a step. */
export interface Observed {
  status: string;
  /** '' = nobody, 'ai', or 'rep'. */
  holder: '' | 'ai' | 'rep';
}

const questions = [
  'How long does shipping take?',
  'Where is my parcel?',
  'Can I change my delivery address?',
  'How do I return an item?',
  'Do you ship abroad?',
];

export const customerText = {
  question: (random: () => number) => pick(random, questions),
  askHuman: 'I want to talk to a human',
  askColleague: `Hmm, ${escalatePhrase} to look at this`,
  thanks: `Great, ${resolvePhrase}`,
  rep: 'Hi, this is a member of the team: let me check that for you.',
};

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A uniform number in [min, max). */
export function between(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}

/** The next step of a conversation, weighted by what makes sense in its current state. */
export function nextStep(random: () => number, observed: Observed): Step {
  // A resolved conversation: the customer writes again (a reopen), or someone redelivers an old event.
  if (observed.status === 'resolved') return random() < 0.85 ? { kind: 'message' } : { kind: 'redeliver' };
  const weighted: Array<[number, Step]> = [
    [30, { kind: 'message' }],
    [10, { kind: 'burst', count: 2 + Math.floor(random() * 2) }],
    [4, { kind: 'ask_human' }],
    [4, { kind: 'ask_colleague' }],
    [8, { kind: 'thanks' }],
    [6, { kind: 'rep_writes' }],
    [5, { kind: 'rep_takes' }],
    [4, { kind: 'rep_resolves' }],
    [2, { kind: 'rep_to_queue' }],
    [observed.holder === 'ai' ? 0 : 8, { kind: 'hand_back' }],
    [10, { kind: 'redeliver' }],
  ];
  const total = weighted.reduce((sum, [w]) => sum + w, 0);
  let roll = random() * total;
  for (const [weight, step] of weighted) {
    if (roll < weight) return step;
    roll -= weight;
  }
  return { kind: 'message' };
}
