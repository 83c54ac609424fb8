import { expect } from 'chai';
import { FaqProvider, fillTemplate, triggeredToolCall } from '../../ai/faq-provider.js';
import { OpenAiProvider } from '../../ai/openai-provider.js';
import type { AiTurnInput } from '../../ai/provider.js';
import { toConversationEvent, WebhookPayloadSchema } from '../../freshchat/webhook-events.js';
import { createLogger } from '../../lib/logger.js';
import { defaultSettingsPath, loadAssistantSettings } from '../../settings/assistant-settings.js';
import { Conversation } from '../../workflows/conversation.js';
import { idempotencyKeyOf, parseApprovalCommand } from '../../workflow-safe/tool-calls.js';
import { decision, startChatCompletionsServer } from '../helpers/chat-completions-server.js';

const settings = loadAssistantSettings(defaultSettingsPath);
const tools = settings.tools;
const at = new Date().toISOString();
const input = (text: string, extra: Partial<AiTurnInput> = {}): AiTurnInput => ({
  transcript: [{ role: 'customer', text, at }],
  earlierSummaries: [],
  language: 'en',
  knowledge: [],
  tools,
  mayCallTools: true,
  ...extra,
});
const signal = () => new AbortController().signal;

describe('tool calls: the pure parts', () => {
  it('parses /approve and /decline <reason> at the start of a note only', () => {
    expect(parseApprovalCommand('/approve')).to.deep.equal({ verdict: 'approve' });
    expect(parseApprovalCommand('  /APPROVE thanks')).to.deep.equal({ verdict: 'approve' });
    expect(parseApprovalCommand('/decline  already\n refunded ')).to.deep.equal({ verdict: 'decline', reason: 'already refunded' });
    expect(parseApprovalCommand('/decline')).to.deep.equal({ verdict: 'decline', reason: '' });
    expect(parseApprovalCommand('To approve, add a private note: /approve')).to.equal(undefined);
    expect(parseApprovalCommand('/approved')).to.equal(undefined);
    expect(parseApprovalCommand(`/decline ${'x'.repeat(1000)}`)).to.deep.include({ verdict: 'decline' });
    expect((parseApprovalCommand(`/decline ${'x'.repeat(1000)}`) as { reason: string }).reason).to.have.length(300);
  });

  it('derives one Idempotency-Key per call, stable for the same call', () => {
    const call = { workflowId: 'freshchat-conversation-c1', chainId: 'run-1', session: 2, turn: 3, step: 1 };
    expect(idempotencyKeyOf(call)).to.equal('freshchat-conversation-c1:run-1:s2:t3:c1');
    expect(idempotencyKeyOf(call)).to.equal(idempotencyKeyOf({ ...call }));
    const others = [{ step: 2 }, { turn: 4 }, { session: 3 }, { chainId: 'run-2' }].map((change) => idempotencyKeyOf({ ...call, ...change }));
    expect(new Set([idempotencyKeyOf(call), ...others]).size).to.equal(5);
  });

  it('carries a rep private note that is a command on the event, and no other note text', () => {
    const payload = (text: string, messageType: string) =>
      WebhookPayloadSchema.parse({
        action: 'message_create',
        action_time: at,
        actor: { actor_type: 'agent', actor_id: 'rep1' },
        data: { message: { id: `m-${text.length}`, conversation_id: 'c1', actor_type: 'agent', actor_id: 'rep1', message_type: messageType, message_parts: [{ text: { content: text } }] } },
      });
    expect(toConversationEvent(payload('/decline not eligible', 'private'))).to.deep.include({ event: { kind: 'agent_message', eventId: 'm-21', at, agentId: 'rep1', private: true, command: { verdict: 'decline', reason: 'not eligible' } } });
    const plainNote = toConversationEvent(payload('the customer called earlier', 'private')) as { event: object };
    expect(plainNote.event).to.not.have.property('command');
    expect(JSON.stringify(plainNote)).to.not.include('called earlier');
    expect((toConversationEvent(payload('/approve', 'normal')) as { event: object }).event).to.not.have.property('command');
  });

  it('keeps the first verdict on a pending action, and refuses one when nothing waits', () => {
    const c = new Conversation('c1', 'auto', Date.now());
    expect(() => c.assertActionWaiting()).to.throw('No action is waiting for approval');
    expect(c.decideAction({ verdict: 'approve', by: 'ops' })).to.equal(undefined);
    c.awaitAction('refund_order', Date.now(), Date.now() + 60_000);
    expect(c.view.pendingAction).to.include({ tool: 'refund_order' });
    expect(c.decideAction({ verdict: 'decline', by: 'rep:1', reason: 'no' })).to.deep.equal({ tool: 'refund_order', verdict: 'decline' });
    expect(() => c.assertActionWaiting()).to.throw('has its verdict already');
    expect(c.decideAction({ verdict: 'approve', by: 'ops' })).to.equal(undefined);
    expect(c.endActionWait()).to.deep.equal({ verdict: 'decline', by: 'rep:1', reason: 'no' });
    expect(c.view.pendingAction).to.equal(undefined);
  });
});

