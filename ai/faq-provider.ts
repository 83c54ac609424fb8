import Sentiment from 'sentiment';
import type { AiDecision, Sentiment as SentimentLevel } from '../workflow-safe/decision.js';
import { wordsOf } from '../knowledge/search-terms.js';
import type { RetrievedChunk } from '../knowledge/types.js';
import type { AiProvider, AiTurnInput, AiTurnResult, TranscriptEntry } from './provider.js';
import { inputReferencePattern, type ToolSettings } from '../settings/tool-schema.js';

/**
 * The embedded AI: no network, deterministic. It answers with the best knowledge chunk that
 * retrieval found (a Q&A answer, a help-center section), escalates when nothing matches well
 * enough, resolves when the customer says they are done, and reads the customer's mood with
 * the AFINN lexicon.
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
 * The least ranking score that counts as an answer. Retrieval scores are BM25+ sums over
 * the matched terms, with titles (a Q&A entry's question) weighted 3× over text. Tuned on the sample knowledge
 * base: a paraphrase that hits one distinctive word of a question ("refund", "voucher")
 * scores 10–16, off-topic text 0–5, a bare "order" 8. Bigger knowledge bases score a bit higher
 * (rarer words weigh more), so this errs on the side of answering there.
 */
export const defaultMinScore = 9;

export interface FaqProviderOptions {
  minScore?: number;
}

export class FaqProvider implements AiProvider {
  readonly name = 'faq' as const;
  /** The score a chunk needs to answer from. */
  readonly minScore: number;

