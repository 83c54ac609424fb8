import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import { contactIdFor, normaliseEmail, renderNote } from '../../activities/freshchat-activities.js';
import { describeMessageParts } from '../../freshchat/message-parts.js';
import { toConversationEvent, WebhookPayloadSchema } from '../../freshchat/webhook-events.js';
import { Conversation, idleCloseMs, limits, type ConversationObserver } from '../../workflows/conversation.js';
import type { DecisionRecord } from '../../workflows/messages.js';

const t0 = Date.parse('2026-11-25T10:00:00.000Z');
const timings = { quietWindowMs: 2000, inactivityMs: 60_000, nudge: true };

describe('Conversation (the workflow state, pure)', () => {
  it('remembers event ids, bounded, and counts duplicates', () => {
    const c = new Conversation('c1', 'auto', t0);
    expect(c.rememberEvent('a')).to.equal(true);
    expect(c.rememberEvent('a')).to.equal(false);
    expect(c.view.counters.duplicatesIgnored).to.equal(1);
    for (let i = 0; i < limits.seenEventIds; i++) c.rememberEvent(`e${i}`);
    expect(c.rememberEvent('a'), 'the oldest id has been forgotten').to.equal(true);
  });

  it('waits for the quiet window after the last customer message, then for inactivity, nudge first', () => {
    const c = new Conversation('c1', 'auto', t0);
    expect(c.nextDeadline(timings)).to.deep.equal({ kind: 'close_idle_workflow', at: t0 + idleCloseMs });
    c.moveTo('ai_active');
    c.addCustomerMessage({ eventId: 'm1', at: new Date(t0).toISOString(), text: 'hi' }, new Date(t0).toISOString());
    expect(c.nextDeadline(timings)).to.deep.equal({ kind: 'quiet_window_over', at: t0 + 2000 });
    c.markAnswered(['m1']);
    c.recordAiReply(t0 + 3000);
    expect(c.nextDeadline(timings)).to.deep.equal({ kind: 'nudge_customer', at: t0 + 3000 + 60_000 });
    c.recordNudge(t0 + 63_000);
    expect(c.nextDeadline(timings)).to.deep.equal({ kind: 'resolve_inactive', at: t0 + 63_000 + 60_000 });
    expect(c.nextDeadline({ ...timings, nudge: false }).kind).to.equal('resolve_inactive');
  });

  it('starts the session no later than the first message by Freshchat\'s clock', () => {
    const c = new Conversation('c1', 'auto', t0);
    c.addCustomerMessage({ eventId: 'm1', at: new Date(t0).toISOString(), text: 'hi' }, new Date(t0 - 4000).toISOString());
    expect(c.currentSession.startedAt).to.equal(new Date(t0 - 4000).toISOString());
  });

  it('treats the echo of its own assignment as no one\'s decision, exactly once per assignment', () => {
    const c = new Conversation('c1', 'auto', t0);
    expect(c.consumeOwnEcho('assignment')).to.equal(false);
    c.expectOwnEcho('assignment');
    expect(c.consumeOwnEcho('assignment')).to.equal(true);
    expect(c.consumeOwnEcho('assignment')).to.equal(false);
  });

  it('numbers sessions and resets per-session memory; snapshots are plain JSON', () => {
    const c = new Conversation('c1', 'auto', t0);
    c.resolved('ai', 'confirmed');
    c.startSession(t0 + 1000);
    expect(c.view).to.include({ session: 2, state: 'waiting', resolvedBy: undefined, resolutionKind: undefined });
    const snapshot = JSON.parse(JSON.stringify(c.snapshot()));
    const restored = new Conversation('c1', 'auto', t0, snapshot);
    expect(restored.view.session).to.equal(2);
    expect(restored.view.counters.continuedAsNew).to.equal(1);
  });

  it('tells its observer of every decision as recorded and of every resolution; the observer is not state', () => {
    const seen: Array<DecisionRecord | string> = [];
    const observer: ConversationObserver = { decided: (record) => seen.push(record), resolved: (by, kind) => seen.push(`${by}/${kind ?? 'none'}`) };
    const c = new Conversation('c1', 'auto', t0, undefined, () => t0 + 5);
    c.observe(observer);
    const turn = c.startTurn();
    c.recordDecision({ action: 'reply', rule: 'ai_decision', reason: 'answered', outcome: 'posted' }, turn);
    c.recordDecision({ action: 'reply', rule: 'lost_ownership_race', reason: 'a rep wrote', outcome: 'dropped' });
    c.resolved('ai', 'confirmed');
    c.resolved('ops');
    expect(seen).to.deep.equal([
      { session: 1, turn: 1, at: new Date(t0 + 5).toISOString(), action: 'reply', rule: 'ai_decision', reason: 'answered', outcome: 'posted', sources: [] },
      { session: 1, turn: 1, at: new Date(t0 + 5).toISOString(), action: 'reply', rule: 'lost_ownership_race', reason: 'a rep wrote', outcome: 'dropped', sources: [] },
      'ai/confirmed',
      'ops/none',
    ]);
    expect(JSON.stringify(c.snapshot())).not.to.include('observer');
  });
});

