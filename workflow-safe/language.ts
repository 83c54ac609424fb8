import { francAll } from 'franc-min';
import { iso6393To1 } from 'iso-639-3';
import { cutText } from './text.js';

/**
 * The language of a customer's message as ISO 639-1 ('en', 'de', …), for choosing the words
 * of customer-facing messages and telling the AI which language to answer in.
 *
 * Trigram detection (franc-min) is unreliable on chat-sized text: "How do I reset my
 * password?" scores as Portuguese. So the caller's `fallback` (the conversation's language
 * so far, or the settings' default language) is kept unless the text clearly says otherwise:
 * - fewer than 25 letters (after removing URLs, e-mail addresses and numbers) → fallback;
 * - the fallback language scores within 10% of the best guess → fallback (no flip-flopping
 *   between close guesses from one message to the next);
 * - guesses without an ISO 639-1 code (e.g. 'qug', Quichua) are skipped; none left → fallback.
 * `only` (ISO 639-1 codes) restricts the candidates, e.g. to the languages the team serves;
 * that helps most against the Romance-language mix-ups of short text.
 */
export interface DetectLanguageOptions {
  only?: string[];
}

const minLetters = 25;
const stickiness = 0.9;
/**
 * The most text detection looks at. Trigrams settle within a few hundred characters, and the
 * workflow runs this function inside its task: its time must not grow with the message.
 */
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

export function detectLanguage(text: string, fallback: string, options: DetectLanguageOptions = {}): string {
  const words = languageWords(cutText(text, languageSampleChars));
  if (countLetters(words) < minLetters) return fallback;

  const only = options.only?.map((code) => iso6391To3[code.split('-')[0]!.toLowerCase()]).filter((c): c is string => !!c);
  const guesses = francAll(words, only && only.length > 0 ? { only } : {})
    .map(([code, score]) => ({ language: toIso6391(code), score }))
    .filter((guess): guess is { language: string; score: number } => guess.language !== undefined);
  const best = guesses[0];
  if (!best) return fallback;

  const fallbackScore = guesses.find((guess) => guess.language === fallback.split('-')[0])?.score;
  if (fallbackScore !== undefined && fallbackScore >= stickiness) return fallback;
  return best.language;
}
