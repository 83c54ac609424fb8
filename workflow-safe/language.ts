/**
 * The conversation's language as ISO 639-1 ('en', 'de', …), for choosing the words of
 * customer-facing messages and telling the AI which language to answer in.
 *
 * Detection itself (trigram scores, lib/language-detection.ts) runs where text enters: the
 * webhook API and the activities that read messages back. Its tables weigh megabytes and
 * take milliseconds to load, so they stay out of the workflow bundle, which every new or
 * replayed workflow evaluates again. The workflow receives the guesses with each customer
 * message and only chooses, here.
 */

/** One candidate language of a message: ISO 639-1, scored against the best guess (1). */
export interface LanguageGuess {
  language: string;
  score: number;
}

/**
 * A fallback scoring at least this share of the best guess is kept: no flip-flopping between
 * close guesses from one message to the next.
 */
export const languageStickiness = 0.9;

/** The most guesses a message carries: the best, then those scoring at least `languageStickiness`. */
export const maxLanguageGuesses = 8;

/**
 * The language to go on with: `fallback` (the conversation's language so far, or the default
 * language) unless the guesses clearly say otherwise. No guesses (text too short to tell, or
 * an event from before guesses were sent) keep the fallback.
 */
export function chooseLanguage(guesses: readonly LanguageGuess[] | undefined, fallback: string): string {
  const best = guesses?.[0];
  if (!best) return fallback;
  const fallbackLanguage = fallback.split('-')[0];
  const fallbackGuess = guesses.find((guess) => guess.language === fallbackLanguage);
  if (fallbackGuess && fallbackGuess.score >= languageStickiness) return fallback;
  return best.language;
}
