import { expect } from 'chai';
import { loadKnowledgeBase } from '../../ai/knowledge-base.js';
import { conversationWorkflowId } from '../../workflows/messages.js';
import {
  aiReplies,
  assign,
  conversationView,
  customerSays,
  eventually,
  newCustomer,
  privateNotes,
  repSays,
  sampleKnowledgeBase,
  redeliver,
  sandboxCall,
  sandboxToken,
  sleep,
  startConversation,
  startSystem,
  textOf,
  workflowDecisions,
  workflowHandle,
  workflowState,
  type TestSystem,
} from '../helpers/system.js';

const answers = loadKnowledgeBase(sampleKnowledgeBase).entries.map((e) => e.answer.trim());

describe('conversation lifecycle (real Temporal, Freshchat sandbox over HTTP)', function () {
  this.timeout(120_000);

  describe('auto routing', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem({ routingMode: 'auto', settings: { conversation: { inactivitySeconds: 600, nudge: false } } });
    });
    after(() => system?.close());

    it('claims an unassigned conversation, answers from the knowledge base as the AI agent, and is traceable', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      const [reply] = await eventually(async () => (await aiReplies(sandbox, conversationId)).length > 0 && aiReplies(sandbox, conversationId), 'the AI reply');
      expect(answers).to.include(textOf(reply!));
      const view = await conversationView(sandbox, conversationId);
      expect(view.conversation.assigned_agent_id).to.equal(sandbox.aiAgentId);
      const state = await workflowState(system, conversationId);
      expect(state.state).to.equal('ai_active');
      expect(state.mode).to.equal('auto');
      expect(state.counters.aiReplies).to.equal(1);
      expect(state.contactId).to.match(/^ct_[0-9a-f]{24}$/);
      const description = await workflowHandle(system, conversationId).describe();
      expect(description.searchAttributes.FreshchatConversationId).to.deep.equal([conversationId]);
      expect(description.searchAttributes.ConversationState).to.deep.equal(['ai_active']);
      expect(description.searchAttributes.ContactId).to.deep.equal([state.contactId]);
      expect(description.searchAttributes.SessionNumber).to.deep.equal([1]);
      expect(String(description.memo?.freshchatUrl)).to.include(conversationId);
    });

    it('merges quick bubbles into one turn within the quiet window', async () => {
      const quiet = await startSystem({ settings: { conversation: { quietWindowSeconds: 2 } } });
      try {
        const conversationId = await startConversation(quiet.sandbox, 'Hi');
        await customerSays(quiet.sandbox, conversationId, 'how can I track my order?');
        await eventually(async () => (await aiReplies(quiet.sandbox, conversationId)).length === 1, 'one AI reply');
        await sleep(2500);
        expect(await aiReplies(quiet.sandbox, conversationId)).to.have.length(1);
        expect((await workflowState(quiet, conversationId)).counters.turns).to.equal(1);
      } finally {
        await quiet.close();
      }
    });

    it('hands off on a handoff phrase: handoff message, unassigned, private note with everything a rep needs; then stays silent', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How do I return an item?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      await customerSays(sandbox, conversationId, 'This is not helping, I want to talk to a human');
      const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'the handoff note');
      const noteText = textOf(note!);
      expect(noteText).to.include('AI handoff');
      expect(noteText).to.include('handoff_phrase');
      expect(noteText).to.match(/Reason: The customer asked for a person \("talk to a human"\)/);
      expect(noteText).to.match(/Contact: ct_[0-9a-f]{24}/);
      expect(noteText).to.include(`${system.server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(conversationWorkflowId(conversationId))}`);
      const replies = await aiReplies(sandbox, conversationId);
      expect(textOf(replies.at(-1)!)).to.equal(system.settings.messages.handoff.default);
      const view = await conversationView(sandbox, conversationId);
      expect(view.conversation.assigned_agent_id ?? '').to.equal('');
      const state = await workflowState(system, conversationId);
      expect(state.state).to.equal('escalated');
      expect(state.escalationRule).to.equal('handoff_phrase');

      await customerSays(sandbox, conversationId, 'How long does shipping take?');
      await sleep(1500);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(replies.length);

      // Assigned back to the AI agent: it answers what is waiting.
      await assign(sandbox, conversationId, sandbox.aiAgentId);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === replies.length + 1, 'the AI answering again');
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');
    });

    it('hands off a topic whose policy is escalate, naming the topic rule', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'I was charged twice for my order, there is a wrong charge on my card');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'escalation');
      const state = await workflowState(system, conversationId);
      expect(state.escalationRule).to.equal('topic_policy');
      const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'the handoff note');
      expect(textOf(note!)).to.include('Topic: billing');
    });

    it('resolves when the customer confirms: closing reply, resolved in Freshchat, resolution note, confirmed', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How do I reset my password?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      await customerSays(sandbox, conversationId, "Thanks, that's all!");
      await eventually(async () => (await conversationView(sandbox, conversationId)).conversation.status === 'resolved', 'resolution');
      const notes = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'resolution note');
      expect(textOf(notes[0]!)).to.include('Resolved by the AI (confirmed)');
      expect(await aiReplies(sandbox, conversationId)).to.have.length(2);
      const state = await workflowState(system, conversationId);
      expect(state).to.include({ state: 'resolved', resolvedBy: 'ai', resolutionKind: 'confirmed' });
      const description = await workflowHandle(system, conversationId).describe();
      expect(description.searchAttributes.ResolvedBy).to.deep.equal(['ai']);
      expect(description.searchAttributes.ResolutionKind).to.deep.equal(['confirmed']);
    });

    it('a rep writing takes over: the AI stops for the session; a system greeting is no takeover', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How much does shipping cost?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/system-messages`, { text: 'Welcome back!' });
      await customerSays(sandbox, conversationId, 'Do you ship internationally?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'second reply after the greeting');
      await repSays(sandbox, conversationId, 'Hi, Alice here, I will take it from here.');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'takeover');
      await customerSays(sandbox, conversationId, 'How do I cancel my order?');
      await sleep(1500);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(2);
    });

    it('an assignment to a rep is a takeover; a rep resolving closes the session; a reopen starts session 2, in the team\'s hands until the AI is assigned', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How can I track my order?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      await assign(sandbox, conversationId, sandbox.reps[1]!.id);
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'takeover by assignment');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[1]!.id });
      await eventually(async () => (await workflowState(system, conversationId)).state === 'resolved', 'resolved by rep');
      expect((await workflowState(system, conversationId)).resolvedBy).to.equal('rep');

      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/reopen`, { by: 'user' });
      await eventually(async () => (await workflowState(system, conversationId)).session === 2, 'session 2');
      // Reopened in the rep's hands, then moved to the queue by a person: the team has it, the AI does not claim it.
      await assign(sandbox, conversationId, '');
      await customerSays(sandbox, conversationId, 'How do I reset my password?');
      await eventually(async () => (await workflowState(system, conversationId)).pendingCustomerMessages === 1, "the customer's message, left to the team");
      expect(await workflowState(system, conversationId)).to.include({ session: 2, state: 'escalated', escalationRule: 'ops_signal' });
      expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
      // Assigned to the AI agent, the AI answers the message waiting.
      await assign(sandbox, conversationId, sandbox.aiAgentId);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the AI answering in session 2');
      const description = await workflowHandle(system, conversationId).describe();
      expect(description.searchAttributes.SessionNumber).to.deep.equal([2]);
    });

    it('a hand-back whose webhook Freshchat gave up on is taken up at the customer\'s next message (found by the soak)', async () => {
      const { sandbox, apiUrl } = system;
      const conversationId = await startConversation(sandbox, 'How can I track my order?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      await assign(sandbox, conversationId, sandbox.reps[1]!.id);
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'takeover by assignment');
      // The rep hands the chat back to the AI while the webhook receiver is unreachable: Freshchat retries, then gives up.
      sandbox.setWebhookUrl('http://127.0.0.1:9/webhooks/freshchat');
      try {
        await assign(sandbox, conversationId, sandbox.aiAgentId, sandbox.reps[1]!.id);
        await eventually(async () => (await sandboxCall<Array<{ action: string; status: string }>>(sandbox, 'GET', `/sandbox/webhooks?conversation_id=${conversationId}`)).some((d) => d.action === 'conversation_assignment' && d.status === 'failed'), 'Freshchat giving up on the hand-back', 30_000);
      } finally {
        sandbox.setWebhookUrl(`${apiUrl}/webhooks/freshchat`);
      }
      expect((await workflowState(system, conversationId)).state).to.equal('human');
      await customerSays(sandbox, conversationId, 'How do I reset my password?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the AI answering after the hand-back it was not told of');
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');
    });

    it("a rep's words just before the customer reopens the chat do not take the new session from the AI (found by the soak)", async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How can I track my order?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      // The rep writes (a takeover; the chat stays assigned to the AI agent) and resolves; the customer writes again at once.
      await repSays(sandbox, conversationId, 'Happy to help further.');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'the takeover by a message');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      await customerSays(sandbox, conversationId, 'How do I reset my password?'); // reopens it: session 2, the AI's
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the AI answering in session 2');
      const view = await workflowState(system, conversationId);
      expect(view).to.include({ session: 2, state: 'ai_active' });
      expect((await workflowDecisions(system, conversationId)).filter((d) => d.session === 2).map((d) => d.outcome)).to.deep.equal(['posted']);
    });

    it('a rep who resolves while the AI is still handing off keeps it resolved: the AI does not put it back in the queue', async () => {
      const { sandbox } = system;
      // The handoff notice lands, slowly: the rep resolves the conversation meanwhile.
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages$', delayMs: 1500, times: 1 });
      const conversationId = await startConversation(sandbox, 'I want to talk to a human');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the escalation');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1, 'the handoff note, after the handoff');
      await sandbox.drainWebhooks();
      expect((await conversationView(sandbox, conversationId)).conversation.status).to.equal('resolved');
      const deliveries = await sandboxCall<Array<{ action: string }>>(sandbox, 'GET', `/sandbox/webhooks?conversation_id=${conversationId}`);
      expect(deliveries.map((d) => d.action)).not.to.include('conversation_reopen');
      await eventually(async () => (await workflowState(system, conversationId)).resolvedBy === 'rep', 'the session resolved by the rep');
    });

    it("a reply whose post is retried after a rep resolved and the customer wrote again is not posted into the new session (found by the soak)", async () => {
      const { sandbox } = system;
      // The first post attempt hangs 8 s, then fails: the retry comes after what happens meanwhile.
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages$', status: 503, delayMs: 8000, times: 1 });
      const conversationId = await startConversation(sandbox, 'How much does shipping cost?');
      await eventually(async () => (await sandboxCall<Array<{ remaining: number }>>(sandbox, 'GET', '/sandbox/faults')).every((f) => f.remaining === 0), 'the first post attempt');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      // Past the 5 s a new session looks back (clock skew), so its transcript is the new question alone.
      await sleep(5500);
      await customerSays(sandbox, conversationId, 'How long does shipping take?'); // reopens it: a new Freshchat session
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer in the new session', 30_000);
      await sleep(1500);
      const replies = (await aiReplies(sandbox, conversationId)).map(textOf);
      expect(replies).to.have.length(1);
      expect(replies[0]).to.match(/working day/).and.not.to.include('4.95');
      const dropped = (await workflowDecisions(system, conversationId)).find((d) => d.session === 1);
      expect(dropped).to.deep.include({ action: 'reply', rule: 'lost_ownership_race', outcome: 'dropped', reason: 'Freshchat began a new session after the messages this reply answers' });
    });

    it("a handoff whose move to the queue is retried after a rep resolved and the customer wrote again leaves the new session out of the queue (found by the soak)", async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'Which payment methods do you accept?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the first answer');
      // The move's first attempt hangs 8 s, then fails: its retry comes after what happens meanwhile.
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'PUT', path: `/conversations/${conversationId}$`, status: 503, delayMs: 8000, times: 1 });
      await customerSays(sandbox, conversationId, 'I want to talk to a human');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the handoff notice');
      await eventually(async () => (await sandboxCall<Array<{ remaining: number }>>(sandbox, 'GET', '/sandbox/faults')).every((f) => f.remaining === 0), 'the first attempt to move it');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      await sleep(5500); // past the 5 s a new session looks back (clock skew)
      await customerSays(sandbox, conversationId, 'How long does shipping take?'); // reopens it: a new Freshchat session, still the AI's
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 3, 'the answer in the new session', 30_000);
      expect(textOf((await aiReplies(sandbox, conversationId))[2]!)).to.match(/working day/);
      await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1, 'the handoff note of session 1');
      await sandbox.drainWebhooks();
      const deliveries = await sandboxCall<Array<{ action: string; body: string }>>(sandbox, 'GET', `/sandbox/webhooks?conversation_id=${conversationId}`);
      const reopen = deliveries.findIndex((d) => d.action === 'conversation_reopen');
      expect(reopen).to.be.greaterThan(0);
      const assignedTo = deliveries.slice(reopen).filter((d) => d.action === 'conversation_assignment').map((d) => JSON.parse(d.body).data.assignment.to_agent_id);
      expect(assignedTo).to.deep.equal([]); // never moved to the queue (and claimed back) after the reopen
      expect((await conversationView(sandbox, conversationId)).conversation.assigned_agent_id).to.equal(sandbox.aiAgentId);
      expect(await workflowState(system, conversationId)).to.include({ session: 2, state: 'ai_active' });
    });

    it('a redelivered webhook changes nothing', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'Which payment methods do you accept?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      const deliveries = await sandboxCall<Array<{ id: string; action: string; body: string }>>(sandbox, 'GET', `/sandbox/webhooks?conversation_id=${conversationId}`);
      const customerDelivery = deliveries.find((d) => d.action === 'message_create' && JSON.parse(d.body).actor.actor_type === 'user')!;
      const redeliveries = (await redeliver(sandbox, customerDelivery.id)) + (await redeliver(sandbox, customerDelivery.id));
      await eventually(async () => (await workflowState(system, conversationId)).counters.duplicatesIgnored >= redeliveries, 'duplicates seen');
      await sleep(1000);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
      expect((await workflowState(system, conversationId)).counters.customerMessages).to.equal(1);
    });

    it('retries Freshchat 429 (honouring Retry-After) and 5xx, posting exactly once', async () => {
      const { sandbox } = system;
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages', status: 429, retryAfterSeconds: 1, times: 1 });
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'GET', path: '^/v2/conversations/[^/]+$', status: 503, times: 1 });
      const conversationId = await startConversation(sandbox, 'Can I exchange an item for a different size?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the reply after retries');
      await sleep(1000);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
      const faults = await sandboxCall<Array<{ remaining: number }>>(sandbox, 'GET', '/sandbox/faults');
      expect(faults.every((f) => f.remaining === 0)).to.equal(true);
      await sandboxCall(sandbox, 'DELETE', '/sandbox/faults');
    });

    it('records a permanent Freshchat refusal in the state and search attributes instead of looping', async () => {
      const { sandbox } = system;
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages', status: 403, times: 1 });
      const conversationId = await startConversation(sandbox, 'Do you sell gift cards?');
      const state = await eventually(async () => {
        const s = await workflowState(system, conversationId);
        return s.lastError ? s : undefined;
      }, 'the recorded failure');
      expect(state.lastError).to.include({ activity: 'postAiReply', status: 403 });
      const description = await workflowHandle(system, conversationId).describe();
      expect(description.searchAttributes.FreshchatError).to.deep.equal(['postAiReply:403']);
      expect((await workflowDecisions(system, conversationId)).at(-1)?.outcome).to.equal('failed');
      await sandboxCall(sandbox, 'DELETE', '/sandbox/faults');
    });

    it('links two Freshchat users sharing an email to one contact, listed by the API', async () => {
      const { sandbox } = system;
      const email = `Shared.Person+${Date.now()}@Example.com`;
      const first = await startConversation(sandbox, 'How long does shipping take?', await newCustomer(sandbox, email));
      const second = await startConversation(sandbox, 'How much does shipping cost?', await newCustomer(sandbox, `  ${email.toLowerCase()} `));
      const contactA = await eventually(async () => (await workflowState(system, first)).contactId, 'contact A');
      const contactB = await eventually(async () => (await workflowState(system, second)).contactId, 'contact B');
      expect(contactA).to.equal(contactB);
      expect(contactA).not.to.include('@');
      const listed = await eventually(async () => {
        const res = await fetch(`${system.opsUrl}/contacts/${contactA}/conversations`);
        const body = (await res.json()) as { conversations: Array<{ conversationId: string }> };
        return body.conversations.length === 2 && body;
      }, 'both conversations listed for the contact');
      expect(listed.conversations.map((c) => c.conversationId).sort()).to.deep.equal([first, second].sort());
    });
  });

  describe('assigned-only routing', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem({ routingMode: 'assigned-only' });
    });
    after(() => system?.close());

    it('waits until Freshchat routes the conversation to the AI agent, then answers the pending message', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How do I return an item?');
      await eventually(async () => (await workflowState(system, conversationId)).counters.customerMessages === 1, 'message received');
      await sleep(1000);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(0);
      expect((await workflowState(system, conversationId)).state).to.equal('waiting');
      await assign(sandbox, conversationId, sandbox.aiAgentId);
      const [reply] = await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1 && aiReplies(sandbox, conversationId), 'the answer');
      expect(answers).to.include(textOf(reply!));
    });

    it('never touches a conversation assigned to a rep', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'Hello?');
      await assign(sandbox, conversationId, sandbox.reps[0]!.id);
      await customerSays(sandbox, conversationId, 'How long does shipping take?');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'human state');
      await sleep(1000);
      const view = await conversationView(sandbox, conversationId);
      expect(view.messages.filter((m) => m.actor_id === sandbox.aiAgentId)).to.have.length(0);
      expect(view.conversation.assigned_agent_id).to.equal(sandbox.reps[0]!.id);
    });
  });

  describe('handoff group and inactivity', () => {
    it('moves escalations to the configured group', async () => {
      const system = await startSystem({ startWorker: false });
      try {
        const res = await fetch(`${system.sandbox.apiUrl}/groups`, { headers: { authorization: `Bearer ${sandboxToken}` } });
        const groupId = ((await res.json()) as { groups: Array<{ id: string }> }).groups[0]!.id;
        await system.startWorker({ handoffGroupId: groupId });
        const conversationId = await startConversation(system.sandbox, 'I want a real person please');
        await eventually(async () => (await conversationView(system.sandbox, conversationId)).conversation.assigned_group_id === groupId, 'group assignment');
        expect((await conversationView(system.sandbox, conversationId)).conversation.assigned_agent_id ?? '').to.equal('');
      } finally {
        await system.close();
      }
    });

    it('records a wrong AI agent email for doctor and keeps the conversation waiting instead of failing', async () => {
      const system = await startSystem({ startWorker: false });
      try {
        await system.startWorker({ aiAgentEmail: 'nobody-here@sandbox.test' });
        const conversationId = await startConversation(system.sandbox, 'How long does shipping take?');
        const state = await eventually(async () => {
          const s = await workflowState(system, conversationId);
          return s.lastError ? s : undefined;
        }, 'the recorded failure');
        expect(state.lastError).to.include({ activity: 'loadSessionPolicy', status: 404, code: 'AI_AGENT_NOT_FOUND' });
        const description = await workflowHandle(system, conversationId).describe();
        expect(description.status.name).to.equal('RUNNING');
        expect(description.searchAttributes.FreshchatError).to.deep.equal(['loadSessionPolicy:404']);
      } finally {
        await system.close();
      }
    });

    it('nudges a silent customer, then resolves as assumed with reason "customer inactive"', async () => {
      const system = await startSystem({ settings: { conversation: { inactivitySeconds: 2, nudge: true } } });
      try {
        const { sandbox } = system;
        const conversationId = await startConversation(sandbox, 'How long does shipping take?');
        await eventually(async () => (await conversationView(sandbox, conversationId)).conversation.status === 'resolved', 'inactivity resolution', 30_000);
        const replies = (await aiReplies(sandbox, conversationId)).map(textOf);
        expect(replies).to.have.length(3);
        expect(replies[1]).to.equal(system.settings.messages.nudge.default);
        expect(replies[2]).to.equal(system.settings.messages.closing.default);
        const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'note');
        expect(textOf(note!)).to.include('Reason: customer inactive');
        expect(textOf(note!)).to.include('Resolution: assumed');
        const state = await workflowState(system, conversationId);
        expect(state).to.include({ resolvedBy: 'ai', resolutionKind: 'assumed' });
      } finally {
        await system.close();
      }
    });

    it('escalates with reason "AI unavailable" when the AI keeps failing', async () => {
      const system = await startSystem({
        ai: () => ({
          name: 'openai' as const,
          async decide() {
            const { AiProviderError } = await import('../../ai/provider.js');
            throw new AiProviderError('model overloaded', { retryable: true, status: 503, code: 'HTTP_503' });
          },
        }),
      });
      try {
        const { sandbox } = system;
        const conversationId = await startConversation(sandbox, 'How long does shipping take?');
        await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'escalation', 30_000);
        const state = await workflowState(system, conversationId);
        expect(state).to.include({ escalationRule: 'ai_failure', escalationReason: 'AI unavailable' });
        const notes = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'note');
        expect(textOf(notes[0]!)).to.include('Reason: AI unavailable');
        expect((await aiReplies(sandbox, conversationId)).map(textOf)).to.deep.equal([system.settings.messages.handoff.default]);
      } finally {
        await system.close();
      }
    });
  });
});