  constructor(options: FaqProviderOptions = {}) {
    this.minScore = options.minScore ?? defaultMinScore;
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

    // A tool answered in this turn: the answer is its template over the fields it returned.
    const step = input.steps?.at(-1);
    if (step) {
      const tool = input.tools?.find((t) => t.name === step.tool);
      if (step.outcome === 'ok' && tool?.answerTemplate) {
        return decide({ action: 'reply', reply: fillTemplate(tool.answerTemplate, step.result ?? {}), topic: 'other', reason: `Answered with what the ${step.tool} tool returned`, confidence: 0.9 });
      }
      return decide({ action: 'escalate', reply: '', topic: 'other', reason: `The ${step.tool} tool did not answer (${step.error ?? step.outcome})`, confidence: 0 });
    }

    if (!text.trim()) {
      return decide({ action: 'escalate', reply: '', topic: 'other', reason: 'There is no customer message to answer', confidence: 0 });
    }
    const call = input.mayCallTools ? triggeredToolCall(text, input.tools ?? []) : undefined;
    if (call) {
      return { toolCall: { tool: call.tool.name, arguments: call.arguments, reason: `The customer's message matches the ${call.tool.name} trigger` }, model: 'faq' };
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

    const best = input.knowledge[0];
    const confidence = best ? round2(best.score / (best.score + this.minScore)) : 0;
    // "My order arrived damaged" ranks the order-tracking entry high on the word "order": a
    // reported problem that the entry never mentions is a complaint the knowledge base does not answer.
    const problems = problemWordsIn(text);
    if (best && best.score >= this.minScore && problems.length > 0 && !problems.some((stem) => mentions(best, stem))) {
      return decide({
        action: 'escalate',
        reply: '',
        topic: best.topic ?? 'other',
        reason: `The customer reports a problem (damage, a defect, something missing) that knowledge article '${best.articleId}' does not cover`,
        confidence: Math.min(confidence, 0.3),
      });
    }
    if (best && best.score >= this.minScore) {
      return decide(
        {
          action: 'reply',
          reply: best.text,
          topic: best.topic ?? 'other',
          reason: `Answered from knowledge article '${best.articleId}' (match score ${best.score.toFixed(1)})`,
          confidence,
        },
        [best.articleId],
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

// ---------------------------------------------------------------------------------------------
// Reported problems: a complaint matched by a generic word is not answered by that entry.

/** Word beginnings (folded) that report damage, a defect or something missing, in en/de/fr/es. */
const problemStems = [
  'damag', 'broke', 'defect', 'faulty', 'crack', 'scratch', 'dented', 'leak', 'torn', 'ripped', 'shatter', 'crush', 'smash', 'missing',
  'beschadig', 'kaputt', 'defekt', 'zerbroch', 'gebroch', 'zerkratz', 'fehlt',
  'endommag', 'casse', 'abime', 'defectu', 'ecrase', 'manquant',
  'danad', 'roto', 'rota', 'rompi', 'defectuos', 'estropead', 'rayad', 'aplastad',
];

function problemWordsIn(text: string): string[] {
  const words = wordsOf(text);
  return problemStems.filter((stem) => words.some((word) => word.startsWith(stem)));
}

function mentions(chunk: RetrievedChunk, stem: string): boolean {
  return wordsOf(`${chunk.title} ${chunk.text}`).some((word) => word.startsWith(stem));
}

/**
 * What retrieval looks up for a turn: the customer's latest messages, or, when the AI spoke
 * last, everything the customer said this session.
 */
export function retrievalTextOf(transcript: TranscriptEntry[]): string {
  return latestCustomerMessages(transcript).join('\n') || transcript.filter((e) => e.role === 'customer').map((e) => e.text).join('\n');
}

/** The customer's messages after the AI's last answer; all of them if the AI hasn't answered yet. */
/** The first tool whose trigger matches the customer's words, with its named groups as the arguments. */
export function triggeredToolCall(text: string, tools: ToolSettings[]): { tool: ToolSettings; arguments: Record<string, string> } | undefined {
  for (const tool of tools) {
    if (!tool.trigger) continue;
    const groups = new RegExp(tool.trigger, 'iu').exec(text)?.groups;
    if (groups) return { tool, arguments: Object.fromEntries(Object.entries(groups).filter((e): e is [string, string] => e[1] !== undefined)) };
  }
  return undefined;
}

/** `{field}` → the field's value; a field the tool did not return becomes "unknown". */
export function fillTemplate(template: string, fields: Record<string, unknown>): string {
  return template.replace(inputReferencePattern, (_, name: string) => {
    const value = fields[name];
    return value === undefined || value === null || value === '' ? 'unknown' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

export function latestCustomerMessages(transcript: TranscriptEntry[]): string[] {
  const lastAi = transcript.map((e) => e.role).lastIndexOf('ai');
  return transcript
    .slice(lastAi + 1)
    .filter((e) => e.role === 'customer')
    .map((e) => e.text);
}

// ---------------------------------------------------------------------------------------------
// "Thanks, that's all": the customer is done.

/**
 * Phrases that say "done", folded (lower case, no accents or apostrophes). Closing phrases
 * thank or take leave; outcome phrases say it helped, and a negation right before one
 * ("not solved", "no me ayudó", "nicht geholfen") turns it around.
 */
const closingPhrases = [
  // English
  'thanks', 'thank you', 'thank u', 'thankyou', 'thx', 'thnx', 'ty', 'tysm', 'cheers', 'many thanks',
  'thats all', 'that is all', 'thats it', 'that is it', 'thats everything', 'nothing else', 'no more questions',
  'all good', 'all set', 'im all set', 'im good', 'i am good', 'perfect', 'great', 'awesome', 'excellent', 'wonderful',
  'brilliant', 'got it', 'understood', 'makes sense', 'that answers my question', 'bye', 'goodbye', 'good bye',
  'have a nice day', 'have a good day', 'have a great day', 'much appreciated', 'appreciate it', 'i appreciate it',
  // German
  'danke', 'dankeschon', 'danke schon', 'vielen dank', 'besten dank', 'herzlichen dank', 'das wars',
  'das war alles', 'das wars schon', 'das ist alles', 'das reicht', 'alles klar', 'super', 'perfekt', 'prima', 'toll',
  'tschuss', 'sonst nichts', 'passt', 'erledigt', 'schonen tag noch',
  // French
  'merci', 'merci beaucoup', 'merci bien', 'cest tout', 'c est tout', 'cetait tout', 'ca sera tout', 'ce sera tout',
  'parfait', 'genial', 'au revoir', 'rien dautre', 'bonne journee', 'bonne soiree',
  // Spanish
  'gracias', 'muchas gracias', 'mil gracias', 'eso es todo', 'es todo', 'perfecto', 'estupendo', 'adios',
  'hasta luego', 'nada mas', 'ya esta', 'buen dia', 'que tenga buen dia',
];
const outcomePhrases = [
  'that solved it', 'that solves it', 'that fixed it', 'that fixes it', 'that helped', 'that helps', 'that works',
  'it works', 'works now', 'problem solved', 'issue solved', 'solved', 'fixed', 'sorted',
  'hat geholfen', 'das hat geholfen', 'geholfen', 'hat funktioniert', 'gelost', 'problem gelost',
  'ca ma aide', 'ca marche', 'resolu', 'probleme resolu',
  'resuelto', 'me ayudo', 'me sirvio',
];

/** A negation right before an outcome phrase: "not solved", "nicht geholfen", "pas resolu", "no me ayudo". */
const negations = new Set(['not', 'never', 'didnt', 'doesnt', 'hasnt', 'wasnt', 'isnt', 'nicht', 'kein', 'keine', 'nie', 'pas', 'ne', 'jamais', 'no', 'nunca']);

/**
 * Words that add nothing next to a done phrase: fillers ("ok", "so much"), and the ordinary
 * tail of "that's all" in each language ("… I wanted to know", "… für heute", "… ce que je
 * voulais savoir", "… lo que necesitaba"). Contrast words (but, aber, mais, pero), "still",
 * negations and anything with content (an order, a question, a country) are not among them.
 */
const addNothingWords = new Set(
  (
    // English
    'ok okay k yes yeah yep yup no nope nah oh ah well so very much lot a again for the your you too all and then ' +
    'help quick fast answer reply info information guys mate now really just i im me my it its that thats this is was ' +
    'am be everything what exactly wanted want needed need to know think guess today alright cool fine sure already ' +
    'anyway indeed for now there here ' +
    // German
    'ja nein sehr nochmal fur die ihre hilfe dann ihnen dir auch schnell ich mir mich das es war ist wars alles was ' +
    'wissen wollte wollen brauchte genau heute jetzt viel vielmals schon mal wirklich echt hat gut ok ' +
    // French
    'oui non pour votre aide encore tres bien vous aussi je moi me ma ce cest ca tout que qu quil voulais savoir il ' +
    'fallait exactement aujourdhui maintenant beaucoup daccord aide ' +
    // Spanish
    'si por su ayuda de nuevo muy bien usted tambien vale eso es esto todo lo que queria saber necesitaba justo era ' +
    'hoy ahora mucho muchas listo la el'
  ).split(' '),
);

const phraseTokens = (phrases: string[], outcome: boolean) => phrases.map((phrase) => ({ tokens: phrase.split(' '), outcome }));
/** Longest first, so "thank you" wins over "thank". */
const doneTokenPhrases = [...phraseTokens(closingPhrases, false), ...phraseTokens(outcomePhrases, true)].sort((a, b) => b.tokens.length - a.tokens.length);

/**
 * True when the message only says the customer is done: a done phrase (thanks, "that solved
 * it", "that's all", "no, that's it") with nothing around it that adds anything ("thanks,
 * that's all I wanted to know"), in English, German, French or Spanish. A question mark, a
 * "but", a negated outcome ("not solved") or any word with content means it is not. A bare
 * "ok" or "no" is not done either: it needs one of the done phrases.
 */
export function isCustomerDone(text: string): boolean {
  if (text.includes('?') || text.includes('¿')) return false;
  const tokens = wordsOf(text);
  let sawDonePhrase = false;
  for (let i = 0; i < tokens.length; ) {
    const phrase = doneTokenPhrases.find((p) => p.tokens.every((t, k) => tokens[i + k] === t));
    if (phrase) {
      if (phrase.outcome && i > 0 && negations.has(tokens[i - 1]!)) return false;
      sawDonePhrase = true;
      i += phrase.tokens.length;
    } else if (addNothingWords.has(tokens[i]!)) {
      i++;
    } else {
      return false;
    }
  }
  return sawDonePhrase;
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
