import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { workflowUiUrl } from '../../lib/temporal.js';
import { conversationWorkflowId } from '../../workflows/messages.js';
import { launchChromium, requireChromiumOrSkip } from '../helpers/browser.js';
import {
  aiReplies, conversationView, eventually, privateNotes, repoRoot, sandboxCall, sleep, startConversation, startSystem,
  textOf, workflowState, type TestSystem,
} from '../helpers/system.js';

const artifacts = join(repoRoot, 'test-artifacts');

/** Waits until what a locator shows passes `check` (the page polls every second), then asserts it. */
async function until(locator: Locator, read: (l: Locator) => Promise<unknown>, check: (value: unknown) => boolean, assert: (value: unknown) => void): Promise<void> {
  let last: unknown;
  const deadline = Date.now() + 15_000;
  for (;;) {
    last = await read(locator).catch((error: Error) => `(${error.message})`);
    if (check(last) || Date.now() > deadline) break;
    await sleep(100);
  }
  assert(last);
}
const innerText = (l: Locator) => l.innerText({ timeout: 1000 }).then((t) => t.trim());
const hasText = (l: Locator, expected: string | RegExp) =>
  until(l, innerText, (t) => (typeof expected === 'string' ? t === expected : expected.test(String(t))), (t) =>
    typeof expected === 'string' ? expect(t, String(l)).to.equal(expected) : expect(t, String(l)).to.match(expected));
const containsText = (l: Locator, expected: string) =>
  until(l, innerText, (t) => String(t).includes(expected), (t) => expect(t, String(l)).to.include(expected));
const hasCount = (l: Locator, n: number) => until(l, (x) => x.count(), (c) => c === n, (c) => expect(c, String(l)).to.equal(n));
const isDisabled = (l: Locator, disabled = true) =>
  until(l, (x) => x.isDisabled({ timeout: 1000 }), (d) => d === disabled, (d) => expect(d, String(l)).to.equal(disabled));

interface Delivery {
  id: string;
  action: string;
  body: string;
  status: string;
  attempts: number;
  last_status_code?: number;
}

/** What a webhook carried: the envelope Freshchat posts. */
interface Envelope {
  actor: { actor_type: string; actor_id: string };
  action: string;
  action_time: string;
  data: Record<string, Record<string, unknown> & { conversation?: Record<string, unknown> }>;
}

const deliveriesOf = (system: TestSystem, conversationId: string) =>
  sandboxCall<Delivery[]>(system.sandbox, 'GET', `/sandbox/webhooks?conversation_id=${encodeURIComponent(conversationId)}`);

/** Collects console errors and warnings and uncaught exceptions of a page. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/**
 * A whole conversation on the sandbox page in headless Chromium: the customer chats in the
 * customer pane, the rep reads everything in the agent pane and acts with its buttons, and
 * each action sends exactly the webhooks Freshchat would, signed and accepted by the real
 * webhook API, and the product reacts to them.
 */
