import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SessionReport } from '../../store/reports.js';
import { launchChromium, requireChromiumOrSkip } from '../helpers/browser.js';
import { startOpsListener, type OpsListener } from '../helpers/ops-listener.js';
import { november, seedReportSessions } from '../helpers/session-seeds.js';
import { openTestStore, type TestStore } from '../helpers/stores.js';
import { repoRoot } from '../helpers/system.js';

const token = 'dashboard-token-0123456789';
const artifacts = join(repoRoot, 'test-artifacts');
const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** The dashboard in headless Chromium, behind OPS_AUTH_TOKEN (Basic, as a browser logs in): what it shows is what /reports says. */
describe('the dashboard page (headless Chromium)', function () {
  this.timeout(120_000);
  let t: TestStore;
  let ops: OpsListener;
  let browser: Browser | undefined;
  let context: BrowserContext;

  before(async function () {
    requireChromiumOrSkip(this);
    t = await openTestStore('sqlite');
    await t.store.ready();
    await seedReportSessions(t.store.db, [
      // Whatever the store holds is shown as text: markup stays text, a javascript: URL is no link.
      { conversationId: 'c-markup', startedAt: '2026-11-15T10:00:00Z', state: 'waiting', topic: '<img src=x onerror="window.pwned=1">', freshchatUrl: 'javascript:window.pwned=1' },
    ]);
    ops = await startOpsListener({ store: t.store, authToken: token });
    browser = await launchChromium();
    context = await browser.newContext({ httpCredentials: { username: 'ops', password: token }, viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await ops?.close();
    await t?.dispose();
  });

  it('defaults to the last 30 days; for a picked range it shows the figures of /reports, charts, and the latest sessions with their links', async () => {
    const page: Page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    try {
      await page.goto(`${ops.url}/dashboard`, { waitUntil: 'load' });
      await page.waitForSelector('body[data-loaded]');
      const today = new Date().toISOString().slice(0, 10);
      expect(await page.inputValue('#to')).to.equal(today);
      expect(await page.inputValue('#from')).to.equal(new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10));

      // The inputs pick whole days, both included: November is 11-01 … 11-30, i.e. [11-01, 12-01).
      await page.fill('#from', '2026-11-01');
      await page.fill('#to', '2026-11-30');
      await page.click('#apply');
      await page.waitForSelector(`body[data-loaded="?from=2026-11-01&to=${november.to}"]`);

      const res = await fetch(`${ops.url}/reports?from=${november.from}&to=${november.to}`, { headers: { authorization: `Bearer ${token}` } });
      const report = (await res.json()) as SessionReport;
      expect(report.sessions).to.equal(13);
      const shown = async (testId: string) => (await page.getByTestId(testId).textContent())?.trim();
      expect(await shown('sessions')).to.equal(String(report.sessions));
      expect(await shown('aiTouched')).to.equal(String(report.aiTouched));
      for (const [key, value] of Object.entries(report.outcomes)) expect(await shown(`outcome-${key}`), key).to.equal(String(value));
      expect(await shown('escalated-total')).to.equal(String(report.escalated.total));
      expect(await shown('reopened-count')).to.equal(String(report.reopened.count));
      expect(await shown('aiResolutionRate')).to.equal(percent(report.aiResolutionRate));
      expect(await shown('durableAiResolutionRate')).to.equal(percent(report.durableAiResolutionRate));
      expect(await shown('range-shown')).to.equal(`sessions started in [${report.from}, ${report.to})`);
      const ruleRows = await page.locator('#rules tr').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent)));
      expect(ruleRows).to.have.deep.members(Object.entries(report.escalated.byRule).map(([rule, n]) => [rule, String(n)]));

      // Charts drew (Chart.js loaded from the ops listener, under the page's CSP).
      expect(await page.evaluate(() => typeof (window as unknown as { Chart?: unknown }).Chart)).to.equal('function');
      expect(await page.locator('#daily-chart').evaluate((c) => (c as HTMLCanvasElement).width)).to.be.greaterThan(0);

      // The latest sessions, newest first, linked to Freshchat and the Web UI.
      const latest = page.locator('#latest tr');
      expect(await latest.count()).to.equal(13);
      const first = latest.first();
      expect(await first.locator('a').first().getAttribute('href')).to.equal('https://example.freshchat.com/a/1/inbox/open/0/conversation/c-reopened-outside');
      expect(await first.getByText('Web UI').getAttribute('href')).to.equal('http://localhost:8233/namespaces/default/workflows/freshchat-conversation-c-reopened-outside');

      // The markup row: literal text, no element made of it, no javascript: link.
      const markupRow = latest.filter({ hasText: 'c-markup' });
      expect(await markupRow.textContent()).to.include('<img src=x onerror="window.pwned=1">');
      expect(await markupRow.locator('img').count()).to.equal(0);
      expect(await markupRow.locator('a').evaluateAll((links) => links.map((a) => a.textContent))).to.deep.equal(['Web UI']);
      expect(await page.locator('main img').count()).to.equal(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).to.equal(undefined);

      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
      expect(problems).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });

  it('a refused range shows the API reason on the page', async () => {
    const page = await context.newPage();
    try {
      await page.goto(`${ops.url}/dashboard?from=2026-12-01&to=2026-11-01`, { waitUntil: 'load' });
      await page.waitForSelector('body[data-loaded="error"]');
      expect(await page.getByTestId('error').textContent()).to.match(/^Could not load the report: to must be after from/);
    } finally {
      await page.close();
    }
  });
});
