import { expect } from 'chai';
import { detectLanguage } from '../../workflow-safe/language.js';

describe('detectLanguage', () => {
  it('detects English, German, French and Spanish sentences as ISO 639-1', () => {
    expect(detectLanguage('Hello, where is my order? It has not arrived yet and I am getting worried.', 'de')).to.equal('en');
    expect(detectLanguage('Hallo, wo ist meine Bestellung? Sie ist noch nicht angekommen.', 'en')).to.equal('de');
    expect(detectLanguage("Bonjour, où est ma commande ? Elle n'est pas encore arrivée.", 'en')).to.equal('fr');
    expect(detectLanguage('Hola, ¿dónde está mi pedido? Todavía no ha llegado.', 'en')).to.equal('es');
  });

  it('keeps the fallback for short or undetermined text', () => {
    expect(detectLanguage('thanks', 'de')).to.equal('de');
    expect(detectLanguage('ok!!', 'fr')).to.equal('fr');
    expect(detectLanguage('', 'en')).to.equal('en');
    expect(detectLanguage('12345 67890 https://example.com/orders/123456', 'es')).to.equal('es');
    // Short chat text is where trigram guesses go wrong ("password?" reads as Portuguese).
    expect(detectLanguage('How do I reset my password?', 'en')).to.equal('en');
  });

  it('restricts candidates to the given languages', () => {
    expect(detectLanguage('Quisiera cancelar mi pedido, por favor, lo antes posible', 'en', { only: ['en', 'de', 'fr', 'es'] })).to.equal('es');
  });
});