describe('a whole conversation on the sandbox page (headless Chromium)', function () {
  this.timeout(180_000);
  let system: TestSystem;
  let browser: Browser | undefined;
  let context: BrowserContext;

  before(async function () {
    this.timeout(600_000);
    requireChromiumOrSkip(this);
    system = await startSystem();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  it('customer pane, agent pane and every rep action, each with exactly the signed webhooks Freshchat sends; the product reacts', async () => {
    const { sandbox } = system;
    const { agents } = await sandboxCall<{ agents: Array<{ id: string; first_name: string; last_name?: string }> }>(sandbox, 'GET', '/sandbox/state');
    const [rep, otherRep] = [sandbox.reps[1]!, sandbox.reps[0]!].map((r) => agents.find((a) => a.id === r.id)!);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const screenshot = (name: string) => page.screenshot({ path: join(artifacts, `sandbox-page-${name}.png`), fullPage: true });
    try {
      await page.goto(`${sandbox.baseUrl}/`, { waitUntil: 'load' });
      // Where webhooks go is on the page (the product's webhook API here).
      await containsText(page.locator('#account'), `webhooks go to ${system.apiUrl}/webhooks/freshchat`);

      // ---- the customer pane: no "New user" first, the first message starts a conversation.
      await hasText(page.locator('#customer-hint'), 'Write a message: it starts a conversation as a new customer.');
      await page.fill('#customer-text', 'How do I reset my password?');
      await page.press('#customer-text', 'Enter');
      await page.waitForURL(/\?conversation=/);
      const conversationId = new URL(page.url()).searchParams.get('conversation')!;
      expect((await conversationView(sandbox, conversationId)).messages.map(textOf)).to.deep.equal(['How do I reset my password?']);
      expect(await page.inputValue('#customer-text')).to.equal('');

      // The AI's reply arrives in the customer pane, as "Support".
      const [reply] = await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1 && aiReplies(sandbox, conversationId), 'the AI reply');
      const customerPane = page.locator('#customer-messages .message');
      await hasCount(customerPane, 2);
      expect(await customerPane.nth(0).locator('.author').innerText()).to.match(/^You /);
      expect(await customerPane.nth(1).locator('.author').innerText()).to.match(/^Support /);
      expect(await customerPane.nth(1).locator('.text').innerText()).to.equal(textOf(reply!));
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');
      await hasText(page.locator('#conversation-assignee'), 'AI agent');
      await screenshot('1-ai-reply');

      // The customer asks for a person: the AI hands off with a private note for the reps.
      await page.fill('#customer-text', 'I want to talk to a human');
      await page.click('#customer-send');
      await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1, 'the handoff note');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff');

      // ---- the agent pane: every message, private notes included, as the sandbox holds them.
      const messages = (await conversationView(sandbox, conversationId)).messages;
      const agentPane = page.locator('#agent-messages .message');
      await hasCount(agentPane, messages.length);
      expect(await agentPane.locator('.text').allInnerTexts()).to.deep.equal(messages.map(textOf));
      const authors = await agentPane.locator('.author').evaluateAll((elements) => elements.map((e) => e.firstChild?.textContent));
      expect(authors).to.deep.equal(messages.map((m) => (m.actor_type === 'user' ? `Customer (user ${m.actor_id!.slice(0, 8)})` : 'AI agent')));
      // The note is marked, and its trace is a link to the workflow in the Temporal Web UI.
      const note = page.locator('#agent-messages .message.private');
      await hasCount(note, 1);
      await hasText(note.locator('.badge'), 'PRIVATE NOTE');
      expect(await note.locator('a').getAttribute('href')).to.equal(workflowUiUrl(system.server.uiUrl, system.server.namespace, conversationWorkflowId(conversationId)));
      // The customer never sees it.
      await hasCount(customerPane, messages.length - 1);
      expect(await page.locator('#customer-messages').innerText()).not.to.include('PRIVATE NOTE');
      // Assignment and status: back in the queue after the handoff.
      await hasText(page.locator('#conversation-status'), 'new');
      await hasText(page.locator('#conversation-assignee'), 'nobody (in the queue)');
      await isDisabled(page.locator('#assign-queue'));
      await isDisabled(page.locator('#reopen'));
      await screenshot('2-handoff');

      // The rep to act as stays chosen across a reload, as does the conversation.
      await page.selectOption('#rep-select', rep.id);
      await page.reload({ waitUntil: 'load' });
      await hasText(page.locator('#conversation-assignee'), 'nobody (in the queue)');
      expect(await page.inputValue('#rep-select')).to.equal(rep.id);
      expect(new URL(page.url()).searchParams.get('conversation')).to.equal(conversationId);

      let seen = (await deliveriesOf(system, conversationId)).length;
      const interactionIds = new Set((await deliveriesOf(system, conversationId)).map((d) => messageOf(d)?.interaction_id).filter(Boolean));
      /** The webhooks one action sent: all delivered (signed: the webhook API refuses anything else) and nothing more. */
      const webhooksOf = async (what: string, count: number): Promise<Envelope[]> => {
        const fresh = await eventually(async () => {
          const all = await deliveriesOf(system, conversationId);
          const added = all.slice(seen);
          return added.length >= count && added.every((d) => d.status !== 'pending') && added;
        }, `the webhooks of ${what}`);
        await sleep(600); // anything else it set off would show up by now
        const all = await deliveriesOf(system, conversationId);
        expect(all.slice(seen).map((d) => d.action), `${what}: no other webhook`).to.deep.equal(fresh.map((d) => d.action));
        expect(fresh, what).to.have.length(count);
        for (const d of fresh) {
          expect(d.status, `${what}: ${d.action} delivered`).to.equal('delivered');
          expect(d.last_status_code, `${what}: ${d.action} accepted`).to.be.within(200, 299);
          expect(d.attempts, `${what}: ${d.action} at the first attempt`).to.equal(1);
        }
        seen = all.length;
        return fresh.map((d) => JSON.parse(d.body) as Envelope);
      };
      // An empty reply sends nothing, and says why.
      await page.click('#rep-send');
      await hasText(page.locator('#agent-error'), 'Write the reply first.');

      // ---- a private note: a message_create with message_type private; no takeover.
      await page.check('#private-note');
      await hasText(page.locator('#rep-send'), 'Add private note');
      await page.fill('#rep-text', 'Customer asked for a person; checking their account.');
      await page.click('#rep-send');
      await hasText(page.locator('#agent-status'), `Private note added by ${agentLabel(rep)}: message_create webhook queued (deliveries below).`);
      const [noteHook] = await webhooksOf('a private note', 1);
      expect(noteHook!.action).to.equal('message_create');
      expect(noteHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: rep.id });
      expect(noteHook!.data.message).to.include({
        conversation_id: conversationId, actor_type: 'agent', actor_id: rep.id, message_type: 'private', user_id: messages[0]!.actor_id,
      });
      expect(noteHook!.data.message!.message_parts).to.deep.equal([{ text: { content: 'Customer asked for a person; checking their account.' } }]);
      expect(await page.inputValue('#rep-text')).to.equal('');
      await hasCount(page.locator('#agent-messages .message.private'), 2);
      await hasCount(customerPane, messages.length - 1);
      expect((await workflowState(system, conversationId)).state).to.equal('escalated');

      // ---- reply (a double click sends it once): message_create, normal; the rep took over.
      await page.uncheck('#private-note');
      await hasText(page.locator('#rep-send'), 'Send reply');
      await page.fill('#rep-text', 'Hi, I am here to help you with your password.');
      await page.dblclick('#rep-send');
      await hasText(page.locator('#agent-status'), `Reply sent by ${agentLabel(rep)}: message_create webhook queued (deliveries below).`);
      const [replyHook] = await webhooksOf('a reply', 1);
      const repRepliedAt = Date.parse(replyHook!.action_time);
      expect(replyHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: rep.id });
      expect(replyHook!.data.message).to.include({ conversation_id: conversationId, actor_type: 'agent', actor_id: rep.id, message_type: 'normal' });
      expect(replyHook!.data.message!.message_parts).to.deep.equal([{ text: { content: 'Hi, I am here to help you with your password.' } }]);
      await eventually(async () => (await workflowState(system, conversationId)).state === 'human', 'the takeover by the reply');
      await hasText(customerPane.last().locator('.text'), 'Hi, I am here to help you with your password.');
      await containsText(customerPane.last().locator('.author'), 'Support');

      // ---- assign to me: conversation_assignment from the queue to the rep, by the rep.
      await page.click('#assign-me');
      await hasText(page.locator('#agent-status'), `Assigned to ${agentLabel(rep)}: conversation_assignment webhook queued (deliveries below).`);
      const [assignHook] = await webhooksOf('assign to me', 1);
      expect(assignHook!.action).to.equal('conversation_assignment');
      expect(assignHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: rep.id });
      expect(assignHook!.data.assignment).to.include({ assignor: 'agent', assignor_id: rep.id, to_agent_id: rep.id, from_agent_id: '' });
      expect(assignHook!.data.assignment!.conversation).to.include({ conversation_id: conversationId, status: 'assigned', assigned_agent_id: rep.id });
      await hasText(page.locator('#conversation-assignee'), agentLabel(rep));
      await hasText(page.locator('#conversation-status'), 'assigned');
      await containsText(page.locator(`#conversations .conversation[data-id="${conversationId}"]`), agentLabel(rep));
      expect((await workflowState(system, conversationId)).state).to.equal('human');
      await screenshot('3-assigned-to-rep');

      // ---- unassign: conversation_assignment back to the queue ("" = no agent).
      await page.click('#assign-queue');
      await hasText(page.locator('#agent-status'), 'Unassigned (back in the queue): conversation_assignment webhook queued (deliveries below).');
      const [unassignHook] = await webhooksOf('unassign', 1);
      expect(unassignHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: rep.id });
      expect(unassignHook!.data.assignment).to.include({ assignor: 'agent', assignor_id: rep.id, to_agent_id: '', from_agent_id: rep.id });
      expect(unassignHook!.data.assignment!.conversation).to.include({ status: 'new' }).and.not.have.property('assigned_agent_id');
      await hasText(page.locator('#conversation-assignee'), 'nobody (in the queue)');
      await isDisabled(page.locator('#assign-queue'));
      // The rep moved it, after taking over: the AI does not come back by itself.
      expect((await workflowState(system, conversationId)).state).to.equal('human');

      // ---- resolve: conversation_resolution by the rep; the session ends, resolved by a rep.
      await page.click('#resolve');
      await hasText(page.locator('#agent-status'), `Resolved by ${agentLabel(rep)}: conversation_resolution webhook queued (deliveries below).`);
      const [resolveHook] = await webhooksOf('resolve', 1);
      expect(resolveHook!.action).to.equal('conversation_resolution');
      expect(resolveHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: rep.id });
      expect(resolveHook!.data.resolve).to.include({ resolver: 'agent', resolver_id: rep.id });
      expect(resolveHook!.data.resolve!.conversation).to.include({ conversation_id: conversationId, status: 'resolved' });
      await eventually(async () => (await workflowState(system, conversationId)).state === 'resolved', 'resolved');
      expect((await workflowState(system, conversationId)).resolvedBy).to.equal('rep');
      await hasText(page.locator('#conversation-status'), 'resolved');
      await isDisabled(page.locator('#resolve'));
      await isDisabled(page.locator('#reopen'), false);
      await hasText(page.locator('#customer-hint'), 'This conversation is resolved: a new message reopens it, as in Freshchat.');
      await screenshot('4-resolved');

      // ---- reopen (as the other rep): conversation_reopen with a new interaction id; session 2.
      // A session starts 5 s before the event that opened it (the product's allowance for clock
      // skew): a rep's reply inside that window counts as the rep holding session 2 too.
      await sleep(Math.max(0, repRepliedAt + 6_000 - Date.now()));
      await page.selectOption('#rep-select', otherRep.id);
      await page.click('#reopen');
      await hasText(page.locator('#agent-status'), `Reopened by ${agentLabel(otherRep)}: conversation_reopen webhook queued (deliveries below).`);
      const [reopenHook] = await webhooksOf('reopen', 1);
      expect(reopenHook!.action).to.equal('conversation_reopen');
      expect(reopenHook!.actor).to.deep.equal({ actor_type: 'agent', actor_id: otherRep.id });
      expect(reopenHook!.data.reopen).to.include({ reopener: 'agent', reopener_id: otherRep.id });
      expect(reopenHook!.data.reopen!.conversation).to.include({ conversation_id: conversationId, status: 'reopened' });
      expect(interactionIds).to.have.length(1);
      expect(interactionIds).not.to.include(reopenHook!.data.reopen!.interaction_id);
      await eventually(async () => (await workflowState(system, conversationId)).session === 2, 'session 2');
      await hasText(page.locator('#conversation-status'), 'reopened');
      await isDisabled(page.locator('#reopen'));

      // Session 2, unassigned: the customer writes and the AI answers again.
      await page.fill('#customer-text', 'How long does shipping take?');
      await page.press('#customer-text', 'Enter');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 3, 'the AI answering in session 2');
      const latestReply = (await aiReplies(sandbox, conversationId)).at(-1)!;
      await hasText(customerPane.last().locator('.text'), textOf(latestReply));
      await hasText(page.locator('#conversation-assignee'), 'AI agent');

      // The page's own webhook list shows every delivery, newest first.
      const all = await deliveriesOf(system, conversationId);
      await hasCount(page.locator('#deliveries .delivery'), all.length);
      await hasText(page.locator('#deliveries .delivery').first(), new RegExp(`^${all.at(-1)!.action} · delivered · attempts 1 · HTTP 2\\d\\d$`));
      // Both panes follow the conversation: its latest message is in view, though the webhook list grew below.
      for (const pane of ['#agent-messages', '#customer-messages']) {
        await until(page.locator(pane), (l) => l.evaluate((e) => e.scrollHeight - e.scrollTop - e.clientHeight), (gap) => Number(gap) < 2,
          (gap) => expect(gap, `${pane} scrolled to its latest message`).to.be.below(2));
      }
      await screenshot('5-reopened-session-2');
      // A rep who scrolled up to read is left there by the polling.
      await page.locator('#agent-messages').evaluate((e) => { e.scrollTop = 0; });
      await sleep(1500);
      expect(await page.locator('#agent-messages').evaluate((e) => e.scrollTop)).to.equal(0);

      expect(problems).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });

  it('a newcomer is told what is wrong: a stale link, a lost sandbox, no webhook URL; markup in messages stays text', async () => {
    const { sandbox } = system;
    const page = await context.newPage();
    const problems = watchProblems(page);
    try {
      // A link to a conversation the sandbox forgot (it restarted): said so, and the link is cleared.
      await page.goto(`${sandbox.baseUrl}/?conversation=no-such-conversation`, { waitUntil: 'load' });
      await hasText(page.locator('#agent-error'), 
        'Conversation no-such-conversation does not exist (any more): the sandbox forgets everything when it restarts.',
      );
      expect(new URL(page.url()).search).to.equal('');

      // Markup and a javascript: URL in a customer's message: literal text, no element made of it, no link.
      const markup = '<img src=x onerror="window.pwned=1"> javascript:window.pwned=1 see https://example.com/help';
      const conversationId = await startConversation(sandbox, markup);
      await page.goto(`${sandbox.baseUrl}/?conversation=${encodeURIComponent(conversationId)}`, { waitUntil: 'load' });
      const shown = page.locator('#agent-messages .message.customer .text').first();
      await hasText(shown, markup);
      expect(await page.locator('main img').count()).to.equal(0);
      expect(await shown.locator('a').evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href))).to.deep.equal(['https://example.com/help']);
      await hasText(page.locator('#customer-messages .message.mine .text').first(), markup);
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length > 0 || (await privateNotes(sandbox, conversationId)).length > 0, 'the AI at work');
      await sleep(1200);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).to.equal(undefined);
      expect(problems).to.deep.equal([]);

      // The sandbox out of reach: a banner says so, the selection stays, and it goes once the sandbox answers again.
      await page.route('**/sandbox/state', (route) => route.abort());
      const banner = page.locator('#connection');
      await banner.waitFor({ state: 'visible', timeout: 15_000 });
      await hasText(banner, /^Cannot reach the sandbox at http:\/\/127\.0\.0\.1:\d+ \(is it still running\?\)\. What is shown may be out of date; retrying every second\.$/);
      await hasCount(page.locator('#agent-messages .message.customer'), 1);
      await page.unroute('**/sandbox/state');
      await banner.waitFor({ state: 'hidden', timeout: 15_000 });
      expect(new URL(page.url()).searchParams.get('conversation')).to.equal(conversationId);

      // No webhook URL (the sandbox run alone without SANDBOX_WEBHOOK_URL): the header says webhooks go nowhere.
      sandbox.setWebhookUrl('');
      try {
        await containsText(page.locator('#account'), 'webhooks are not sent: no webhook URL is set (SANDBOX_WEBHOOK_URL)');
      } finally {
        sandbox.setWebhookUrl(`${system.apiUrl}/webhooks/freshchat`);
      }
      await containsText(page.locator('#account'), `webhooks go to ${system.apiUrl}/webhooks/freshchat`);
    } finally {
      await page.close();
    }
  });
});

function agentLabel(agent: { first_name: string; last_name?: string }): string {
  return `${agent.first_name} ${agent.last_name ?? ''}`.trim();
}

function messageOf(delivery: Delivery): { interaction_id?: string } | undefined {
  const envelope = JSON.parse(delivery.body) as Envelope;
  return envelope.data.message as { interaction_id?: string } | undefined;
}
