import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { Weekday } from '../../settings/schema.js';
import { aiReplies, customerSays, eventually, startConversation, startSystem, textOf, workflowDecisions, workflowState } from '../helpers/system.js';

/**
 * A fixed-offset zone in which it is around noon now, so that opening times a few seconds
 * away never cross midnight. Etc/GMT zones count with an inverted sign.
 */
function zoneAroundNoon(): string {
  const offset = 12 - DateTime.utc().hour; // -11 .. 12
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

function slotToday(zone: string, openInSeconds: number, closeInSeconds: number) {
  const now = DateTime.now().setZone(zone);
  const day = now.setLocale('en').toFormat('ccc').toLowerCase() as Weekday;
  const opens = now.plus({ seconds: openInSeconds }).startOf('second');
  return {
    days: [day],
    open: opens.toFormat('HH:mm:ss'),
    close: now.plus({ seconds: closeInSeconds }).toFormat('HH:mm:ss'),
    opensAtMs: opens.toMillis(),
  };
}

function withoutOpensAt({ opensAtMs: _, ...slot }: ReturnType<typeof slotToday>) {
  return slot;
}

describe('office hours on the real server (the workflow\'s own clock)', function () {
  this.timeout(120_000);

  it('after hours = handoff: answered while open; after closing, handed to the queue with the next opening in the customer\'s words', async () => {
    const timeZone = zoneAroundNoon();
    const system = await startSystem({
      settings: {
        officeHours: { timeZone, weekly: [withoutOpensAt(slotToday(timeZone, -60, 6))], closedDates: [], afterHours: 'handoff' },
        messages: { afterHours: { default: 'The team is away; someone will answer {nextOpening}.' } },
      },
    });
    try {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer while open');
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');

      await new Promise((r) => setTimeout(r, 6500)); // office hours close
      await customerSays(sandbox, conversationId, 'How much does shipping cost?');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'after-hours handoff');
      const replies = await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2 && aiReplies(sandbox, conversationId), 'after-hours message');
      const words = textOf(replies[1]!);
      expect(words).to.match(/^The team is away; someone will answer .+\.$/);
      expect(words).not.to.include('{nextOpening}');
      // The only slot is on today's weekday: the next opening is a week away, named by weekday.
      expect(words).to.include(DateTime.now().setZone(timeZone).toFormat('cccc'));
      const state = await workflowState(system, conversationId);
      expect(state).to.include({ escalationRule: 'office_hours', escalationReason: 'Outside office hours' });
    } finally {
      await system.close();
    }
  });

  it('after hours = ai-until-open: the AI keeps answering, and a durable timer hands off when the team opens', async () => {
    const timeZone = zoneAroundNoon();
    const { opensAtMs, ...slot } = slotToday(timeZone, 8, 3600);
    const system = await startSystem({
      settings: { officeHours: { timeZone, weekly: [slot], closedDates: [], afterHours: 'ai-until-open' } },
    });
    try {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the AI answering after hours');
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');

      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'handoff at opening time', 30_000);
      expect(Date.now()).to.be.at.least(opensAtMs);
      const state = await workflowState(system, conversationId);
      expect(state.escalationRule).to.equal('office_hours');
      const replies = await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2 && aiReplies(sandbox, conversationId), 'handoff message');
      expect(textOf(replies[1]!)).to.equal(system.settings.messages.handoff.default);
      expect((await workflowDecisions(system, conversationId))[0]).to.include({ action: 'reply', outcome: 'posted' });
    } finally {
      await system.close();
    }
  });
});
