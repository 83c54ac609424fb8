import MiniSearch from 'minisearch';
import Sentiment from 'sentiment';
import type { AiDecision, Sentiment as SentimentLevel } from '../workflow-safe/decision.js';
import { escapeRegExp, foldText } from '../workflow-safe/text.js';
import type { KnowledgeBase, KnowledgeBaseEntry } from './knowledge-base.js';
import type { AiProvider, AiTurnInput, AiTurnResult, TranscriptEntry } from './provider.js';

/**
 * The embedded AI: no network, deterministic. It answers from the knowledge base by
 * full-text ranking, escalates when nothing matches well enough, resolves when the customer
 * says they are done, and reads the customer's mood with the AFINN lexicon.
 *
 * What it reads: the customer's messages since the AI's last answer (several quick bubbles
 * are one turn), so an earlier question that was already answered doesn't steer the ranking.
 *
 * Confidence of an answer: with s the ranking score of the best entry and T = minScore,
 * confidence = s / (s + T). At the threshold it is exactly 0.5, at 2T 0.67, at 4T 0.8, and it
 * never reaches 1. So the default handoff.minConfidence (0.5) accepts every answer the FAQ
 * gives, and raising it makes the FAQ stricter (0.67 needs twice the threshold score).
 * Escalations get the same formula (below 0.5), or 0 when nothing matched at all.
 */

/**
 * The least ranking score that counts as an answer. minisearch scores are BM25+ sums over
 * the matched terms, with questions weighted 3× over answers. Tuned on the sample knowledge
 * base: a paraphrase that hits one distinctive word of a question ("refund", "voucher")
 * scores 10–16, off-topic text 0–5, a bare "order" 8. Bigger knowledge bases score a bit higher
 * (rarer words weigh more), so this errs on the side of answering there.
 */
export const defaultMinScore = 9;

export interface FaqProviderOptions {
  minScore?: number;
}

export interface RankedEntry {
  entry: KnowledgeBaseEntry;
  score: number;
}

export class FaqProvider implements AiProvider {
  readonly name = 'faq' as const;
  private readonly index: MiniSearch<KnowledgeBaseEntry>;
  private readonly entriesById: Map<string, KnowledgeBaseEntry>;
  /** The score an entry needs to answer from. */
  readonly minScore: number;

  constructor(knowledgeBase: KnowledgeBase, options: FaqProviderOptions = {}) {
    this.minScore = options.minScore ?? defaultMinScore;
    this.entriesById = new Map(knowledgeBase.entries.map((entry) => [entry.id, entry]));
    this.index = new MiniSearch<KnowledgeBaseEntry>({
      fields: ['question', 'answer'],
      tokenize: tokenizeForSearch,
      processTerm: searchTerm,
      searchOptions: {
        boost: { question: 3 },
        // Typos in longer words ("pasword"), and word beginnings ("deliver" → "delivery");
        // short words would match far too much either way.
        fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
        prefix: (term) => term.length >= 4,
        combineWith: 'OR',
      },
    });
    this.index.addAll(knowledgeBase.entries);
  }

  /** Knowledge-base entries ranked against `text`, best first. */
  rank(text: string): RankedEntry[] {
    return this.index
      .search(text)
      .map((result) => ({ entry: this.entriesById.get(String(result.id))!, score: result.score }));
  }

  async decide(input: AiTurnInput, signal: AbortSignal): Promise<AiTurnResult> {
    signal.throwIfAborted();
    const decision = this.decideNow(input);
    signal.throwIfAborted();
    return decision;
  }

  private decideNow(input: AiTurnInput): AiTurnResult {
    const text = latestCustomerMessages(input.transcript).join('\n');
    const sentiment = sentimentOf(text);
    const summary = summarizeSession(input.transcript);
    const decide = (fields: Pick<AiDecision, 'action' | 'reply' | 'topic' | 'reason' | 'confidence'>, sources: string[] = []) => ({
      decision: { ...fields, sentiment, summary },
      sources,
      model: 'faq',
    });

    if (!text.trim()) {
      return decide({ action: 'escalate', reply: '', topic: 'other', reason: 'There is no customer message to answer', confidence: 0 });
    }
    if (isCustomerDone(text)) {
      return decide({
        action: 'resolve',
        reply: closingWords(input.language),
        topic: 'other',
        reason: 'Customer confirmed the issue is solved',
        confidence: 0.9,
      });
    }

    const best = this.rank(text)[0];
    const confidence = best ? round2(best.score / (best.score + this.minScore)) : 0;
    if (best && best.score >= this.minScore) {
      return decide(
        {
          action: 'reply',
          reply: best.entry.answer,
          topic: best.entry.topic ?? 'other',
          reason: `Answered from knowledge-base entry '${best.entry.id}' (match score ${best.score.toFixed(1)})`,
          confidence,
        },
        [best.entry.id],
      );
    }
    return decide({
      action: 'escalate',
      reply: '',
      topic: 'other',
      reason: 'No knowledge-base answer matched the question well enough',
      confidence,
    });
  }
}

