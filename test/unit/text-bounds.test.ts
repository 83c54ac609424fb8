import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { detectLanguage, languageSampleChars, languageWords } from '../../lib/language-detection.js';
import { toConversationEvent, WebhookPayloadSchema } from '../../freshchat/webhook-events.js';
import { applyDecisionRules, matchHandoffPhrase } from '../../workflow-safe/handoff-rules.js';
import { boundCustomerText, cutText, foldText, maxCustomerTextChars } from '../../workflow-safe/text.js';
import { Conversation } from '../../workflows/conversation.js';

/**
 * Every text function the workflow runs sees customer text. A workflow task that takes more
 * than a few seconds kills the worker (and, retried, kills it again), so each must stay linear
 * whatever the shape of the text. 1 MB inputs of the shapes that break backtracking patterns:
 * one run of non-space characters (base64, a URL, emoji), runs of separators, digits, '@'.
 */
const oneMegabyte = 1_000_000;
const fill = (unit: string) => unit.repeat(Math.ceil(oneMegabyte / unit.length)).slice(0, oneMegabyte);
const shapes: Record<string, string> = {
  'base64 run': fill('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='),
  'emoji run': fill('😀'),
  'one long URL': `https://example.com/${fill('a/b?c=d&')}`,
  '@ without spaces': fill('a@'),
  'http:// repeated': fill('http://'),
  'digits and underscores': fill('1_2'),
  'words and spaces': fill('where is my order '),
  'white space': fill(' \t\n'),
  'accents to fold': fill('Agént '),
};

/** Far below the 5 s a workflow task may take; linear code needs a few milliseconds per megabyte. */
const budgetMs = 1000;

function timed(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe('text functions the workflow runs: linear time on 1 MB inputs', () => {
  const phrases = ['talk to a human', 'real person', 'agent', 'operator please'];
  const decision = { action: 'reply', reply: 'ok', topic: 'orders', sentiment: 'neutral', summary: 's', reason: 'r', confidence: 0.9 } as const;
  const rules = { topics: [], handoff: { phrases, sentimentAtOrBelow: null, minConfidence: 0.2, maxAiRepliesPerSession: 5 }, aiRepliesSoFar: 0 };

  for (const [shape, text] of Object.entries(shapes)) {
    it(`${shape}: language detection, handoff phrases, folding, bounding and the state class stay within ${budgetMs} ms each`, () => {
      const conversation = new Conversation('c', 'auto', Date.now());
      const times: Record<string, number> = {
        detectLanguage: timed(() => detectLanguage(text, 'en')),
        matchHandoffPhrase: timed(() => matchHandoffPhrase(text, phrases)),
        foldText: timed(() => foldText(text)),
        boundCustomerText: timed(() => boundCustomerText(text)),
        addCustomerMessage: timed(() => conversation.addCustomerMessage({ eventId: 'e', at: new Date().toISOString(), text: boundCustomerText(text) }, new Date().toISOString())),
        applyDecisionRules: timed(() => applyDecisionRules(decision, rules)),
      };
      for (const [fn, ms] of Object.entries(times)) expect(ms, `${fn} took ${ms.toFixed(0)} ms`).to.be.below(budgetMs);
    });
  }

  it('language detection looks at a bounded sample: 1 MB takes about as long as its first sample', () => {
    const text = shapes['words and spaces']!;
    const sample = text.slice(0, languageSampleChars);
    detectLanguage(sample, 'en'); // warm-up
    const whole = Math.min(...[1, 2, 3].map(() => timed(() => detectLanguage(text, 'en'))));
    const part = Math.min(...[1, 2, 3].map(() => timed(() => detectLanguage(sample, 'en'))));
    // Linear in the whole text would be ~1000× the sample; bounded is the same plus the cut.
    expect(whole).to.be.below(part * 20 + 20);
    expect(detectLanguage(text, 'de')).to.equal(detectLanguage(sample, 'de'));
  });

  it('gives the same answers as the earlier (quadratic) pattern on ordinary messages', () => {
    // The earlier implementation, kept here as the reference: fine on chat-sized text.
    const earlierWords = (text: string) => text.replace(/\S+@\S+|https?:\/\/\S+|[\p{N}_]+/gu, ' ');
    const messages = [
      'Bonjour, je voudrais savoir où se trouve ma commande numéro 12345, merci beaucoup',
      'Hallo, ich möchte wissen, wo meine Bestellung ist, vielen Dank für Ihre Hilfe',
      'Hola, quiero saber dónde está mi pedido, lo compré hace dos semanas',
      'Hi, my order arrived damaged, can you please send me a new one? jane@example.com',
      'see https://example.com/orders/123 — where is it? I ordered it two weeks ago already',
      'ok',
    ];
    for (const message of messages) {
      expect(languageWords(message).trim().replace(/\s+/g, ' '), message).to.equal(earlierWords(message).trim().replace(/\s+/g, ' '));
      expect(detectLanguage(message, 'en'), message).to.be.a('string');
    }
    expect(detectLanguage('Hallo, ich möchte wissen, wo meine Bestellung ist, vielen Dank', 'en')).to.equal('de');
    // Links, addresses and numbers carry no language: what is left is too short to switch.
    expect(detectLanguage('https://example.com/bestellung/123456 jane@example.de 0123456789', 'en')).to.equal('en');
  });
});

describe('customer text is bounded where it enters', () => {
  it('cuts a long message to the documented maximum with a marker saying how much was cut', () => {
    const text = 'A'.repeat(200_000);
    const bounded = boundCustomerText(text);
    expect(bounded.startsWith('A'.repeat(maxCustomerTextChars))).to.equal(true);
    expect(bounded).to.match(/\[… 196000 more characters cut\]$/);
    expect(bounded.length).to.be.below(maxCustomerTextChars + 50);
    expect(boundCustomerText('short')).to.equal('short');
  });

  it('never cuts inside a surrogate pair', () => {
    const emoji = '😀'.repeat(maxCustomerTextChars); // two UTF-16 units each
    const cut = cutText(`x${emoji}`, maxCustomerTextChars);
    expect(cut.length).to.equal(maxCustomerTextChars - 1);
    expect(/[\uD800-\uDBFF]$/.test(cut)).to.equal(false);
    expect(Buffer.from(boundCustomerText(`x${emoji}`), 'utf8').toString('utf8')).not.to.include('\uFFFD');
  });

  it('the webhook event carries the bounded text', () => {
    const payload = WebhookPayloadSchema.parse({
      actor: { actor_type: 'user', actor_id: 'u1' },
      action: 'message_create',
      action_time: new Date().toISOString(),
      data: { message: { id: 'm1', conversation_id: 'c1', actor_type: 'user', actor_id: 'u1', message_parts: [{ text: { content: 'b'.repeat(300_000) } }] } },
    });
    const routed = toConversationEvent(payload);
    if ('ignored' in routed || routed.event.kind !== 'customer_message') throw new Error('expected a customer message');
    expect(routed.event.text.length).to.be.below(maxCustomerTextChars + 50);
    expect(routed.event.text).to.include('more characters cut');
  });
});
