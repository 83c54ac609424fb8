import { decisionOf } from '../../ai/provider.js';
import { expect } from 'chai';
import { AiDecisionSchema } from '../../ai/decision-schema.js';
import { FaqProvider, defaultMinScore, isCustomerDone, latestCustomerMessages, sentimentOf, summarizeSession } from '../../ai/faq-provider.js';
import { loadKnowledgeBase } from '../../ai/knowledge-base.js';
import { createAiProvider } from '../../ai/create-provider.js';
import type { AiTurnInput, TranscriptEntry } from '../../ai/provider.js';
import { defaultSettingsPath, loadAssistantSettings } from '../../settings/assistant-settings.js';
import { knowledgeIndexOf, turnInput } from '../helpers/knowledge.js';

const settings = loadAssistantSettings(defaultSettingsPath);
const faq = new FaqProvider();
// The Q&A file only: these cases were written for its entries.
const index = await knowledgeIndexOf({ ...settings, knowledge: { ...settings.knowledge, sources: [] } });
const sampleEntries = loadKnowledgeBase(settings.knowledgeBase!).entries;

let clock = Date.UTC(2025, 0, 10, 10, 0, 0);
const entry = (role: TranscriptEntry['role'], text: string): TranscriptEntry => ({ role, text, at: new Date((clock += 1000)).toISOString() });
const turn = (transcript: TranscriptEntry[], language = 'en'): AiTurnInput => turnInput(index, transcript, language);
const ask = (text: string) => faq.decide(turn([entry('customer', text)]), new AbortController().signal).then(decisionOf);

describe('faq provider', () => {
  it('is what createAiProvider builds for provider faq', () => {
    expect(createAiProvider({ provider: 'faq' }, settings).name).to.equal('faq');
  });

  const paraphrases: Array<[string, string, string]> = [
    ['My parcel still hasn’t arrived, where is it?', 'track-order', 'orders'],
    ['how many days until my stuff is delivered', 'shipping-times', 'shipping'],
    ['I forgot my pasword and cannot log in', 'password-reset', 'account'],
    ['Can I send the shoes back?', 'return-policy', 'returns'],
    ['when do I get my money back', 'refund-timing', 'returns'],
    ['do you take PayPal?', 'payment-methods', 'orders'],
    ['I typed the wrong address for the delivery', 'change-address', 'orders'],
    ['Do you deliver to Switzerland?', 'international-shipping', 'shipping'],
    ['the jacket I bought is defective', 'warranty', 'returns'],
    ['I want to cancel my order', 'cancel-order', 'orders'],
  ];
  for (const [question, id, topic] of paraphrases) {
    it(`answers "${question}" from ${id}`, async () => {
      const result = await ask(question);
      expect(AiDecisionSchema.parse(result.decision)).to.deep.equal(result.decision);
      expect(result.sources).to.deep.equal([`faq:${id}`]);
      expect(result.model).to.equal('faq');
      expect(result.decision).to.include({ action: 'reply', topic });
      expect(result.decision.reply).to.equal(sampleEntries.find((e) => e.id === id)!.answer);
      expect(result.decision.confidence).to.be.greaterThan(0.5).and.lessThan(1);
    });
  }

  it('derives confidence from the score: s / (s + threshold)', async () => {
    const text = 'do you take PayPal?';
    const score = index.search(text, 1)[0]!.score;
    const { decision } = await ask(text);
    expect(decision.confidence).to.be.closeTo(score / (score + defaultMinScore), 0.005);
  });

  it('tags an answer with the entry topic, so billing questions reach the topic rule', async () => {
    const { decision, sources } = await ask('I was charged twice for my order');
    expect(sources).to.deep.equal(['faq:double-charge']);
    expect(decision.topic).to.equal('billing');
  });

  for (const offTopic of ['What is the weather like in Paris?', 'Is the Trailblazer tent waterproof?', 'I love pizza', 'order']) {
    it(`escalates off-topic "${offTopic}"`, async () => {
      const { decision, sources } = await ask(offTopic);
      expect(decision).to.include({ action: 'escalate', reply: '', topic: 'other' });
      expect(decision.reason).to.equal('No knowledge-base answer matched the question well enough');
      expect(decision.confidence).to.be.lessThan(0.5);
      expect(sources).to.deep.equal([]);
    });
  }

  it('resolves when the customer says they are done, with closing words in their language', async () => {
    const transcript = [entry('customer', 'How long does shipping take?'), entry('ai', 'Two to four days.'), entry('customer', "thanks, that's all")];
    const { decision } = decisionOf(await faq.decide(turn(transcript), new AbortController().signal));
    expect(decision).to.include({ action: 'resolve', reason: 'Customer confirmed the issue is solved' });
    expect(decision.reply).to.match(/glad/i);
    const german = decisionOf(await faq.decide(turn([...transcript.slice(0, 2), entry('customer', 'Danke, das war alles!')], 'de'), new AbortController().signal));
    expect(german.decision.action).to.equal('resolve');
    expect(german.decision.reply).to.contain('Gern geschehen');
  });

  it('does not resolve on a thanks that asks something new, and answers the new question', async () => {
    const transcript = [
      entry('customer', 'How long does shipping take?'),
      entry('ai', 'Two to four days.'),
      entry('customer', 'thanks, and how do I return it?'),
    ];
    const { decision, sources } = decisionOf(await faq.decide(turn(transcript), new AbortController().signal));
    expect(decision.action).to.equal('reply');
    expect(sources).to.deep.equal(['faq:return-policy']);
  });

  it('reads only the messages since the last AI answer, merging quick bubbles', async () => {
    const transcript = [
      entry('customer', 'How do I reset my password?'),
      entry('ai', 'Click "Forgot password?".'),
      entry('customer', 'ok'),
      entry('customer', 'and which payment methods do you accept'),
    ];
    expect(latestCustomerMessages(transcript)).to.deep.equal(['ok', 'and which payment methods do you accept']);
    const { sources } = decisionOf(await faq.decide(turn(transcript), new AbortController().signal));
    expect(sources).to.deep.equal(['faq:payment-methods']);
  });

  it('reports the sentiment of the latest messages and a summary', async () => {
    const transcript = [
      entry('customer', 'Where is my order?'),
      entry('ai', 'Here is your tracking link.'),
      entry('customer', 'This is terrible, I am very angry and disappointed. Where is my parcel?'),
    ];
    const { decision } = decisionOf(await faq.decide(turn(transcript), new AbortController().signal));
    expect(decision.sentiment).to.equal('very_negative');
    expect(decision.summary).to.contain('Where is my order?').and.contain('AI replied once');
  });

  it('escalates when there is no customer message', async () => {
    const { decision } = decisionOf(await faq.decide(turn([]), new AbortController().signal));
    expect(decision.action).to.equal('escalate');
  });

  it('rejects with the abort reason when the signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    controller.abort(reason);
    let caught: unknown;
    try {
      decisionOf(await faq.decide(turn([entry('customer', 'How long does shipping take?')]), controller.signal));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.equal(reason);
  });
});