/** The customer's messages after the AI's last answer; all of them if the AI hasn't answered yet. */
export function latestCustomerMessages(transcript: TranscriptEntry[]): string[] {
  const lastAi = transcript.map((e) => e.role).lastIndexOf('ai');
  return transcript
    .slice(lastAi + 1)
    .filter((e) => e.role === 'customer')
    .map((e) => e.text);
}

// ---------------------------------------------------------------------------------------------
// Ranking: words, not letters. Stop words carry no meaning for matching ("how do I ..."),
// and a light suffix stripper makes "orders", "ordered" and "ordering" one term.

const stopWords = new Set(
  (
    'a about after all also am an and any anything are as at be been but by can cannot cant could did didnt do does ' +
    'doesnt dont for from get got had has hasnt have havent hello help hey hi how i id if im in into is isnt it its ' +
    'ive just like me mine my need no not of ok okay on or our please pls so some still than thank thanks that thats the ' +
    'their them then there these they this to too up us want was wasnt we were what whats when where which who why ' +
    'will with wont would you your youre yours yet'
  ).split(' '),
);

function tokenizeForSearch(text: string): string[] {
  return foldText(text)
    .replace(/'/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function searchTerm(term: string): string | null {
  if (stopWords.has(term)) return null;
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (term.length - suffix.length >= 4 && term.endsWith(suffix)) return term.slice(0, -suffix.length);
  }
  return term;
}

// ---------------------------------------------------------------------------------------------
// "Thanks, that's all": the customer is done.

/** Phrases that say "done" (thanks, solved, that's all), folded: lower case, no accents or apostrophes. */
const donePhrases = [
  // English
  'thanks', 'thank you', 'thank u', 'thankyou', 'thx', 'thnx', 'ty', 'tysm', 'cheers', 'many thanks',
  'thats all', 'that is all', 'thats it', 'that is it', 'thats everything', 'nothing else', 'no more questions',
  'that solved it', 'that solves it', 'that fixed it', 'that fixes it', 'that helped', 'that helps', 'that works',
  'it works', 'works now', 'problem solved', 'issue solved', 'solved', 'fixed', 'sorted', 'all good', 'all set',
  'im all set', 'im good', 'i am good', 'perfect', 'great', 'awesome', 'excellent', 'wonderful', 'brilliant',
  'got it', 'understood', 'makes sense', 'that answers my question', 'bye', 'goodbye', 'good bye',
  'have a nice day', 'have a good day', 'have a great day', 'much appreciated', 'appreciate it', 'i appreciate it',
  // German
  'danke', 'dankeschon', 'danke schon', 'vielen dank', 'besten dank', 'herzlichen dank', 'das wars',
  'das war alles', 'das wars schon', 'das ist alles', 'alles klar', 'hat geholfen', 'das hat geholfen',
  'hat funktioniert', 'super', 'perfekt', 'prima', 'toll', 'tschuss', 'sonst nichts', 'passt', 'erledigt',
  'gelost', 'problem gelost', 'schonen tag noch',
  // French
  'merci', 'merci beaucoup', 'merci bien', 'cest tout', 'c est tout', 'cetait tout', 'ca sera tout', 'parfait',
  'genial', 'au revoir', 'ca ma aide', 'ca marche', 'resolu', 'probleme resolu', 'rien dautre', 'bonne journee',
  'bonne soiree',
  // Spanish
  'gracias', 'muchas gracias', 'mil gracias', 'eso es todo', 'es todo', 'perfecto', 'estupendo', 'adios',
  'hasta luego', 'nada mas', 'ya esta', 'resuelto', 'me ayudo', 'me sirvio', 'buen dia', 'que tenga buen dia',
];

