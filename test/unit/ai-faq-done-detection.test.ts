import { expect } from 'chai';
import { isCustomerDone } from '../../ai/faq-provider.js';

/**
 * "Done" messages as customers write them: a done phrase plus words that add nothing, and
 * look-alikes that are not done (a "but", a negated outcome, a new question without "?").
 * Labelled by hand, in the four languages the faq provider serves. The figure for the note is
 * the share classified right; every one must be.
 */
const labelled: Array<[text: string, done: boolean]> = [
  // English
  ["thanks, that's all I wanted to know", true],
  ["Thank you, that's all I needed", true],
  ['ok thanks, that answers my question', true],
  ["perfect, that's exactly what I needed to know, thanks", true],
  ["great, that's all for now", true],
  ["no, that's it for today, thank you", true],
  ["thanks a lot, I think that's everything", true],
  ['that helps, cheers', true],
  ['got it, thank you very much', true],
  ['all good now, thanks for your help', true],
  ['Brilliant, that is all I needed. Bye!', true],
  ['Thank you so much, have a nice day', true],
  ['thanks, but I still have a question about my refund', false],
  ['thanks, what about international shipping', false],
  ["that's not what I asked", false],
  ['thank you, but the package never arrived', false],
  ["ok but it still doesn't work", false],
  ['thanks. I also want to change my address', false],
  ["that's all wrong", false],
  ["no that doesn't help", false],
  ['thanks! one more thing: can I pay with PayPal', false],
  ['I want my money back, thanks', false],
  // German
  ['Danke, das war alles, was ich wissen wollte', true],
  ['Vielen Dank, das ist alles für heute', true],
  ['Super, danke, das hat mir sehr geholfen', true],
  ['Alles klar, danke schön', true],
  ['Danke, das wars für heute', true],
  ['Perfekt, genau das wollte ich wissen, danke', true],
  ['ok danke, das reicht mir', true],
  ["Danke, das war's schon, schönen Tag noch", true],
  ['Danke, aber mein Paket ist immer noch nicht da', false],
  ['Danke, und wie kann ich zurückschicken', false],
  ['Das hat nicht geholfen', false],
  ['Danke, ich habe noch eine Frage zur Rechnung', false],
  ['alles klar, aber wo ist meine Bestellung', false],
  ['Super, und wie lange dauert der Versand', false],
  ['Danke, aber ich will mein Geld zurück', false],
  // French
  ["Merci, c'est tout ce que je voulais savoir", true],
  ['Parfait, merci beaucoup pour votre aide', true],
  ["Merci, ça m'a beaucoup aidé", true],
  ["d'accord, merci, c'est tout pour aujourd'hui", true],
  ['Super, merci bien, bonne journée', true],
  ["Génial, c'est exactement ce qu'il me fallait, merci", true],
  ['Merci, ce sera tout', true],
  ["Merci, mais ma commande n'est toujours pas arrivée", false],
  ['merci, et comment je fais un retour', false],
  ["Ça ne m'a pas aidé", false],
  ["Merci, j'ai encore une question sur le remboursement", false],
  ['parfait, et pour la livraison en Suisse', false],
  ["non, ce n'est pas résolu", false],
  ['Merci, mais je veux annuler ma commande', false],
  // Spanish
  ['Gracias, eso es todo lo que quería saber', true],
  ['Perfecto, muchas gracias por la ayuda', true],
  ['Vale, gracias, eso es todo por hoy', true],
  ['Genial, me ayudó mucho, gracias', true],
  ['Listo, muchas gracias, que tenga buen día', true],
  ['Muy bien, gracias, era justo lo que necesitaba', true],
  ['Muchas gracias, nada más', true],
  ['Gracias, pero mi pedido todavía no llegó', false],
  ['gracias, y cómo hago una devolución', false],
  ['No me ayudó', false],
  ['Gracias, tengo otra pregunta sobre la factura', false],
  ['Perfecto, pero el paquete llegó roto', false],
  ['no está resuelto', false],
  ['Gracias, quiero cancelar mi pedido', false],
];

describe('done detection on a labelled set (65 messages, en/de/fr/es)', () => {
  it('has at least 60 messages, both kinds in every language', () => {
    expect(labelled.length).to.be.at.least(60);
    expect(labelled.filter(([, done]) => done).length).to.be.at.least(25);
    expect(labelled.filter(([, done]) => !done).length).to.be.at.least(25);
  });

  for (const [text, done] of labelled) {
    it(`${done ? 'done' : 'not done'}: "${text}"`, () => expect(isCustomerDone(text)).to.equal(done));
  }
});
