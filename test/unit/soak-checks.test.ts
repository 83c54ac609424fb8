import { expect } from 'chai';
import { checkTranscript, checkWorkflow, figuresOf, timelineOf, totalBreaches, type ApiRecord, type Classifier, type DeliveryRecord } from '../../soak/checks.js';
import { kindOfAiText } from '../../soak/notices.js';

const ai = 'agent-ai';
const alice = 'agent-alice';
const classifier: Classifier = { aiAgentId: ai, kindOf: kindOfAiText };

/** A hand-made transcript, as the sandbox records deliveries (its own posts included). */
class Transcript {
  readonly deliveries: DeliveryRecord[] = [];
  private n = 0;
  private add(action: string, actor: { actor_type: string; actor_id: string }, data: Record<string, unknown>, status: DeliveryRecord['status'] = 'delivered'): this {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, this.n++)).toISOString();
    this.deliveries.push({ id: `d${this.n}`, action, conversation_id: 'c1', body: JSON.stringify({ actor, action, action_time: at, data }), status, attempts: 1 });
    return this;
  }
  private message(actorType: string, actorId: string, text: string, type = 'normal') {
    return { message: { id: `m${this.n}`, actor_type: actorType, actor_id: actorId, message_type: type, message_parts: [{ text: { content: text } }] } };
  }
  customer(status: DeliveryRecord['status'] = 'delivered') {
    return this.add('message_create', { actor_type: 'user', actor_id: 'u1' }, this.message('user', 'u1', 'Where is my parcel?'), status);
  }
  aiSays(text: string) {
    return this.add('message_create', { actor_type: 'agent', actor_id: ai }, this.message('agent', ai, text));
  }
  aiNote(text: string) {
    return this.add('message_create', { actor_type: 'agent', actor_id: ai }, this.message('agent', ai, text, 'private'));
  }
  repSays() {
    return this.add('message_create', { actor_type: 'agent', actor_id: alice }, this.message('agent', alice, 'Hi, Alice here'));
  }
  aiClaims() {
    return this.add('conversation_assignment', { actor_type: 'system', actor_id: '' }, { assignment: { to_agent_id: ai } });
  }
  aiUnassigns() {
    return this.add('conversation_assignment', { actor_type: 'system', actor_id: '' }, { assignment: { to_agent_id: '' } });
  }
  repAssigns(to: string) {
    return this.add('conversation_assignment', { actor_type: 'agent', actor_id: alice }, { assignment: { to_agent_id: to } });
  }
  repResolves() {
    return this.add('conversation_resolution', { actor_type: 'agent', actor_id: alice }, { resolve: {} });
  }
  aiResolves() {
    return this.add('conversation_resolution', { actor_type: 'system', actor_id: '' }, { resolve: {} });
  }
  reopen() {
    return this.add('conversation_reopen', { actor_type: 'user', actor_id: 'u1' }, { reopen: {} });
  }
  /** The product reopening through the REST API (its resolution met the customer's message). */
  aiReopens() {
    return this.add('conversation_reopen', { actor_type: 'system', actor_id: '' }, { reopen: { reopener: 'agent' } });
  }
  check(apiRecord?: ApiRecord) {
    return checkTranscript('c1', timelineOf(this.deliveries, classifier, apiRecord));
  }
}

const kinds = (t: Transcript) => t.check().breaches.map((b) => b.kind);

