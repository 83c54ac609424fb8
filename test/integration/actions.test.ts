import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { SandboxControl, type ShopStateView } from '../../sandbox/control-client.js';
import type { ToolSettings } from '../../settings/tool-schema.js';
import { approveActionUpdate, declineActionUpdate } from '../../workflows/messages.js';
import { decision, lastCustomerText, startChatCompletionsServer, toolAnswers, type ChatCompletionsServer } from '../helpers/chat-completions-server.js';
import {
  aiReplies,
  conversationView,
  eventually,
  privateNotes,
  repoRoot,
  repSays,
  sandboxCall,
  startConversation,
  startSystem,
  textOf,
  workerProcessEnv,
  workflowDecisions,
  workflowHandle,
  workflowState,
  type TestSystem,
} from '../helpers/system.js';

/**
 * Actions (issue 17): the AI looks things up and acts through the shop's API (the sandbox's
 * sample shop, which counts every call), a refund waits for a rep's approval, every call carries
 * its Idempotency-Key. The AI is a local OpenAI-compatible server that calls the tools.
 */

/** The sample settings' tools, as an operator would copy them. */
const sampleTools = (parse(readFileSync(join(repoRoot, 'settings.example.yaml'), 'utf8')) as { tools: ToolSettings[] }).tools;

/** The scripted model: "refund order N" calls refund_order, "order N" order_status; with a tool's answer it replies (or escalates on an error). */
function shopAssistant(hold?: { toolAnswer?: () => Promise<void> }) {
  return startChatCompletionsServer(async (request) => {
    const answers = toolAnswers(request);
    if (answers.length > 0) {
      await hold?.toolAnswer?.();
      const last = answers.at(-1)!;
      if ('error' in last) return decision({ action: 'escalate', reason: `the tool did not answer (${String(last.code ?? last.error)})` });
      return decision({ action: 'reply', reply: `Here is what I found: ${JSON.stringify(last)}` });
    }
    const text = lastCustomerText(request);
    const refund = /refund order (\d+)/i.exec(text);
    const order = /order (\d+)/i.exec(text);
    if (request.tool_choice === 'auto' && refund) return { toolCall: { name: 'refund_order', arguments: { orderNumber: refund[1], reason_for_call: 'The customer asked for a refund of this order' } } };
    if (request.tool_choice === 'auto' && order) return { toolCall: { name: 'order_status', arguments: { orderNumber: order[1], reason_for_call: 'The customer asked where the order is' } } };
    return decision({ action: 'reply', reply: 'How can I help with your order?' });
  });
}

const refundsOf = (shop: ShopStateView, orderNumber: string) => shop.refunds.filter((r) => r.orderNumber === orderNumber);
const requestsTo = (shop: ShopStateView, path: RegExp) => shop.requests.filter((r) => path.test(r.path));

async function repNote(system: TestSystem, conversationId: string, text: string, agentId = system.sandbox.reps[0]!.id): Promise<void> {
  await sandboxCall(system.sandbox, 'POST', `/sandbox/conversations/${conversationId}/agent-messages`, { agent_id: agentId, text, message_type: 'private' });
}

/** The approval request note, once the AI has posted it (and the workflow waits). */
async function approvalRequested(system: TestSystem, conversationId: string): Promise<string> {
  const note = await eventually(async () => (await privateNotes(system.sandbox, conversationId)).find((n) => textOf(n).startsWith('Action waiting for approval')), 'the approval request note');
  await eventually(async () => (await workflowState(system, conversationId)).pendingAction?.tool === 'refund_order', 'the workflow waiting for a verdict');
  return textOf(note);
}

