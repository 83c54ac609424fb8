import { expect } from 'chai';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createFreshchatActivities } from '../../activities/freshchat-activities.js';
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

  function fakeClient(existing: FreshchatMessage[]) {
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
      settings: loadAssistantSettings(writeTestSettings()),
      traceUrl: () => 'http://ui/trace',
      logger: createLogger('worker', capturedLogs),
      contactIdSecret: 'test-contact-id-secret-0123456789abcdef',
      describeSession: () => ({ summary: 's', sentiment: 'neutral', topic: 'other' }),
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
});
