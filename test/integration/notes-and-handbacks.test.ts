import { expect } from 'chai';
import {
  aiReplies,
  assign,
  conversationView,
  customerSays,
  eventually,
  privateNotes,
  repSays,
  sleep,
  startConversation,
  startSystem,
  textOf,
  workflowHandle,
  workflowState,
  type TestSystem,
} from '../helpers/system.js';

/** What a rep reads: who resolved, the session's topic, and the handoff words said once. */
describe('notes and hand-backs (real Temporal, Freshchat sandbox over HTTP)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  before(async function () {
    this.timeout(600_000);
    system = await startSystem({ settings: { conversation: { inactivitySeconds: 600, nudge: false } } });
  });
  after(() => system?.close());

  it('a resolution note takes the session\'s topic, not the closing "thanks" turn\'s', async () => {
    const { sandbox } = system;
    const conversationId = await startConversation(sandbox, 'How long does shipping take?');
    await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer');
    await customerSays(sandbox, conversationId, "Thanks, that's all!");
    const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1 && privateNotes(sandbox, conversationId), 'the resolution note');
    expect(textOf(note!)).to.include('Resolved by the AI (confirmed)');
    expect(textOf(note!)).to.include('Topic: shipping');
    expect(textOf(note!)).not.to.include('Topic: other');
  });

  it('an ops resolution is titled as resolved by ops, as its ResolvedBy search attribute says', async () => {
    const { sandbox } = system;
    const conversationId = await startConversation(sandbox, 'How much does shipping cost?');
    await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer');
    await workflowHandle(system, conversationId).signal('resolveConversation', { reason: 'duplicate of another chat' });
    const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1 && privateNotes(sandbox, conversationId), 'the resolution note');
    expect(textOf(note!).split('\n')[0]).to.equal('Resolved by ops — session 1');
    expect(textOf(note!)).not.to.include('by the AI');
    expect((await workflowHandle(system, conversationId).describe()).searchAttributes.ResolvedBy).to.deep.equal(['ops']);
  });

  it('after a hand-back the AI hands off again without telling the customer a second time', async () => {
    const { sandbox } = system;
    const handoffWords = system.settings.messages.handoff.default;
    const conversationId = await startConversation(sandbox, 'How do I reset my password?');
    await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer');
    const handle = workflowHandle(system, conversationId);
    await handle.signal('forceHandoff', { reason: 'checking something' });
    await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1, 'the first handoff note');
    await handle.signal('handBackToAi');
    await eventually(async () => (await workflowState(system, conversationId)).state === 'ai_active', 'handed back');

    // The customer asks for a person: the AI hands off again.
    await customerSays(sandbox, conversationId, 'I want to talk to a human');
    await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 2, 'the second handoff note');
    expect((await workflowState(system, conversationId)).state).to.equal('escalated');
    expect((await conversationView(sandbox, conversationId)).conversation.assigned_agent_id ?? '').to.equal('');
    const told = (await aiReplies(sandbox, conversationId)).filter((m) => textOf(m) === handoffWords);
    expect(told).to.have.length(1);
  });

  it('a rep who wrote and then hands the chat back (assigns it to the AI agent) gets the AI answering again in the same session', async () => {
    // Found by the soak: the ownership check before a post saw the rep's earlier message and dropped every AI post after the hand-back.
    const { sandbox } = system;
    const conversationId = await startConversation(sandbox, 'How long does shipping take?');
    await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer');
    await repSays(sandbox, conversationId, 'Hi, Alice here, let me check.');
    await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'the rep took over');
    await assign(sandbox, conversationId, sandbox.aiAgentId);
    await eventually(async () => (await workflowState(system, conversationId)).state === 'ai_active', 'handed back');

    await customerSays(sandbox, conversationId, 'How much does shipping cost?');
    await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the AI answering after the hand-back');
    await sleep(500);
    const state = await workflowState(system, conversationId);
    expect(state.state).to.equal('ai_active');
    expect(state.counters.droppedPosts).to.equal(0);
  });

  it('a handoff decided without the AI, on the very first message, still tells the rep the summary, topic and sentiment', async () => {
    const { sandbox } = system;
    const text = 'My order arrived broken and this is terrible, I want to talk to a human now';
    const conversationId = await startConversation(sandbox, text);
    const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1 && privateNotes(sandbox, conversationId), 'the handoff note');
    const lines = textOf(note!).split('\n');
    expect(lines[0]).to.equal('AI handoff — session 1');
    expect(lines).to.include('Decided by: handoff phrase (handoff_phrase)');
    expect(lines.find((l) => l.startsWith('Summary: '))).to.include('Customer asked: "My order arrived broken');
    expect(lines.find((l) => l.startsWith('Topic: '))).to.equal('Topic: orders');
    expect(lines.find((l) => l.startsWith('Customer sentiment: '))).to.match(/negative/);
  });
});
