import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { SandboxControl } from '../../sandbox/control-client.js';
import type { ToolSettings } from '../../settings/tool-schema.js';
import { launchChromium, requireChromiumOrSkip } from '../helpers/browser.js';
import { aiReplies, eventually, privateNotes, repoRoot, sleep, startSystem, textOf, workflowState, type TestSystem } from '../helpers/system.js';

const artifacts = join(repoRoot, 'test-artifacts');
const sampleTools = (parse(readFileSync(join(repoRoot, 'settings.example.yaml'), 'utf8')) as { tools: ToolSettings[] }).tools;

/**
 * The demo `npm start` offers (issue 17): on the sandbox page, with the sample settings' tools
 * and the embedded faq provider, the customer asks where an order is and for a refund, and a rep
 * approves (or declines) the refund from the agent pane.
 */
describe('actions on the sandbox page (headless Chromium, sample tools, faq provider)', function () {
  this.timeout(180_000);
  let system: TestSystem;
  let browser: Browser | undefined;
  let page: Page;
  let shop: SandboxControl;

  before(async function () {
    this.timeout(600_000);
    requireChromiumOrSkip(this);
    system = await startSystem({ settings: { tools: sampleTools } as never });
    shop = new SandboxControl(system.sandbox.baseUrl);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  /** Starts a conversation from the customer pane; returns its id. */
  async function customerStarts(text: string): Promise<string> {
    await page.goto(`${system.sandbox.baseUrl}/`, { waitUntil: 'load' });
    await page.fill('#customer-text', text);
    await page.press('#customer-text', 'Enter');
    await page.waitForURL(/\?conversation=/);
    return new URL(page.url()).searchParams.get('conversation')!;
  }

  async function waitingForApproval(conversationId: string): Promise<void> {
    await eventually(async () => (await workflowState(system, conversationId)).pendingAction !== undefined, 'the action waiting');
    await page.locator('#approval').waitFor({ state: 'visible', timeout: 15_000 });
  }

  it('answers where an order is, and refunds once a rep clicks "Approve action"', async () => {
    const conversationId = await customerStarts('Where is my order 1234?');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 1, 'the order status');
    expect(textOf((await aiReplies(system.sandbox, conversationId))[0]!)).to.match(/^Order 1234 is shipped\. Carrier: DHL; expected delivery: \d{4}-\d{2}-\d{2}\./);

    await page.fill('#customer-text', 'Please refund order 1234');
    await page.press('#customer-text', 'Enter');
    await waitingForApproval(conversationId);
    expect(await page.locator('#agent-messages .message.private').last().innerText()).to.include('Action waiting for approval').and.include('refund_order');
    await page.screenshot({ path: join(artifacts, 'sandbox-page-action-waiting.png'), fullPage: true });
    expect((await shop.shop()).refunds).to.have.length(0);

    await page.click('#approve-action');
    await eventually(async () => (await aiReplies(system.sandbox, conversationId)).length === 3, 'the refund confirmed');
    const refunds = (await shop.shop()).refunds;
    expect(refunds).to.have.length(1);
    expect(textOf((await aiReplies(system.sandbox, conversationId))[2]!)).to.include(`reference ${refunds[0]!.refundId}`);
    await page.locator('#approval').waitFor({ state: 'hidden', timeout: 15_000 });
    expect((await privateNotes(system.sandbox, conversationId)).map(textOf).at(-1)).to.equal('/approve');
    await page.screenshot({ path: join(artifacts, 'sandbox-page-action-approved.png'), fullPage: true });
  });

  it('"Decline action…" asks for the reason; the AI tells the customer and hands off with it', async () => {
    await shop.resetShop();
    const conversationId = await customerStarts('refund order 1237 please');
    await waitingForApproval(conversationId);
    page.once('dialog', (dialog) => void dialog.accept('customer already got a voucher'));
    await page.click('#decline-action');
    await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'the handoff');
    expect((await workflowState(system, conversationId)).escalationReason).to.include('customer already got a voucher');
    expect((await shop.shop()).refunds).to.have.length(0);
    await sleep(500);
    expect(textOf((await aiReplies(system.sandbox, conversationId)).at(-1)!)).to.include("I wasn't able to do that for you");
  });
});