describe('actions: the AI calls the shop through its tools (a local OpenAI-compatible server calls them)', function () {
  this.timeout(180_000);
  let ai: ChatCompletionsServer;
  let system: TestSystem;
  let shop: SandboxControl;

  before(async function () {
    this.timeout(600_000);
    ai = await shopAssistant();
    system = await startSystem({
      ai: { provider: 'openai', baseUrl: ai.baseUrl, apiKey: 'test-key', model: 'shop-model', temperature: 0 },
      // No quiet window: nothing waits between the claim and the approval wait (the session's record must still go out).
      settings: { tools: sampleTools, actions: { approvalTimeoutMinutes: 0.15, maxResponseBytes: 4096 }, conversation: { quietWindowSeconds: 0, inactivitySeconds: 600, nudge: false } } as never,
    });
    shop = new SandboxControl(system.sandbox.baseUrl);
  });
  after(async () => {
    await system?.close();
    await ai?.close();
  });
  beforeEach(() => shop.resetShop());

  it('answers "where is my order" from the order_status tool: one GET with an Idempotency-Key, only the picked fields reach the AI and history', async () => {
    const conversationId = await startConversation(system.sandbox, 'Where is my order 1234?');
    const [reply] = await eventually(async () => {
      const replies = await aiReplies(system.sandbox, conversationId);
      return replies.length === 1 && replies;
    }, 'the AI reply');
    expect(textOf(reply!)).to.include('"status":"shipped"').and.include('"carrier":"DHL"');
    expect(textOf(reply!)).to.not.include('customerEmail').and.not.include('@');

    const lookups = requestsTo(await shop.shop(), /^\/shop\/api\/orders\/1234$/);
    expect(lookups).to.have.length(1);
    expect(lookups[0]!.idempotencyKey).to.match(new RegExp(`^freshchat-conversation-${conversationId}:[0-9a-f-]+:s1:t1:c1$`));
    // What the model saw of the tool: the pick list, nothing else.
    const toolMessage = ai.requests.flatMap((r) => r.messages).find((m) => m.role === 'tool' && (m.content ?? '').includes('1234'));
    expect(Object.keys(JSON.parse(toolMessage!.content!) as object).sort()).to.deep.equal(['carrier', 'eta', 'orderNumber', 'status', 'trackingUrl']);

    const last = (await workflowDecisions(system, conversationId)).at(-1)!;
    expect(last).to.include({ action: 'reply', outcome: 'posted' });
    expect(last.toolCalls).to.have.length(1);
    expect(last.toolCalls![0]).to.include({ tool: 'order_status', outcome: 'ok' });
    expect(last.toolCalls![0]!.latencyMs).to.be.a('number');

    // The Web UI reads as the steps taken: the model call, the tool, the next model call.
    const { events } = await workflowHandle(system, conversationId).fetchHistory();
    const scheduled = events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled.filter((name) => name === 'decideNextStep' || name.startsWith('tool:'))).to.deep.equal(['decideNextStep', 'tool:order_status', 'decideNextStep']);
  });

  it('refunds once a rep approves with a private note /approve: the customer is told first, the reps get the action, its arguments and the reason', async () => {
    const conversationId = await startConversation(system.sandbox, 'Please refund order 1234, it arrived too late.');
    const note = await approvalRequested(system, conversationId);
    expect(note).to.include('Action: refund_order').and.include('orderNumber: 1234').and.include('The customer asked for a refund of this order').and.include('/approve');
    expect((await aiReplies(system.sandbox, conversationId)).map(textOf)).to.deep.equal(["I'm checking this with our team. I'll get back to you here as soon as they confirm."]);
    expect(refundsOf(await shop.shop(), '1234')).to.have.length(0);
    // The wait for a rep is a wait like any other: the session's record reaches the store meanwhile, not only after the verdict.
    const recorded = await eventually(async () => (await system.store.db.selectFrom('sessions').selectAll().where('conversation_id', '=', conversationId).execute())[0], 'the session recorded while the action waits');
    expect(recorded).to.include({ session_number: 1, state: 'ai_active' });

    await repNote(system, conversationId, '/approve');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 2, 'the AI answering after the refund');
    const state = await shop.shop();
    expect(refundsOf(state, '1234')).to.have.length(1);
    expect(textOf((await aiReplies(system.sandbox, conversationId))[1]!)).to.include(refundsOf(state, '1234')[0]!.refundId);
    const last = (await workflowDecisions(system, conversationId)).at(-1)!;
    expect(last.toolCalls).to.deep.equal([{ tool: 'refund_order', outcome: 'ok', latencyMs: last.toolCalls![0]!.latencyMs, decidedBy: `rep:${system.sandbox.reps[0]!.id}` }]);
    expect((await workflowState(system, conversationId)).pendingAction).to.equal(undefined);
  });

  it('refunds once ops approve with the approveAction update (the temporal CLI line of the README); the update is refused while nothing waits', async () => {
    const conversationId = await startConversation(system.sandbox, 'Hello there');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 1, 'the first reply');
    const handle = workflowHandle(system, conversationId);
    const refused = await handle.executeUpdate(approveActionUpdate, { args: [{ by: 'dana' }] }).then(() => undefined, (error: Error) => error);
    expect(String((refused?.cause as Error | undefined)?.message ?? refused?.message)).to.include('No action is waiting for approval');

    await sandboxCall(system.sandbox, 'POST', `/sandbox/conversations/${conversationId}/customer-messages`, { text: 'Actually, refund order 1237 please' });
    await approvalRequested(system, conversationId);
    const cli = await promisify(execFile)(
      system.server.cliPath,
      ['workflow', 'update', 'execute', '-w', handle.workflowId, '--name', 'approveAction', '--input', '{"by":"dana"}', '--address', system.server.address, '--namespace', 'default', '--codec-endpoint', `${system.opsUrl}/codec`],
      { timeout: 30_000 },
    );
    expect(cli.stdout).to.include('refund_order').and.include('approve');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 3, 'the AI answering after the refund');
    expect(refundsOf(await shop.shop(), '1237')).to.have.length(1);
    expect((await workflowDecisions(system, conversationId)).at(-1)!.toolCalls![0]).to.include({ outcome: 'ok', decidedBy: 'ops:dana' });
  });

  it('a rep declining with /decline <reason>: nothing refunded, the customer told, the chat in the queue with the reason in the note', async () => {
    const conversationId = await startConversation(system.sandbox, 'Refund order 1236 now');
    await approvalRequested(system, conversationId);
    await repNote(system, conversationId, '/decline already refunded by phone');
    await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff');
    await eventually(async () => ((await conversationView(system.sandbox, conversationId)).conversation.assigned_agent_id ?? '') === '', 'the chat in the queue');
    expect((await aiReplies(system.sandbox, conversationId)).map(textOf).at(-1)).to.equal("I wasn't able to do that for you. I'm handing you over to a member of our team, who will take it from here.");
    const handoff = await eventually(async () => (await privateNotes(system.sandbox, conversationId)).map(textOf).find((t) => t.startsWith('AI handoff')), 'the handoff note');
    expect(handoff).to.include('already refunded by phone').and.include('action_declined').and.include('refund_order (declined');
    expect(refundsOf(await shop.shop(), '1236')).to.have.length(0);
    const last = (await workflowDecisions(system, conversationId)).at(-1)!;
    expect(last).to.include({ action: 'escalate', rule: 'action_declined', outcome: 'escalated' });
    // A second verdict changes nothing.
    await repNote(system, conversationId, '/approve');
    await new Promise((r) => setTimeout(r, 1500));
    expect(refundsOf(await shop.shop(), '1236')).to.have.length(0);
  });

  it('declined by the declineAction update, with its reason', async () => {
    const conversationId = await startConversation(system.sandbox, 'refund order 1235');
    await approvalRequested(system, conversationId);
    expect(await workflowHandle(system, conversationId).executeUpdate(declineActionUpdate, { args: [{ reason: 'order still in the warehouse' }] })).to.deep.equal({ tool: 'refund_order', verdict: 'decline' });
    await eventually(async () => (await workflowState(system, conversationId)).escalationRule === 'action_declined', 'the handoff');
    expect((await workflowState(system, conversationId)).escalationReason).to.equal('The refund_order action was declined by ops: order still in the warehouse');
    expect(refundsOf(await shop.shop(), '1235')).to.have.length(0);
  });

  it('nobody approving in time hands off (the durable timer), nothing refunded', async () => {
    const conversationId = await startConversation(system.sandbox, 'refund order 1234 please');
    await approvalRequested(system, conversationId);
    await eventually(async () => (await workflowState(system, conversationId)).escalationRule === 'action_timed_out', 'the timeout handoff', 30_000);
    expect((await workflowState(system, conversationId)).escalationReason).to.match(/^Nobody approved the refund_order action within \d+ minutes$/);
    expect((await aiReplies(system.sandbox, conversationId)).map(textOf).at(-1)).to.include("I wasn't able to do that for you");
    expect(refundsOf(await shop.shop(), '1234')).to.have.length(0);
  });

  it('a rep taking over while the action waits cancels it: a later /approve refunds nothing', async () => {
    const conversationId = await startConversation(system.sandbox, 'refund order 1237');
    await approvalRequested(system, conversationId);
    await repSays(system.sandbox, conversationId, "Hi, I'm Alice, I'll look into this myself.");
    await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'the takeover');
    expect((await workflowState(system, conversationId)).pendingAction).to.equal(undefined);
    await repNote(system, conversationId, '/approve');
    await new Promise((r) => setTimeout(r, 1500));
    expect(refundsOf(await shop.shop(), '1237')).to.have.length(0);
    const last = (await workflowDecisions(system, conversationId)).at(-1)!;
    expect(last).to.include({ rule: 'lost_ownership_race', outcome: 'dropped' });
    expect(last.toolCalls).to.deep.equal([{ tool: 'refund_order', outcome: 'cancelled' }]);
    expect((await aiReplies(system.sandbox, conversationId)).length).to.equal(1); // "checking with the team" only
  });

  it('a tool answering 500 after refunding is retried with the same Idempotency-Key: one refund', async () => {
    const conversationId = await startConversation(system.sandbox, 'refund order 1234');
    await approvalRequested(system, conversationId);
    await sandboxCall(system.sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/shop/api/orders/1234/refund', status: 500, afterEffect: true, times: 1 });
    await repNote(system, conversationId, '/approve');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 2, 'the AI answering after the retried refund', 30_000);
    const state = await shop.shop();
    expect(refundsOf(state, '1234')).to.have.length(1);
    const calls = requestsTo(state, /^\/shop\/api\/orders\/1234\/refund$/);
    expect(calls.map((c) => c.status)).to.deep.equal([500, 200]);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).to.equal(1);
  });

  it('a tool answering 429 is retried after its Retry-After', async () => {
    await sandboxCall(system.sandbox, 'POST', '/sandbox/faults', { method: 'GET', path: '/shop/api/orders/1235$', status: 429, retryAfterSeconds: 1, times: 1 });
    const conversationId = await startConversation(system.sandbox, 'What about order 1235?');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 1, 'the reply after the retry', 30_000);
    expect(textOf((await aiReplies(system.sandbox, conversationId))[0]!)).to.include('"status":"processing"');
    expect(requestsTo(await shop.shop(), /^\/shop\/api\/orders\/1235$/).map((c) => c.status)).to.deep.equal([429, 200]);
  });

  it('a tool response larger than the cap fails the call at once (no retry); the AI is told and hands off', async () => {
    await shop.addShopOrder({ orderNumber: '9999', status: 'shipped', carrier: 'DHL', notes: 'x'.repeat(10_000) });
    const conversationId = await startConversation(system.sandbox, 'Where is order 9999?');
    await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff');
    expect(requestsTo(await shop.shop(), /^\/shop\/api\/orders\/9999$/)).to.have.length(1);
    const last = (await workflowDecisions(system, conversationId)).at(-1)!;
    expect(last.toolCalls).to.deep.equal([{ tool: 'order_status', outcome: 'failed', error: 'TOOL_RESPONSE_TOO_LARGE' }]);
    const told = ai.requests.flatMap((r) => r.messages).filter((m) => m.role === 'tool').map((m) => m.content);
    expect(told).to.deep.include(JSON.stringify({ error: 'failed', code: 'TOOL_RESPONSE_TOO_LARGE' }));
  });
});