describe('faq provider: a specific complaint matched by a generic word', () => {
  const complaints = [
    'Hi, my order arrived damaged.',
    'my parcel arrived but the box was crushed',
    'Meine Bestellung kam beschädigt an',
    'Ma commande est arrivée endommagée',
    'Mi pedido llegó dañado',
  ];
  for (const text of complaints) {
    it(`"${text}" is not answered from an entry that never mentions the problem`, async () => {
      const { decision } = await ask(text);
      expect(decision.action).to.equal('escalate');
      expect(decision.confidence).to.be.below(0.5);
    });
  }

  it('says why: the entry the generic word matched does not cover the reported problem', async () => {
    const { decision } = await ask('Hi, my order arrived damaged.');
    expect(decision.reason).to.equal("The customer reports a problem (damage, a defect, something missing) that knowledge article 'faq:track-order' does not cover");
    expect(decision.topic).to.equal('orders');
  });

  it('a problem the knowledge base does cover is still answered ("broken" → the warranty entry)', async () => {
    const result = await ask('My new kettle is broken');
    expect(result.decision.action).to.equal('reply');
    expect(result.sources).to.deep.equal(['faq:warranty']);
  });

  it('a question without a reported problem is answered as before', async () => {
    const result = await ask('Where is my parcel? It has not arrived yet');
    expect(result.decision.action).to.equal('reply');
    expect(result.sources).to.deep.equal(['faq:track-order']);
  });
});

describe('isCustomerDone', () => {
  const done = [
    "thanks, that's all",
    'Thanks, that’s all!',
    'that solved it',
    'perfect, thank you',
    "no that's it",
    'No, that is all, thank you so much for the help',
    'Thank you! 🙂',
    'great, thanks',
    'Danke, das war alles',
    'Vielen Dank, hat geholfen',
    "Merci beaucoup, c'est tout",
    'Parfait, merci',
    'Gracias, eso es todo',
    'Perfecto, muchas gracias',
  ];
  const notDone = [
    'thanks, and how do I return it?',
    'Thanks. And how do I return it',
    "thanks but it still doesn't work",
    'ok',
    'no',
    'not solved',
    'Where is my order?',
    'Danke, aber wo ist mein Paket?',
    '',
  ];
  for (const text of done) it(`"${text}" is done`, () => expect(isCustomerDone(text)).to.equal(true));
  for (const text of notDone) it(`"${text}" is not done`, () => expect(isCustomerDone(text)).to.equal(false));
});

describe('sentimentOf', () => {
  it('maps AFINN scores to levels', () => {
    expect(sentimentOf('This is terrible, I am very angry and disappointed')).to.equal('very_negative');
    expect(sentimentOf('This is the worst service ever. Absolutely useless, I hate you')).to.equal('very_negative');
    expect(sentimentOf('I am a bit annoyed that it is late')).to.equal('negative');
    expect(sentimentOf('The product is broken')).to.equal('negative');
    expect(sentimentOf('Where is my order?')).to.equal('neutral');
    expect(sentimentOf('')).to.equal('neutral');
    expect(sentimentOf('Thanks, that is great!')).to.equal('positive');
  });
});

describe('summarizeSession', () => {
  it('is short and extractive: first question, latest message, what the AI and reps did', () => {
    const long = 'x'.repeat(1000);
    const summary = summarizeSession([
      entry('customer', `Where is my order? ${long}`),
      entry('ai', 'Here is the tracking link.'),
      entry('rep', 'Hi, I am Anna.'),
      entry('customer', 'It says delivered but it is not here'),
    ]);
    expect(summary.length).to.be.at.most(400);
    expect(summary).to.contain('Customer asked: "Where is my order?');
    expect(summary).to.contain('Latest: "It says delivered but it is not here"');
    expect(summary).to.contain('AI replied once, last: "Here is the tracking link."');
    expect(summary).to.contain('A rep wrote 1 message');
    expect(summarizeSession([])).to.equal('No customer messages yet.');
  });
});
