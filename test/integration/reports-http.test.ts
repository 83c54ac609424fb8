import { expect } from 'chai';
import { Store } from '../../store/store.js';
import { startOpsListener, type OpsListener } from '../helpers/ops-listener.js';
import { expectedNovemberReport, november, seedReportSessions } from '../helpers/session-seeds.js';
import { openTestStore, type TestStore } from '../helpers/stores.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('reports and the dashboard over HTTP on the ops listener', () => {
  let t: TestStore;
  let ops: OpsListener;
  before(async () => {
    t = await openTestStore('sqlite');
    await t.store.ready();
    await seedReportSessions(t.store.db);
    ops = await startOpsListener({ store: t.store });
  });
  after(async () => {
    await ops?.close();
    await t?.dispose();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${ops.url}${path}`, { headers });

  it('GET /reports answers the report of the range, its dates echoed as canonical ISO times', async () => {
    const res = await get(`/reports?from=${november.from}&to=${november.to}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    expect(await res.json()).to.deep.equal(expectedNovemberReport);
    const withOffset = await (await get(`/reports?from=${encodeURIComponent('2026-11-01T02:00:00+02:00')}&to=2026-12-01T00:00Z&reopenedWithinDays=30`)).json();
    expect(withOffset).to.deep.include({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', sessions: 12, reopened: { withinDays: 30, count: 2 } });
  });

  it('bad input is a 400 whose error names the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/reports?to=2026-12-01', /^from is required/],
      ['/reports?from=2026-11-01', /^to is required/],
      ['/reports?from=2026-11-01&to=soon', /^to is not a date/],
      ['/reports?from=2026-11-01&from=2026-11-02&to=2026-12-01', /^from must be given once/],
      ['/reports?from=2026-12-01&to=2026-11-01', /^to must be after from/],
      ['/reports?from=2026-01-01&to=2027-03-01', /^to is more than 400 days after from/],
      ['/reports?from=2026-11-01&to=2026-12-01&reopenedWithinDays=91', /^reopenedWithinDays must be a whole number/],
      ['/reports/dashboard?from=2026-11-01&to=2026-12-01&reopenedWithinDays=x', /^reopenedWithinDays/],
    ];
    for (const [path, reason] of cases) {
      const res = await get(path);
      expect(res.status, path).to.equal(400);
      expect(((await res.json()) as { error: string }).error, path).to.match(reason);
    }
  });

  it('GET /reports/dashboard: days, topics, sentiment, open sessions and the latest sessions with Freshchat and Web UI links', async () => {
    const data = (await (await get(`/reports/dashboard?from=${november.from}&to=${november.to}`)).json()) as {
      days: unknown[];
      latestSessions: Array<{ conversationId: string; freshchatUrl: string; traceUrl: string }>;
    };
    expect(data.days).to.have.length(30);
    expect(data.latestSessions).to.have.length(12);
    expect(data.latestSessions[0]).to.include({
      conversationId: 'c-reopened-outside',
      freshchatUrl: 'https://example.freshchat.com/a/1/inbox/open/0/conversation/c-reopened-outside',
      traceUrl: 'http://localhost:8233/namespaces/default/workflows/freshchat-conversation-c-reopened-outside',
    });
  });

  it('GET /dashboard is the page (with a CSP that allows only its own scripts); Chart.js comes from node_modules', async () => {
    const page = await get('/dashboard');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    const html = await page.text();
    expect(html).to.include('src="/dashboard/assets/chart.umd.min.js"');
    const chart = await get('/dashboard/assets/chart.umd.min.js');
    expect(chart.status).to.equal(200);
    expect(chart.headers.get('content-type')).to.match(/javascript/);
    expect(await chart.text()).to.include('Chart.js v4.');
    const script = await get('/dashboard/assets/dashboard.js');
    expect(script.status).to.equal(200);
    expect(await script.text()).not.to.include('innerHTML');
  });

  it('with OPS_AUTH_TOKEN: 401 without it; Bearer for API clients, Basic (any user, the token as password) for browsers, which get a Basic challenge', async () => {
    const secured = await startOpsListener({ store: t.store, authToken: 'ops-token-0123456789' });
    const path = `${secured.url}/reports?from=${november.from}&to=${november.to}`;
    try {
      const anonymous = await fetch(path);
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer realm="ops"');
      const browser = await fetch(`${secured.url}/dashboard`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(browser.status).to.equal(401);
      expect(browser.headers.get('www-authenticate')).to.equal('Basic realm="ops"');
      expect((await fetch(path, { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
      expect((await fetch(path, { headers: { authorization: basic('ops', 'wrong') } })).status).to.equal(401);
      expect((await fetch(path, { headers: { authorization: basic('ops-token-0123456789', '') } })).status, 'the token as user name').to.equal(401);
      const bearer = await fetch(path, { headers: { authorization: 'Bearer ops-token-0123456789' } });
      expect(bearer.status).to.equal(200);
      expect(((await bearer.json()) as { sessions: number }).sessions).to.equal(12);
      expect((await fetch(path, { headers: { authorization: basic('anyone', 'ops-token-0123456789') } })).status).to.equal(200);
      expect((await fetch(`${secured.url}/dashboard`, { headers: { authorization: basic('', 'ops-token-0123456789') } })).status).to.equal(200);
    } finally {
      await secured.close();
    }
  });

  it('a store that is down answers 503 (and the range is still checked first)', async () => {
    const down = new Store({ databaseUrl: 'postgres://postgres@127.0.0.1:1/unreachable', sqlitePath: '' });
    const unreachable = await startOpsListener({ store: down });
    try {
      for (const path of ['/reports', '/reports/dashboard']) {
        const res = await fetch(`${unreachable.url}${path}?from=${november.from}&to=${november.to}`);
        expect(res.status, path).to.equal(503);
        expect(await res.json()).to.deep.equal({ error: 'the session store is unavailable; retry later' });
      }
      expect((await fetch(`${unreachable.url}/reports?from=x&to=${november.to}`)).status).to.equal(400);
    } finally {
      await unreachable.close();
      await down.close();
    }
  });
});