describe('actions: a worker killed between a tool call and the next model call', function () {
  this.timeout(240_000);
  let ai: ChatCompletionsServer;
  let system: TestSystem;
  let child: ChildProcess | undefined;
  let holding = true;
  let held: () => void = () => undefined;
  const heldOnce = new Promise<void>((resolve) => (held = resolve));

  before(async function () {
    this.timeout(600_000);
    // The model's call after the refund never answers while `holding`: the worker dies inside it.
    ai = await shopAssistant({ toolAnswer: () => (holding ? (held(), new Promise<void>(() => undefined)) : Promise.resolve()) });
    const refundWithoutApproval = sampleTools.map((t) => (t.name === 'refund_order' ? { ...t, approval: 'none' as const } : t));
    system = await startSystem({ startWorker: false, settings: { tools: refundWithoutApproval } as never });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await system?.close();
    await ai?.close();
  });

  /** `npm run worker` with the openai provider, as operators run it. */
  function startChildWorker(): ChildProcess {
    const env = { ...workerProcessEnv(system), AI_PROVIDER: 'openai', OPENAI_BASE_URL: ai.baseUrl, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'shop-model', LOG_LEVEL: 'warn' };
    const worker = spawn(process.execPath, ['dist/worker/main.js'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    worker.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child worker] ${d}`));
    return worker;
  }

  it('resumes with the next model call: the refund is not repeated', async () => {
    child = startChildWorker();
    const conversationId = await startConversation(system.sandbox, 'refund order 1234');
    await heldOnce;
    const shop = new SandboxControl(system.sandbox.baseUrl);
    expect(refundsOf(await shop.shop(), '1234')).to.have.length(1);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    holding = false;

    child = startChildWorker();
    // The model call's heartbeat timeout expires; its retry runs on the new worker.
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 1, 'the AI reply after the restart', 90_000);
    const state = await shop.shop();
    expect(refundsOf(state, '1234')).to.have.length(1);
    expect(requestsTo(state, /\/refund$/)).to.have.length(1);
    expect(textOf((await aiReplies(system.sandbox, conversationId))[0]!)).to.include(refundsOf(state, '1234')[0]!.refundId);
    const { events } = await workflowHandle(system, conversationId).fetchHistory();
    expect(events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'tool:refund_order')).to.have.length(1);
  });
});
