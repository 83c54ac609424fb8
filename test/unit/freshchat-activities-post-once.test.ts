import { expect } from 'chai';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SettingsSource } from '../../settings/settings-source.js';
import { createFreshchatActivities, renderNote, type NoteContent } from '../../activities/freshchat-activities.js';
import type { SessionDescriber } from '../../ai/session-describer.js';
import type { FreshchatClient, FreshchatMessage } from '../../freshchat/client.js';
import { createLogger } from '../../lib/logger.js';
import { loadAssistantSettings } from '../../settings/assistant-settings.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { writeTestSettings } from '../helpers/system.js';

/**
 * Posting once: a retried attempt of a posting activity first looks for the message an
 * earlier attempt may have posted (the worker died after Freshchat took the POST), and only
 * posts when it is not there. Run in the SDK's mock activity context, whose attempt number
 * is what the activity reads.
 */
describe('post once (Freshchat activities in a mock activity context)', () => {
  const text = 'Standard delivery takes 2–4 working days.';
  const since = new Date(Date.now() - 60_000).toISOString();

  function fakeClient(existing: FreshchatMessage[], describe: SessionDescriber = async () => ({ summary: 's', sentiment: 'neutral', topic: 'other' })) {
    const posted: string[] = [];
    const client = {
      findAgentByEmail: async () => ({ id: 'ai-1', email: 'ai@example.test' }),
      getConversation: async () => ({ conversation_id: 'c1', status: 'assigned', assigned_agent_id: 'ai-1' }),
      listRecentMessages: async () => existing,
      postMessage: async (_id: string, message: { text: string }) => {
        posted.push(message.text);
        return { id: `new-${posted.length}`, actor_type: 'agent', actor_id: 'ai-1', created_time: new Date().toISOString() };
      },
    } as unknown as FreshchatClient;
    const activities = createFreshchatActivities({
      client,
      aiAgentEmail: 'ai@example.test',
      settings: new SettingsSource(loadAssistantSettings(writeTestSettings())),
      traceUrl: () => 'http://ui/trace',
      logger: createLogger('worker', capturedLogs),
      contactIdSecret: 'test-contact-id-secret-0123456789abcdef',
      describeSession: describe,
    });
    return { activities, posted };
  }

  const earlier: FreshchatMessage = {
    id: 'earlier-1',
    actor_type: 'agent',
    actor_id: 'ai-1',
    message_type: 'normal',
    message_parts: [{ text: { content: text } }],
    created_time: new Date().toISOString(),
  };
  const input = { conversationId: 'c1', text, sessionStartedAt: since, notBefore: since };

  it('a retried attempt finds the message the first attempt posted and posts nothing', async () => {
    const { activities, posted } = fakeClient([earlier]);
    const outcome = await new MockActivityEnvironment({ attempt: 2 }).run(activities.postAiReply, input);
    expect(outcome).to.deep.equal({ posted: true, messageId: 'earlier-1' });
    expect(posted).to.deep.equal([]);
  });

  it('a retried attempt posts when the earlier attempt did not get through', async () => {
    const { activities, posted } = fakeClient([{ ...earlier, message_parts: [{ text: { content: 'something else' } }] }]);
    const outcome = await new MockActivityEnvironment({ attempt: 2 }).run(activities.postAiReply, input);
    expect(outcome).to.deep.equal({ posted: true, messageId: 'new-1' });
    expect(posted).to.deep.equal([text]);
  });

  it('the first attempt posts without looking (an identical earlier answer is a new message)', async () => {
    const { activities, posted } = fakeClient([earlier]);
    const outcome = await new MockActivityEnvironment({ attempt: 1 }).run(activities.postAiReply, input);
    expect(outcome).to.deep.equal({ posted: true, messageId: 'new-1' });
    expect(posted).to.deep.equal([text]);
  });

  it('a retried note renders the same text (the session up to the handoff, not what came after) and is not posted again', async () => {
    const t0 = Date.parse('2026-12-01T10:00:00.000Z');
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const session = { startedAt: at(0), until: at(10_000) };
    const note: NoteContent = { kind: 'handoff', session: 1, rule: 'handoff_phrase', reason: 'The customer asked for a person' };
    const describe: SessionDescriber = async (transcript) => ({ summary: transcript.map((e) => e.text).join(' / '), sentiment: 'neutral', topic: 'orders' });
    const expected = renderNote({ ...note, summary: 'talk to a human', sentiment: 'neutral', topic: 'orders' }, 'http://ui/trace');
    const customer = (id: string, content: string, ms: number): FreshchatMessage => ({ id, actor_type: 'user', actor_id: 'u1', message_parts: [{ text: { content } }], created_time: at(ms) });
    const earlierNote: FreshchatMessage = { id: 'note-1', actor_type: 'agent', actor_id: 'ai-1', message_type: 'private', message_parts: [{ text: { content: expected } }], created_time: at(11_000) };
    // Newest first, as Freshchat lists them: a message the customer wrote after the handoff began is there now.
    const { activities, posted } = fakeClient([customer('m2', 'hello?', 20_000), earlierNote, customer('m1', 'talk to a human', 1_000)], describe);
    const id = await new MockActivityEnvironment({ attempt: 2 }).run(activities.postPrivateNote, { conversationId: 'c1', note, notBefore: at(5_000), session });
    expect(id).to.equal('note-1');
    expect(posted).to.deep.equal([]);
  });
});