/** Words that may stand next to a done phrase without changing its meaning ("ok, thanks so much for the help"). */
const fillerWords = new Set(
  (
    'ok okay k yes yeah yep yup no nope nah oh ah well so very much lot a again for the your you too all and then ' +
    'help quick fast answer reply info information guys mate now really just ' +
    'ja nein sehr nochmal fur die ihre hilfe dann ihnen dir auch schnell ' +
    'oui non pour votre aide encore tres bien vous aussi ' +
    'si por su ayuda de nuevo muy bien usted tambien vale'
  ).split(' '),
);

const donePattern = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${[...donePhrases].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`,
  'gu',
);

/**
 * True when the message only says the customer is done: thanks, "that solved it", "that's
 * all", "no, that's it", in English, German, French or Spanish. Anything else in the message
 * (a question mark, "but it still doesn't work", "and how do I return it") means it is not.
 * A bare "ok" or "no" is not done either: it needs one of the done phrases.
 */
export function isCustomerDone(text: string): boolean {
  if (text.includes('?') || text.includes('¿')) return false;
  const words = foldText(text).replace(/'/g, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  if (!words) return false;
  let sawDonePhrase = false;
  const rest = words.replace(donePattern, () => {
    sawDonePhrase = true;
    return ' ';
  });
  return sawDonePhrase && rest.split(' ').every((word) => word === '' || fillerWords.has(word));
}

const closingByLanguage: Record<string, string> = {
  en: "You're welcome! I'm glad I could help. Have a great day!",
  de: 'Gern geschehen! Schön, dass ich helfen konnte. Einen schönen Tag noch!',
  fr: "Avec plaisir ! Ravi d'avoir pu vous aider. Bonne journée !",
  es: '¡De nada! Me alegra haber podido ayudarle. ¡Que tenga un buen día!',
};

function closingWords(language: string): string {
  return closingByLanguage[language.split('-')[0]!.toLowerCase()] ?? closingByLanguage.en!;
}

// ---------------------------------------------------------------------------------------------
// Sentiment: AFINN (English) via the `sentiment` library.

const analyzer = new Sentiment();

/**
 * The customer's mood from the AFINN lexicon. `score` is the sum of word scores (-5..+5 each),
 * `comparative` is score per word. Levels:
 * - very_negative: comparative <= -0.5 with score <= -4 (short and furious: "This is terrible,
 *   I am very angry and disappointed"), or score <= -8 however long the message;
 * - negative: comparative <= -0.1, or score <= -3 ("I am a bit annoyed that it is late");
 * - positive: comparative >= 0.25 and score >= 2 ("Thanks, that is great!");
 * - neutral otherwise (most questions score 0).
 * English words only: other languages mostly come out neutral.
 */
export function sentimentOf(text: string): SentimentLevel {
  const { score, comparative } = analyzer.analyze(text);
  if ((comparative <= -0.5 && score <= -4) || score <= -8) return 'very_negative';
  if (comparative <= -0.1 || score <= -3) return 'negative';
  if (comparative >= 0.25 && score >= 2) return 'positive';
  return 'neutral';
}

// ---------------------------------------------------------------------------------------------
// Summary for the rep's private note.

const maxSummaryLength = 400;

/**
 * A short extractive summary of the session: what the customer first asked, what they said
 * last, and what the AI and reps did; at most 400 characters.
 */
export function summarizeSession(transcript: TranscriptEntry[]): string {
  const customer = transcript.filter((e) => e.role === 'customer');
  const aiReplies = transcript.filter((e) => e.role === 'ai');
  const repMessages = transcript.filter((e) => e.role === 'rep').length;
  if (customer.length === 0) return 'No customer messages yet.';

  const first = customer[0]!.text;
  const latest = customer[customer.length - 1]!.text;
  const parts = [`Customer asked: "${clip(first, 140)}"`];
  if (customer.length > 1) parts.push(`Latest: "${clip(latest, 110)}"`);
  const lastAi = aiReplies[aiReplies.length - 1];
  parts.push(
    lastAi ? `AI replied ${times(aiReplies.length)}, last: "${clip(lastAi.text, 80)}"` : 'AI has not replied yet',
  );
  if (repMessages > 0) parts.push(`A rep wrote ${repMessages === 1 ? '1 message' : `${repMessages} messages`}`);
  return clip(`${parts.join('. ')}.`, maxSummaryLength);
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1).trimEnd()}…`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