describe('webhook events (normalisation, pure)', () => {
  const base = { actor: { actor_type: 'user', actor_id: 'u1' }, action_time: '2026-11-25T10:00:00Z' };

  it('turns a customer message (old msg_parts shape, no message_type) into a customer event', () => {
    const payload = WebhookPayloadSchema.parse({
      ...base,
      action: 'message_create',
      data: { message: { id: 'm1', conversation_id: 'c1', actor_type: 'user', actor_id: 'u1', msg_parts: [{ part_type: 'text', properties: { text: 'hello' } }] } },
    });
    expect(toConversationEvent(payload)).to.deep.equal({
      conversationId: 'c1',
      event: { kind: 'customer_message', eventId: 'm1', at: base.action_time, userId: 'u1', text: 'hello', languages: [] },
    });
  });

  it('ignores private and bot notes, and system messages', () => {
    const msg = (extra: object) =>
      toConversationEvent(WebhookPayloadSchema.parse({ ...base, action: 'message_create', data: { message: { id: 'm', conversation_id: 'c', actor_type: 'user', ...extra } } }));
    expect(msg({ message_type: 'private' })).to.have.property('ignored');
    expect(msg({ botsPrivateNote: true })).to.have.property('ignored');
    expect(msg({ actor_type: 'bot' })).to.have.property('ignored');
    expect(msg({ actor_type: 'agent', message_type: 'system' })).to.have.property('ignored');
  });

  it('describes non-text parts for the AI', () => {
    expect(describeMessageParts([{ image: { url: 'x' } }, { file: { name: 'invoice.pdf' } }, { text: { content: 'see above' } }])).to.equal(
      '[the customer sent an image]\n[the customer sent a file: invoice.pdf]\nsee above',
    );
  });

  it('gives assignments, resolutions and reopens stable ids, so a redelivery is recognised', () => {
    const assignment = {
      ...base,
      actor: { actor_type: 'agent', actor_id: 'a1' },
      action: 'conversation_assignment',
      data: { assignment: { assignor: 'agent', to_agent_id: '', to_group_id: 'g1', interaction_id: 'i1', conversation: { conversation_id: 'c1' } } },
    };
    const first = toConversationEvent(WebhookPayloadSchema.parse(assignment));
    const again = toConversationEvent(WebhookPayloadSchema.parse(JSON.parse(JSON.stringify(assignment))));
    expect(first).to.deep.equal(again);
    expect(first).to.deep.include({ conversationId: 'c1' });
    const reopen = toConversationEvent(
      WebhookPayloadSchema.parse({ ...base, action: 'conversation_reopen', data: { reopen: { reopener: 'user', conversation: { conversation_id: 'c1', status: 'reopen' } } } }),
    );
    expect(reopen).to.deep.include({ conversationId: 'c1' });
    expect((reopen as { event: { kind: string } }).event.kind).to.equal('reopen');
  });
});

