import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromiumOrSkip } from '../helpers/browser.js';
import { eventually, privateNotes, startConversation, startSystem, textOf, type TestSystem } from '../helpers/system.js';

/** Relative luminance contrast of two CSS `rgb(...)` colours (WCAG 2). */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** The sandbox page a newcomer uses first, in headless Chromium: what a rep reads, as it is shown. */
describe('the sandbox page (headless Chromium)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(600_000);
    requireChromiumOrSkip(this);
    system = await startSystem();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  it('shows a private note with its line breaks and a clickable trace link, one name for the AI, readable own timestamps, no console errors', async () => {
    const { sandbox } = system;
    const conversationId = await startConversation(sandbox, 'I want to talk to a human');
    const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1 && privateNotes(sandbox, conversationId), 'the handoff note');
    const traceUrl = textOf(note!).split('\n').find((l) => l.startsWith('Trace: '))!.slice('Trace: '.length);

    const page: Page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    try {
      await page.goto(`${sandbox.baseUrl}/?conversation=${encodeURIComponent(conversationId)}`, { waitUntil: 'load' });
      const shownNote = page.locator('#agent-messages .message.private').first();
      await shownNote.waitFor({ state: 'visible', timeout: 15_000 });

      // Line breaks kept: the rendered text has the note's lines, not one run-on paragraph.
      const noteText = await shownNote.innerText();
      expect(noteText).to.match(/AI handoff — session 1\nReason: /);
      expect(noteText).to.include('\nDecided by: handoff phrase');
      // The trace URL is a link to the workflow's page.
      expect(await shownNote.locator('a').first().getAttribute('href')).to.equal(traceUrl);

      // One name for the AI: "AI agent", also where agents are listed by name.
      await page.locator('#customer-messages .message.mine').first().waitFor({ state: 'visible' });
      const body = await page.locator('body').innerText();
      expect(body).not.to.include('AI Assistant');
      expect(await page.locator('#agent-messages .message.agent .author').first().innerText()).to.match(/^AI agent/);

      // The customer's own bubble: its timestamp stands out from the blue (WCAG AA for small text is 4.5).
      const mine = page.locator('#customer-messages .message.mine').first();
      const colours = await mine.evaluate((element) => ({
        background: getComputedStyle(element).backgroundColor,
        time: getComputedStyle(element.querySelector('.muted')!).color,
      }));
      expect(contrast(colours.time, colours.background), JSON.stringify(colours)).to.be.at.least(3);

      await page.waitForTimeout(1500); // a few polling rounds
      expect(problems).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });
});
