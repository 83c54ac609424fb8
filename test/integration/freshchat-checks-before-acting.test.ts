/**
 * Activities that look at Freshchat right before they act (found by the soak), the real
 * activities against the sandbox over HTTP: the AI's resolution (a customer who wrote after the
 * AI's closing words keeps the conversation open, whatever became of those messages' webhooks)
 * and the AI's claim of a new conversation (a rep who resolved or took it meanwhile keeps it).
 */
import { expect } from 'chai';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createFreshchatActivities, type ResolveOutcome } from '../../activities/freshchat-activities.js';
import { FreshchatClient } from '../../freshchat/client.js';
import { createLogger } from '../../lib/logger.js';
import { SandboxControl } from '../../sandbox/control-client.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { SettingsSource } from '../../settings/settings-source.js';
import { loadAssistantSettings } from '../../settings/assistant-settings.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { eventually, writeTestSettings } from '../helpers/system.js';

const apiToken = 'resolve-test-token-0123456789';
const aiAgentEmail = 'ai-agent@sandbox.test';

describe('Freshchat activities that check before they act (real activities, sandbox over HTTP)', () => {
  let sandbox: Sandbox;
  let control: SandboxControl;
  let activities: ReturnType<typeof createFreshchatActivities>;
  const env = new MockActivityEnvironment();
  /** An activity in the SDK's mock activity context (posts read their attempt number), typed. */
  const run = <A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R> => env.run(activity, ...args) as Promise<R>;

  before(async () => {
    sandbox = await startSandbox({ apiToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', capturedLogs) });
    control = new SandboxControl(sandbox.baseUrl);
    activities = createFreshchatActivities({
      client: new FreshchatClient({ apiUrl: sandbox.apiUrl, apiToken }),
      aiAgentEmail,
      settings: new SettingsSource(loadAssistantSettings(writeTestSettings())),
      traceUrl: () => 'http://ui/trace',
      contactIdSecret: 'test-contact-id-secret-0123456789abcdef',
      describeSession: async () => ({ summary: 's', sentiment: 'neutral', topic: 'other' }),
      logger: createLogger('worker', capturedLogs),
    });
  });

  after(() => sandbox?.close());

  /** A conversation the AI holds, the customer's thanks and the AI's closing words posted. */
  async function closedWords(): Promise<{ conversationId: string; notBefore: string }> {
    const conversationId = await control.createConversation(await control.createCustomer('pat@example.com', 'Pat'));
    const sessionStartedAt = new Date(Date.now() - 1000).toISOString();
    await control.customerSays(conversationId, "thanks, that's all");
    await run(activities.assignToAiAgent, conversationId);
    const notBefore = new Date(Date.now() - 5000).toISOString();
    const closing = await run(activities.postAiReply, { conversationId, text: 'Glad I could help!', sessionStartedAt, notBefore });
    expect(closing.posted).to.equal(true);
    return { conversationId, notBefore };
  }

  it('resolves when the customer has not written since the closing words', async () => {
    const { conversationId, notBefore } = await closedWords();
    expect(await run(activities.resolveInFreshchat, { conversationId, unlessCustomerWroteSince: notBefore })).to.deep.equal({ resolved: true });
    expect((await control.conversation(conversationId)).conversation.status).to.equal('resolved');
  });

  it('leaves the conversation open and returns what the customer wrote after the closing words, oldest first', async () => {
    const { conversationId, notBefore } = await closedWords();
    const first = await control.customerSays(conversationId, 'wait, one more thing');
    const second = await control.customerSays(conversationId, 'when does it ship?');
    const outcome = await run(activities.resolveInFreshchat, { conversationId, unlessCustomerWroteSince: notBefore });
    expect(outcome.resolved).to.equal(false);
    if (outcome.resolved) return;
    expect(outcome.customerMessages.map((m) => [m.eventId, m.text])).to.deep.equal([[first.id, 'wait, one more thing'], [second.id, 'when does it ship?']]);
    expect((await control.conversation(conversationId)).conversation.status).to.equal('assigned');
  });

  it("takes back a resolution the customer wrote into as it landed: reopened, still the AI's, the message returned (found by the soak)", async () => {
    const { conversationId, notBefore } = await closedWords();
    // Freshchat takes a while with the resolution: the check has read, the PUT is on its way.
    await control.addFault({ method: 'PUT', path: `/conversations/${conversationId}$`, delayMs: 500, times: 1 });
    const readsBefore = (await control.apiRecord(conversationId)).messageReads.length;
    const resolving = run(activities.resolveInFreshchat, { conversationId, unlessCustomerWroteSince: notBefore });
    await eventually(async () => (await control.apiRecord(conversationId)).messageReads.length > readsBefore, 'the check');
    const crossing = await control.customerSays(conversationId, 'oh wait, and the invoice?');
    const outcome = await resolving;
    expect(outcome).to.deep.include({ resolved: false, tookBack: true });
    if (outcome.resolved) return;
    expect(outcome.customerMessages.map((m) => m.eventId)).to.deep.equal([crossing.id]);
    const { conversation } = await control.conversation(conversationId);
    expect(conversation.status).not.to.equal('resolved');
    expect(conversation.assigned_agent_id).to.equal(sandbox.aiAgentId);
    const events = (await control.webhooks(conversationId)).map((d) => d.action);
    expect(events.slice(-2)).to.deep.equal(['conversation_resolution', 'conversation_reopen']);
    // The answer to that message is not taken for a post into a new session (the reopen gave Freshchat a new interaction).
    const answer = await run(activities.postAiReply, { conversationId, text: 'The invoice is in your account.', sessionStartedAt: notBefore, notBefore, answering: [crossing.id] });
    expect(answer.posted).to.equal(true);
  });

  it('a retry after an attempt that resolved over the customer\'s message takes the resolution back; a first attempt never reopens', async () => {
    const { conversationId, notBefore } = await closedWords();
    await control.customerSays(conversationId, 'and the invoice?');
    await run(activities.resolveInFreshchat, conversationId); // as the attempt that died after its PUT left it
    const firstTry = await run(activities.resolveInFreshchat, { conversationId, unlessCustomerWroteSince: notBefore });
    expect(firstTry).to.include({ resolved: false }).and.not.have.property('tookBack');
    expect((await control.conversation(conversationId)).conversation.status).to.equal('resolved');
    const retry = new MockActivityEnvironment({ attempt: 2 });
    const retried = (await retry.run(activities.resolveInFreshchat, { conversationId, unlessCustomerWroteSince: notBefore })) as ResolveOutcome;
    expect(retried).to.deep.include({ resolved: false, tookBack: true });
    expect((await control.conversation(conversationId)).conversation).to.include({ assigned_agent_id: sandbox.aiAgentId }).and.not.include({ status: 'resolved' });
  });

  it('ops (no check) and activities scheduled by workflows from before the check (the id alone) resolve as before', async () => {
    const { conversationId } = await closedWords();
    await control.customerSays(conversationId, 'one more thing');
    expect(await run(activities.resolveInFreshchat, { conversationId })).to.deep.equal({ resolved: true });
    expect((await control.conversation(conversationId)).conversation.status).to.equal('resolved');
    const other = (await closedWords()).conversationId;
    expect(await run(activities.resolveInFreshchat, other)).to.deep.equal({ resolved: true });
    expect((await control.conversation(other)).conversation.status).to.equal('resolved');
  });

  it('a reply looks for its earlier post on every attempt, after the messages it answers: run twice as attempt 1, it posts once', async () => {
    const conversationId = await control.createConversation(await control.createCustomer('lee@example.com', 'Lee'));
    const sessionStartedAt = new Date(Date.now() - 1000).toISOString();
    const question = await control.customerSays(conversationId, 'Where is my parcel?');
    await run(activities.assignToAiAgent, conversationId);
    const reply = { conversationId, text: 'It left our warehouse today.', sessionStartedAt, notBefore: new Date(Date.now() - 5000).toISOString(), answering: [question.id] };
    const first = await run(activities.postAiReply, reply);
    const again = await run(activities.postAiReply, reply); // the mock environment's attempt is 1 both times
    expect(first.posted && again.posted && again.messageId === first.messageId).to.equal(true);
    const posted = (await control.conversation(conversationId)).messages.filter((m) => m.actor_id === sandbox.aiAgentId);
    expect(posted).to.have.length(1);
    // The same words to the customer's next message (the same question again, answered at once) are a new reply.
    const askedAgain = await control.customerSays(conversationId, 'Where is my parcel?');
    const next = await run(activities.postAiReply, { ...reply, answering: [askedAgain.id] });
    expect(next.posted && first.posted && next.messageId !== first.messageId).to.equal(true);
    expect((await control.conversation(conversationId)).messages.filter((m) => m.actor_id === sandbox.aiAgentId)).to.have.length(2);
  });

  describe('claimForAiAgent', () => {
    async function newConversation(): Promise<string> {
      const conversationId = await control.createConversation(await control.createCustomer('sam@example.com', 'Sam'));
      await control.customerSays(conversationId, 'Where is my order?');
      return conversationId;
    }

    it('claims an open conversation nobody holds; a retried claim finds it the AI\'s and assigns nothing', async () => {
      const conversationId = await newConversation();
      const first = await run(activities.claimForAiAgent, conversationId);
      expect(first).to.deep.include({ claimed: true });
      expect(first.owner).to.include({ status: 'new', assignedAgentId: '' });
      const retried = await run(activities.claimForAiAgent, conversationId);
      expect(retried).to.deep.include({ claimed: false });
      expect(retried.owner).to.include({ status: 'assigned', assignedAgentId: sandbox.aiAgentId });
      expect((await control.conversation(conversationId)).conversation).to.include({ status: 'assigned', assigned_agent_id: sandbox.aiAgentId });
      expect((await control.webhooks(conversationId)).filter((d) => d.action === 'conversation_assignment')).to.have.length(1);
    });

    it('leaves a conversation a rep resolved closed (a late claim used to reopen it)', async () => {
      const conversationId = await newConversation();
      await control.resolve(conversationId, sandbox.reps[0]!.id);
      const claim = await run(activities.claimForAiAgent, conversationId);
      expect(claim.claimed).to.equal(false);
      expect(claim.owner.status).to.equal('resolved');
      expect((await control.conversation(conversationId)).conversation.status).to.equal('resolved');
    });

    it('leaves a conversation a rep took with the rep', async () => {
      const conversationId = await newConversation();
      const rep = sandbox.reps[1]!.id;
      await control.assign(conversationId, rep, rep);
      const claim = await run(activities.claimForAiAgent, conversationId);
      expect(claim.claimed).to.equal(false);
      expect(claim.owner).to.include({ status: 'assigned', assignedAgentId: rep });
      expect((await control.conversation(conversationId)).conversation.assigned_agent_id).to.equal(rep);
    });
  });

  describe('handOffToQueue', () => {
    /** A conversation the AI holds, its handoff notice posted: what a handoff does before the queue move. */
    async function handoffUnderWay(): Promise<{ conversationId: string; notice: { messageId: string; notBefore: string } }> {
      const conversationId = await control.createConversation(await control.createCustomer('kim@example.com', 'Kim'));
      await control.customerSays(conversationId, 'I want to talk to a person');
      await run(activities.assignToAiAgent, conversationId);
      const notBefore = new Date(Date.now() - 1000).toISOString();
      const told = await run(activities.postCustomerNotice, { conversationId, kind: 'handoff', language: 'en', sessionStartedAt: notBefore, notBefore });
      if (!told.posted) throw new Error(`the notice was not posted: ${told.reason}`);
      return { conversationId, notice: { messageId: told.messageId, notBefore } };
    }

    it('puts the conversation in the queue', async () => {
      const { conversationId, notice } = await handoffUnderWay();
      expect(await run(activities.handOffToQueue, { conversationId, notice })).to.deep.equal({ assignedAgentId: '' });
      const { conversation } = await control.conversation(conversationId);
      expect([conversation.status, conversation.assigned_agent_id ?? '']).to.deep.equal(['new', '']);
    });

    it('leaves a session Freshchat began after the handoff alone: a rep resolved, the customer reopened (found by the soak)', async () => {
      const { conversationId, notice } = await handoffUnderWay();
      // The move's attempts failed until now; meanwhile a rep resolved and the customer wrote again.
      await control.resolve(conversationId, sandbox.reps[0]!.id);
      await control.customerSays(conversationId, 'one more question');
      expect((await control.conversation(conversationId)).conversation).to.include({ status: 'reopened', assigned_agent_id: sandbox.aiAgentId });
      expect(await run(activities.handOffToQueue, { conversationId, notice })).to.deep.equal({ assignedAgentId: sandbox.aiAgentId });
      expect((await control.conversation(conversationId)).conversation).to.include({ status: 'reopened', assigned_agent_id: sandbox.aiAgentId });
    });

    it('moves a conversation the customer wrote in again within the session; a move without a notice (histories from before) does not look', async () => {
      const { conversationId, notice } = await handoffUnderWay();
      await control.customerSays(conversationId, 'hello? anyone?');
      expect(await run(activities.handOffToQueue, { conversationId, notice })).to.deep.equal({ assignedAgentId: '' });
      const other = await handoffUnderWay();
      await control.resolve(other.conversationId, sandbox.reps[0]!.id);
      await control.customerSays(other.conversationId, 'back again');
      expect(await run(activities.handOffToQueue, other.conversationId)).to.deep.equal({ assignedAgentId: '' });
    });
  });
});
