import { foldText } from '../workflow-safe/text.js';

/**
 * Words, not letters: what ranking matches on. Stop words carry no meaning for matching
 * ("how do I ..."), and a light suffix stripper makes "orders", "ordered" and "ordering" one
 * term. Shared by the knowledge index and the `faq` provider's own word checks.
 */

const stopWords = new Set(
  (
    'a about after all also am an and any anything are as at be been but by can cannot cant could did didnt do does ' +
    'doesnt dont for from get got had has hasnt have havent hello help hey hi how i id if im in into is isnt it its ' +
    'ive just like me mine my need no not of ok okay on or our please pls so some still than thank thanks that thats the ' +
    'their them then there these they this to too up us want was wasnt we were what whats when where which who why ' +
    'will with wont would you your youre yours yet'
  ).split(' '),
);

/** A text's words, folded (no case, accents or apostrophes). */
export function wordsOf(text: string): string[] {
  return foldText(text)
    .replace(/'/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** The index term of a word, or null for a stop word. */
export function searchTerm(term: string): string | null {
  if (stopWords.has(term)) return null;
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (term.length - suffix.length >= 4 && term.endsWith(suffix)) return term.slice(0, -suffix.length);
  }
  return term;
}