describe('contacts and notes (pure)', () => {
  const secret = 'test-contact-id-secret-0123456789abcdef';
  const otherSecret = 'another-contact-id-secret-9876543210fedcba';

  it('derives one opaque contact id per normalised email', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM ')).to.equal('jane.doe@example.com');
    expect(normaliseEmail('not-an-email')).to.equal(undefined);
    const a = contactIdFor({ email: 'jane.doe@example.com' }, secret);
    expect(a).to.match(/^ct_[0-9a-f]{24}$/);
    expect(contactIdFor({ email: normaliseEmail('  JANE.DOE@Example.com ')! }, secret)).to.equal(a);
    expect(contactIdFor({ userId: 'jane.doe@example.com' }, secret)).not.to.equal(a);
  });

  it('is HMAC-SHA256 keyed with the contact id secret, cut to 24 hex digits', () => {
    // Known vector, from `printf %s 'email:jane.doe@example.com' | openssl dgst -sha256 -hmac '<secret>'`.
    expect(contactIdFor({ email: 'jane.doe@example.com' }, secret)).to.equal('ct_43a4c6e8e47141ac14473116');
    const hmac = (material: string) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(material, 'utf8').digest('hex').slice(0, 24);
    expect(contactIdFor({ email: 'casey@customer-mail.example' }, secret)).to.equal(`ct_${hmac('email:casey@customer-mail.example')}`);
    expect(contactIdFor({ userId: 'u-123' }, secret)).to.equal(`ct_${hmac('user:u-123')}`);
  });

  it('differs under another secret', () => {
    for (const key of [{ email: 'jane.doe@example.com' }, { userId: 'u-123' }]) {
      expect(contactIdFor(key, otherSecret)).to.match(/^ct_[0-9a-f]{24}$/).and.not.equal(contactIdFor(key, secret));
    }
  });

  it('never contains the unkeyed sha256 of the email (what anyone could compute from a guessed email)', () => {
    for (const email of ['jane.doe@example.com', 'casey@customer-mail.example', 'a@b.c']) {
      const unkeyed = createHash('sha256').update(`email:${email}`).digest('hex');
      for (const s of [secret, otherSecret]) {
        const id = contactIdFor({ email }, s);
        expect(id).not.to.equal(`ct_${unkeyed.slice(0, 24)}`);
        // No 8-digit run of the unkeyed hash either (a truncation or offset of it).
        for (let i = 0; i + 8 <= unkeyed.length; i++) expect(id.slice(3)).not.to.include(unkeyed.slice(i, i + 8));
      }
    }
  });

  it('refuses a secret shorter than 32 characters (ids would be guessable)', () => {
    expect(() => contactIdFor({ email: 'jane.doe@example.com' }, '')).to.throw(/at least 32/);
    expect(() => contactIdFor({ email: 'jane.doe@example.com' }, 'x'.repeat(31))).to.throw(/at least 32/);
  });

  it('renders a handoff note with everything a rep needs and the rule that decided', () => {
    const note = renderNote(
      { kind: 'handoff', session: 2, rule: 'topic_policy', reason: "Topic 'billing' is handled by people", summary: 'Asked about a double charge.', sentiment: 'very_negative', topic: 'billing', contactId: 'ct_x' },
      'http://ui/namespaces/default/workflows/w',
    );
    expect(note.split('\n')).to.deep.equal([
      'AI handoff — session 2',
      "Reason: Topic 'billing' is handled by people",
      'Decided by: topic policy (topic_policy)',
      'Topic: billing',
      'Customer sentiment: very negative',
      'Contact: ct_x',
      'Summary: Asked about a double charge.',
      'Trace: http://ui/namespaces/default/workflows/w',
    ]);
  });
});
