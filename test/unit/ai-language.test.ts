import { expect } from 'chai';
import { detectLanguage, guessLanguages } from '../../lib/language-detection.js';
import { chooseLanguage, maxLanguageGuesses } from '../../workflow-safe/language.js';

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

describe('guessLanguages (where text enters) and chooseLanguage (in the workflow)', () => {
  it('guesses nothing for text too short to tell, so the workflow keeps its language', () => {
    expect(guessLanguages('thanks!')).to.deep.equal([]);
    expect(chooseLanguage([], 'de')).to.equal('de');
    expect(chooseLanguage(undefined, 'fr')).to.equal('fr'); // an event sent before guesses were
  });

  it('sends the best guess and the close ones, best first, at most a handful', () => {
    const guesses = guessLanguages('Hallo, wo ist meine Bestellung? Sie ist noch nicht angekommen.');
    expect(guesses[0]).to.deep.equal({ language: 'de', score: 1 });
    expect(guesses.length).to.be.within(1, maxLanguageGuesses);
    for (const guess of guesses.slice(1)) expect(guess.score).to.be.at.least(0.9).and.at.most(guesses[0]!.score);
  });

  it('keeps a fallback that scores close to the best guess, and follows a clear change', () => {
    expect(chooseLanguage([{ language: 'pt', score: 1 }, { language: 'en', score: 0.93 }], 'en')).to.equal('en');
    expect(chooseLanguage([{ language: 'pt', score: 1 }, { language: 'en', score: 0.93 }], 'en-GB')).to.equal('en-GB');
    expect(chooseLanguage([{ language: 'de', score: 1 }], 'en')).to.equal('de');
    // The best guess is sent whatever its score (a code without ISO 639-1 may have ranked above it).
    expect(chooseLanguage([{ language: 'en', score: 0.7 }], 'de')).to.equal('en');
  });

  it('chooses from the sent guesses what detection over the whole text chooses', () => {
    const texts = [
      'How do I reset my password? I tried twice already',
      'Ich habe mein Passwort vergessen und komme nicht mehr rein',
      'Quisiera cancelar mi pedido, por favor, lo antes posible',
      "Je voudrais annuler ma commande s'il vous plaît",
      'Preciso de ajuda com a minha encomenda, por favor',
    ];
    for (const text of texts)
      for (const fallback of ['en', 'de', 'es', 'fr', 'pt', 'it'])
        expect(chooseLanguage(guessLanguages(text), fallback), `${text} / ${fallback}`).to.equal(detectLanguage(text, fallback));
  });
});
