import { francAll } from 'franc-min';
import { iso6393To1 } from 'iso-639-3';
import { chooseLanguage, languageStickiness, maxLanguageGuesses, type LanguageGuess } from '../workflow-safe/language.js';
import { cutText } from '../workflow-safe/text.js';

/**
 * Which languages a customer's message may be in, for the workflow's `chooseLanguage`.
 *
 * Trigram detection (franc-min) is unreliable on chat-sized text: "How do I reset my
 * password?" scores as Portuguese. So:
 * - fewer than 25 letters (after removing URLs, e-mail addresses and numbers) → no guesses;
 * - the best guess and those scoring at least `languageStickiness` are kept (no other
 *   can decide anything), at most `maxLanguageGuesses`, best first;
 * - guesses without an ISO 639-1 code (e.g. 'qug', Quichua) are skipped.
 * `only` (ISO 639-1 codes) restricts the candidates, e.g. to the languages the team serves;
 * that helps most against the Romance-language mix-ups of short text.
 */
export interface DetectLanguageOptions {
  only?: string[];
}

const minLetters = 25;
/** The most text detection looks at: trigrams settle within a few hundred characters. */
export const languageSampleChars = 1000;

/**
 * franc-min returns individual languages where ISO 639-1 only has the macrolanguage
 * (Standard Arabic 'arb' → 'ar'); iso-639-3 maps only exact codes, so these are added.
 */
const macrolanguageOf: Record<string, string> = {
  arb: 'ar', pes: 'fa', zlm: 'ms', uzn: 'uz', azj: 'az', swh: 'sw', plt: 'mg', pbu: 'ps', npi: 'ne', ckb: 'ku', cmn: 'zh',
};

const iso6391To3: Record<string, string> = Object.fromEntries([
  ...Object.entries(iso6393To1).map(([three, one]) => [one, three]),
  ...Object.entries(macrolanguageOf).map(([three, one]) => [one, three]),
]);

/**
 * URLs, e-mail addresses and numbers say nothing about the language. Token by token, so the
 * time stays linear: a pattern like `\S+@\S+` backtracks quadratically over one long run
 * of non-space characters (a pasted base64 image).
 */
export function languageWords(text: string): string {
  return text
    .split(/\s+/)
    .filter((token) => !token.includes('@') && !/https?:\/\//i.test(token))
    .join(' ')
    .replace(/[\p{N}_]+/gu, ' ');
}

function countLetters(text: string): number {
  let letters = 0;
  for (const _ of text.matchAll(/\p{L}/gu)) letters++;
  return letters;
}

function toIso6391(code: string): string | undefined {
  return macrolanguageOf[code] ?? iso6393To1[code];
}

export function guessLanguages(text: string, options: DetectLanguageOptions = {}): LanguageGuess[] {
  const words = languageWords(cutText(text, languageSampleChars));
  if (countLetters(words) < minLetters) return [];
  const only = options.only?.map((code) => iso6391To3[code.split('-')[0]!.toLowerCase()]).filter((c): c is string => !!c);
  return francAll(words, only && only.length > 0 ? { only } : {})
    .map(([code, score]) => ({ language: toIso6391(code), score }))
    .filter((guess): guess is LanguageGuess => guess.language !== undefined)
    .filter((guess, rank) => rank === 0 || guess.score >= languageStickiness)
    .slice(0, maxLanguageGuesses);
}

/** The language of `text`, sticky to `fallback` (what the workflow would choose from the guesses). */
export function detectLanguage(text: string, fallback: string, options: DetectLanguageOptions = {}): string {
  return chooseLanguage(guessLanguages(text, options), fallback);
}