describe('soak checks (plain functions over a conversation record)', () => {
  it('a clean conversation: replies, a burst answered once, a handoff, a rep, a reopen, a hand-back', () => {
    const t = new Transcript()
      .customer().aiClaims().aiSays('[soak-reply 1] Parcels arrive in 2 days.')
      .customer().customer().aiSays('[soak-reply 2] Parcels arrive in 2 days.') // a burst, one turn
      .customer().aiSays('[soak-handoff] A member of our team will be with you shortly.').aiUnassigns().aiNote('AI handoff — session 1')
      .customer() // covered by the handoff
      .repAssigns(ai) // hand-back: the AI may answer what waited
      .aiSays('[soak-reply 3] Parcels arrive in 2 days.')
      .repSays().customer() // left to the rep
      .repResolves().reopen().customer().aiClaims().aiSays('[soak-reply 4] Parcels arrive in 2 days.');
    const verdict = t.check();
    expect(verdict.breaches).to.deep.equal([]);
    expect(verdict).to.include({ sessions: 2, customerMessages: 7, aiReplies: 4, finalOwner: 'ai' });
    expect(verdict.outcomes).to.deep.equal({ ai_reply: 4, handoff: 2, rep: 1 });
  });

  it('a reopened chat a rep still holds stays with the rep; one the AI held goes back to the AI', () => {
    const repHolds = new Transcript().customer().aiClaims().aiSays('[soak-reply 1] a').repAssigns(alice).repResolves().reopen().customer();
    expect(repHolds.check()).to.deep.include({ breaches: [], finalOwner: 'rep' });
    const aiHolds = new Transcript().customer().aiClaims().aiSays('[soak-reply 1] a').repSays().repResolves().reopen().customer().aiSays('[soak-reply 2] b');
    expect(aiHolds.check()).to.deep.include({ breaches: [], finalOwner: 'ai' });
  });

  it('a rep moving the AI\'s chat to the queue escalates it: what waited may be answered after a hand-back', () => {
    const t = new Transcript().customer().aiClaims().aiSays('[soak-reply 1] a').customer().repAssigns('').customer().repAssigns(ai).aiSays('[soak-reply 2] b');
    expect(t.check()).to.deep.include({ breaches: [], finalOwner: 'ai' });
    expect(kinds(new Transcript().customer().aiClaims().repAssigns('').aiSays('[soak-reply 1] a'))).to.deep.equal(['ai_after_human']);
  });

  it('a hand-back in the middle of a handoff, and a second handoff after a hand-back, are no duplicates (seen in the soak)', () => {
    const notice = '[soak-handoff] A member of our team will be with you shortly.';
    // The rep hands back between the AI's unassignment and its note; the AI then answers what waited.
    const midway = new Transcript().customer().aiClaims().customer().aiSays(notice).customer().aiUnassigns().repAssigns(ai).aiNote('AI handoff — session 1')
      .aiSays('[soak-reply 1] a');
    expect(midway.check()).to.deep.include({ breaches: [], finalOwner: 'ai' });
    // Handed back, the AI hands off again (no second notice: unassignment, then note).
    const again = new Transcript().customer().aiClaims().aiSays(notice).aiUnassigns().aiNote('AI handoff — session 1').customer()
      .repAssigns(ai).aiUnassigns().aiNote('AI handoff — session 1, again');
    expect(again.check()).to.deep.include({ breaches: [], finalOwner: 'queue' });
  });

  it("a handoff's note retried past a rep's resolution and a reopen belongs to the session it names, not the new one (seen in the 30-minute soak)", () => {
    const late = (noteSession: number) =>
      new Transcript().customer().aiClaims().aiSays('[soak-handoff] A member of our team will be with you shortly.').aiUnassigns()
        .repResolves().reopen().customer().aiNote(`AI handoff — session ${noteSession}`).aiSays('[soak-reply 1] a');
    expect(late(1).check()).to.deep.include({ breaches: [], sessions: 2, finalOwner: 'ai' });
    // A note that names the session it lands in is that session's handoff: the AI's answer after it is a breach.
    expect(kinds(late(2))).to.deep.equal(['ai_after_handoff']);
  });

  it('finds a duplicate post (the same reply twice) and an AI message after a rep wrote', () => {
    const t = new Transcript()
      .customer().aiClaims().aiSays('[soak-reply 1] Parcels arrive in 2 days.').aiSays('[soak-reply 1] Parcels arrive in 2 days.')
      .customer().repSays().aiSays('[soak-reply 2] Parcels arrive in 2 days.');
    expect(kinds(t)).to.deep.equal(['duplicate_post', 'duplicate_post', 'ai_after_human']);
    expect(t.check().breaches[2]!.detail).to.include('after a human acted');
  });

  it('finds a second answer to one message (two decisions) and a second handoff without a hand-back', () => {
    expect(kinds(new Transcript().customer().aiSays('[soak-reply 1] a').aiSays('[soak-reply 2] b'))).to.deep.equal(['duplicate_post']);
    expect(kinds(new Transcript().customer().aiNote('AI handoff — session 1').customer().aiNote('AI handoff — session 1 again'))).to.deep.equal(['duplicate_post']);
  });

  it('finds a customer message with no outcome, and AI messages after a rep took the chat, resolved it, or after the handoff', () => {
    expect(kinds(new Transcript().customer().aiSays('[soak-reply 1] a').customer())).to.deep.equal(['no_outcome']);
    expect(kinds(new Transcript().customer().aiResolves().reopen().customer().aiSays('[soak-reply 1] a').customer())).to.deep.equal(['no_outcome', 'no_outcome']);
    expect(kinds(new Transcript().customer().repAssigns(alice).aiSays('[soak-reply 1] a'))).to.deep.equal(['ai_after_human']);
    expect(kinds(new Transcript().customer().repResolves().aiSays('[soak-nudge] still there?'))).to.deep.equal(['ai_after_human']);
    expect(kinds(new Transcript().customer().repAssigns('').aiSays('[soak-reply 1] a'))).to.deep.equal(['ai_after_human']);
    expect(kinds(new Transcript().customer().aiNote('AI handoff — session 1').customer().aiSays('[soak-reply 1] a'))).to.deep.equal(['ai_after_handoff']);
  });

  it('the AI taking back its resolution that met a customer message continues the session: the message needs an answer, once', () => {
    const crossing = () =>
      new Transcript().customer().aiClaims().aiSays('[soak-reply 1] Parcels arrive in 2 days.').customer().aiSays('[soak-reply 9] Glad I could help. Goodbye!')
        .customer() // written as the resolution landed
        .aiResolves();
    const answered = crossing().aiReopens().aiSays('[soak-reply 2] Parcels arrive in 2 days.').check();
    expect(answered.breaches).to.deep.equal([]);
    expect(answered).to.include({ sessions: 1, finalOwner: 'ai' });
    // Left resolved (the defect the soak found), the message has no outcome once the customer reopens the chat.
    expect(kinds(crossing().reopen().customer().aiSays('[soak-reply 2] Parcels arrive in 2 days.'))).to.deep.equal(['no_outcome']);
    // A customer's reopen is a new session whatever came before; a rep's resolution is never continued by the AI's reopen.
    expect(crossing().aiReopens().check().breaches.map((b) => b.kind)).to.deep.equal(['no_outcome']);
  });

  it("tells an AI post that ignored what the product had read from one that crossed a rep's act in flight", () => {
    // Events at seconds 0..3: customer, claim, the rep writes (2), the AI's reply lands (3).
    const t = new Transcript().customer().aiClaims().repSays().aiSays('[soak-reply 1] a');
    const second = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, s * 1000)).toISOString();
    const record = (messagesReadAt: number): ApiRecord => ({
      conversationReads: [second(1.5)], messageReads: [second(messagesReadAt)], postArrivals: { m3: second(2.5) },
    });
    // The product last read the messages before the rep wrote: the post crossed the rep's message.
    const crossed = t.check(record(1.5));
    expect(crossed.breaches).to.deep.equal([]);
    expect(crossed.talkedOverInFlight).to.equal(1);
    // It read them after the rep wrote, and posted anyway: a breach.
    expect(t.check(record(2.2)).breaches.map((b) => b.kind)).to.deep.equal(['ai_after_human']);
    // No record of its reads: strict.
    expect(t.check().breaches.map((b) => b.kind)).to.deep.equal(['ai_after_human']);
  });

  it('checks the workflow: missing, failed, stuck, events accepted but not handled, a state the events do not lead to', () => {
    const t = new Transcript().customer().aiClaims().aiSays('[soak-reply 1] a').customer().aiSays('[soak-reply 2] b');
    const verdict = t.check();
    const check = (facts: Parameters<typeof checkWorkflow>[3]) => checkWorkflow('c1', t.deliveries, verdict, facts).map((b) => b.kind);
    expect(check({ status: 'RUNNING', state: 'ai_active', customerMessagesHandled: 2, pendingCustomerMessages: 0, pendingActivities: 0 })).to.deep.equal([]);
    expect(check({})).to.deep.equal(['accepted_not_handled']);
    expect(check({ status: 'FAILED' })).to.deep.equal(['workflow_failed', 'accepted_not_handled']);
    expect(check({ status: 'RUNNING', queryError: 'QueryNotRegistered' })).to.deep.equal(['workflow_stuck']);
    expect(check({ status: 'RUNNING', state: 'ai_active', customerMessagesHandled: 2, workflowTaskAttempt: 4, pendingActivities: 1, pendingCustomerMessages: 1 }))
      .to.deep.equal(['workflow_stuck', 'workflow_stuck', 'workflow_stuck']);
    expect(check({ status: 'RUNNING', state: 'ai_active', customerMessagesHandled: 1 })).to.deep.equal(['accepted_not_handled']);
    expect(check({ status: 'RUNNING', state: 'human', customerMessagesHandled: 2 })).to.deep.equal(['accepted_not_handled']);
  });

  it('a customer message whose webhook was never accepted still needs an outcome (the product reconciles), and figures add up', () => {
    const lost = new Transcript().customer().aiClaims().aiSays('[soak-reply 1] a').customer('failed');
    const verdict = lost.check();
    expect(verdict.breaches.map((b) => b.kind)).to.deep.equal(['no_outcome']);
    const figures = figuresOf([{ deliveries: lost.deliveries, verdict, breaches: verdict.breaches }]);
    expect(figures.deliveries).to.deep.equal({ total: 4, delivered: 3, failed: 1, pending: 0 });
    expect(figures.breachingConversations).to.deep.equal({ no_outcome: ['c1'] });
    expect(totalBreaches(figures)).to.equal(1);
  });
});
