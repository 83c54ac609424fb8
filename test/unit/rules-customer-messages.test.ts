import { expect } from 'chai';
import { customerMessage } from '../../activities/customer-messages.js';
import type { Messages } from '../../settings/schema.js';

const messages: Messages = {
  defaultLanguage: 'en',
  handoff: { default: 'Default handover.', en: 'English handover.', de: 'Deutsche Übergabe.', 'pt-BR': 'Transferência.' },
  afterHours: { default: 'We are back {nextOpening}. {unknown} stays.', fr: 'De retour {nextOpening}.' },
  closing: { default: 'Closing.' },
  nudge: { default: 'Still there?' },
  actionPending: { default: 'Checking with the team.' },
  actionDeclined: { default: 'Could not do that.' },
};

describe('customerMessage', () => {
  it('picks the exact language variant', () => {
    expect(customerMessage(messages, 'handoff', 'de')).to.equal('Deutsche Übergabe.');
    expect(customerMessage(messages, 'handoff', 'pt-BR')).to.equal('Transferência.');
    expect(customerMessage(messages, 'handoff', 'pt-br')).to.equal('Transferência.');
  });

  it('falls back to the base language of a regional code', () => {
    expect(customerMessage(messages, 'handoff', 'de-AT')).to.equal('Deutsche Übergabe.');
  });

  it('then to the defaultLanguage variant, then to default', () => {
    expect(customerMessage(messages, 'handoff', 'it')).to.equal('English handover.');
    expect(customerMessage(messages, 'closing', 'de')).to.equal('Closing.');
    expect(customerMessage({ ...messages, defaultLanguage: 'es' }, 'handoff', 'it')).to.equal('Default handover.');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(customerMessage(messages, 'afterHours', 'en', { nextOpening: 'tomorrow at 9:00 AM' })).to.equal(
      'We are back tomorrow at 9:00 AM. {unknown} stays.',
    );
    expect(customerMessage(messages, 'afterHours', 'fr-CA', { nextOpening: 'demain à 09:00' })).to.equal('De retour demain à 09:00.');
  });
});