describe('the faq provider with tools', () => {
  const faq = new FaqProvider();

  it('calls the first tool whose trigger matches, with the named groups as arguments', async () => {
    expect(await faq.decide(input('Where is my order 1234?'), signal())).to.deep.include({ toolCall: { tool: 'order_status', arguments: { orderNumber: '1234' }, reason: "The customer's message matches the order_status trigger" } });
    expect(((await faq.decide(input('Please refund order #1235'), signal())) as { toolCall: { tool: string } }).toolCall.tool).to.equal('refund_order');
    expect(triggeredToolCall('How long does shipping take?', tools)).to.equal(undefined);
  });

  it('does not call a tool when the step may not (the turn limit), nor without tools', async () => {
    expect(await faq.decide(input('Where is my order 1234?', { mayCallTools: false }), signal())).to.have.property('decision');
    expect(await faq.decide(input('Where is my order 1234?', { tools: [] }), signal())).to.have.property('decision');
  });

  it("answers from the tool's answer with its template, and escalates when the tool failed", async () => {
    const step = { tool: 'order_status', arguments: { orderNumber: '1234' } };
    const answered = await faq.decide(input('Where is my order 1234?', { steps: [{ ...step, outcome: 'ok', result: { orderNumber: '1234', status: 'shipped', carrier: 'DHL', eta: '2026-12-03', trackingUrl: 'https://t.example/1' } }] }), signal());
    expect(answered).to.have.nested.property('decision.action', 'reply');
    expect((answered as { decision: { reply: string } }).decision.reply).to.equal('Order 1234 is shipped. Carrier: DHL; expected delivery: 2026-12-03. Tracking: https://t.example/1');
    const failed = await faq.decide(input('Where is my order 1234?', { steps: [{ ...step, outcome: 'failed', error: 'TOOL_SERVER_ERROR' }] }), signal());
    expect(failed).to.have.nested.property('decision.action', 'escalate');
    expect(fillTemplate('{a} and {b}', { a: 1, b: null })).to.equal('1 and unknown');
  });
});

describe('the openai provider with tools (a local chat-completions server)', () => {
  it('offers the tools as functions with a reason argument, returns the call without it, and lists earlier steps as tool messages', async () => {
    let answer: Parameters<typeof startChatCompletionsServer>[0] = () => ({ toolCall: { name: 'order_status', arguments: { orderNumber: '1234', reason_for_call: 'to look it up' } } });
    const ai = await startChatCompletionsServer((request) => answer(request));
    try {
      const provider = new OpenAiProvider({ baseUrl: ai.baseUrl, apiKey: 'k', model: 'm', temperature: 0 }, settings, createLogger('t', { write: () => undefined }));
      expect(await provider.decide(input('Where is my order 1234?'), signal())).to.deep.equal({ toolCall: { tool: 'order_status', arguments: { orderNumber: '1234' }, reason: 'to look it up' }, model: 'm' });
      const offered = ai.requests[0]!;
      expect(offered.tool_choice).to.equal('auto');
      expect(offered.tools!.map((t) => t.function.name)).to.deep.equal(['refund_order', 'order_status']);
      expect(offered.tools![1]!.function.parameters).to.deep.include({ required: ['orderNumber', 'reason_for_call'] });

      answer = () => decision({ action: 'reply', reply: 'It is shipped.' });
      const steps = [{ tool: 'order_status', arguments: { orderNumber: '1234' }, outcome: 'ok' as const, result: { status: 'shipped' } }];
      expect(await provider.decide(input('Where is my order 1234?', { steps, mayCallTools: false }), signal())).to.have.nested.property('decision.reply', 'It is shipped.');
      const next = ai.requests[1]!;
      expect(next.tool_choice).to.equal('none');
      expect(next.messages.slice(-2)).to.deep.equal([
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'order_status', arguments: '{"orderNumber":"1234"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"status":"shipped"}' },
      ]);

      answer = () => ({ toolCall: { name: 'delete_everything', arguments: {} } });
      expect(await provider.decide(input('Where is my order 1234?'), signal())).to.deep.include({ toolCall: { tool: 'delete_everything', arguments: {}, reason: '', invalid: 'there is no such tool' } });
    } finally {
      await ai.close();
    }
  });
});
