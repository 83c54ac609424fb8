/**
 * The sandbox's help center over real HTTP: Freshdesk's solutions API (auth, the tree, paging,
 * languages, errors, injected faults), the public website (pages, sitemap, robots.txt), and the
 * control API's edits that incremental-sync tests rely on.
 */
import { expect } from 'chai';
import { createLogger } from '../../lib/logger.js';
import { customerVisibleArticles, loadHelpCenter, type HelpCenter } from '../../sandbox/help-center.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { capturedLogs } from '../helpers/log-capture.js';

const FRESHDESK_KEY = 'test-freshdesk-key';

// Loosely typed JSON, as a client parsing Freshdesk's answers sees it.
type Json = any;

const DELIVERY_FOLDER = '5000001001';
const RETURNS_FOLDER = '5000001004';
const REFUNDS_SUBFOLDER = '5000001005';
const AGENT_HANDBOOK_FOLDER = '5000001010';
const INTERNAL_CATEGORY = '5000000107';
const DELIVERY_TIMES = '5000100001';
const GERMAN_DELIVERY_TIMES = '5000200001';
const DRAFT_CHRISTMAS = '5000300001';
const INTERNAL_REFUND_LIMITS = '5000400001';

describe('sandbox help center (Freshdesk API and website)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  const shipped: HelpCenter = loadHelpCenter();

  before(async () => {
    sandbox = await startSandbox({
      apiToken: 'unused-freshchat-token',
      aiAgentEmail: 'ai@sandbox.test',
      freshdeskApiKey: FRESHDESK_KEY,
      logger: createLogger('freshchat-sandbox', capturedLogs),
    });
  });
  after(() => sandbox?.close());
  afterEach(async () => {
    await control('DELETE', '/faults');
    await control('POST', '/help-center/reset');
  });

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  async function freshdesk(path: string, authorization: string | null = basic(FRESHDESK_KEY, 'X')) {
    const response = await fetch(path.startsWith('http') ? path : `${sandbox.freshdeskApiUrl}${path}`, {
      headers: authorization ? { authorization } : {},
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
  }

  async function control(method: string, path: string, body?: unknown) {
    const response = await fetch(`${sandbox.baseUrl}/sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  async function site(path: string) {
    const response = await fetch(`${sandbox.baseUrl}${path}`);
    return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  /** Every article of a listing, following `Link: <…>; rel="next"`; also how many pages it took. */
  async function listAll(path: string): Promise<{ articles: Json[]; pages: number }> {
    const articles: Json[] = [];
    let pages = 0;
    let next: string | undefined = path;
    while (next) {
      const { status, headers, body } = await freshdesk(next);
      expect(status, next).to.equal(200);
      articles.push(...body);
      pages += 1;
      next = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
    }
    return { articles, pages };
  }

  const sitemapLocs = async () => [...(await site('/sitemap.xml')).text.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]!);
  const sitemapEntries = async () =>
    new Map([...(await site('/sitemap.xml')).text.matchAll(/<loc>([^<]+)<\/loc><lastmod>([^<]+)<\/lastmod>/g)].map((m) => [m[1]!, m[2]!]));
  const pageUrl = (id: string) => `${sandbox.baseUrl}/support/solutions/articles/${id}`;
  const mainOf = (html: string) => /<main>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';

  describe('authentication', () => {
    it('answers 401 in Freshdesk\'s error shape without a key, with a wrong key, or with a password other than X', async () => {
      for (const authorization of [null, basic('wrong-key', 'X'), basic(FRESHDESK_KEY, 'secret'), `Bearer ${FRESHDESK_KEY}`]) {
        const { status, body } = await freshdesk('/solutions/categories', authorization);
        expect(status, String(authorization)).to.equal(401);
        expect(body).to.have.property('description').that.is.a('string');
        expect(body.errors[0]).to.include({ code: 'invalid_credentials' });
      }
      expect((await freshdesk('/solutions/categories')).status).to.equal(200);
    });
  });

  describe('the tree: categories → folders → articles', () => {
    it('walks from the categories to every shipped article, subfolders included', async () => {
      const categories = (await freshdesk('/solutions/categories')).body;
      expect(categories.map((c: Json) => c.name)).to.include.members(['Shipping & delivery', 'Returns & refunds', 'Internal']);
      expect(categories[0]).to.have.all.keys('id', 'name', 'description', 'created_at', 'updated_at', 'visible_in_portals');

      const seen: Json[] = [];
      const visitFolder = async (folder: Json) => {
        for (const language of ['', '/de', '/es']) seen.push(...(await listAll(`/solutions/folders/${folder.id}/articles${language}`)).articles);
        for (const subfolder of (await freshdesk(`/solutions/folders/${folder.id}/subfolders`)).body) await visitFolder(subfolder);
      };
      for (const category of categories) {
        for (const folder of (await freshdesk(`/solutions/categories/${category.id}/folders`)).body) await visitFolder(folder);
      }
      expect(seen.map((article) => String(article.id)).sort()).to.deep.equal(shipped.articles.map((article) => article.id).sort());
    });

    it('lists a subfolder under its parent folder only, with parent_folder_id', async () => {
      const returnsCategoryFolders = (await freshdesk('/solutions/categories/5000000103/folders')).body;
      expect(returnsCategoryFolders.map((f: Json) => String(f.id))).to.include(RETURNS_FOLDER).and.not.include(REFUNDS_SUBFOLDER);
      const subfolders = (await freshdesk(`/solutions/folders/${RETURNS_FOLDER}/subfolders`)).body;
      expect(subfolders).to.have.length(1);
      expect(subfolders[0]).to.include({ id: Number(REFUNDS_SUBFOLDER), parent_folder_id: Number(RETURNS_FOLDER), visibility: 1 });
      expect((await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/subfolders`)).body).to.deep.equal([]);
    });

    it('shows the agent-only folder with visibility 3 and lists its articles (the key is an agent\'s)', async () => {
      const folders = (await freshdesk(`/solutions/categories/${INTERNAL_CATEGORY}/folders`)).body;
      expect(folders).to.have.length(1);
      expect(folders[0]).to.include({ id: Number(AGENT_HANDBOOK_FOLDER), visibility: 3, category_id: Number(INTERNAL_CATEGORY) });
      const articles = (await freshdesk(`/solutions/folders/${AGENT_HANDBOOK_FOLDER}/articles`)).body;
      expect(articles.map((a: Json) => String(a.id))).to.include(INTERNAL_REFUND_LIMITS);
    });

    it('lists drafts too, with status 1; published articles have status 2', async () => {
      const articles = (await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`)).body;
      const byId = new Map(articles.map((article: Json) => [String(article.id), article]));
      expect(byId.get(DRAFT_CHRISTMAS)).to.include({ status: 1 });
      expect(byId.get(DELIVERY_TIMES)).to.include({ status: 2 });
    });

    it('pages with page/per_page and a Link rel="next" header until the last page', async () => {
      const all = (await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`)).body;
      expect(all.length).to.be.greaterThan(5);
      const first = await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=5`);
      expect(first.body).to.have.length(5);
      const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
      expect(next).to.equal(`${sandbox.freshdeskApiUrl}/solutions/folders/${DELIVERY_FOLDER}/articles?page=2&per_page=5`);
      const second = await freshdesk(next!);
      expect(second.body).to.have.length(all.length - 5);
      expect(second.headers.get('link')).to.equal(null);
      expect([...first.body, ...second.body].map((a: Json) => a.id)).to.deep.equal(all.map((a: Json) => a.id));

      expect((await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles`)).body).to.have.length(Math.min(30, all.length));
      expect((await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?page=9`)).body).to.deep.equal([]);
      const tooMany = await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=101`);
      expect(tooMany.status).to.equal(400);
      expect(tooMany.body.errors[0]).to.include({ field: 'per_page', code: 'invalid_value' });
    });
  });

  describe('articles', () => {
    it('answers an article in Freshdesk\'s shape: HTML description with h2/p/ul, the same as plain text', async () => {
      const { status, body } = await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`);
      expect(status).to.equal(200);
      expect(body).to.include({
        id: Number(DELIVERY_TIMES), folder_id: Number(DELIVERY_FOLDER), category_id: 5000000101,
        title: 'How long does delivery take?', status: 2,
      });
      expect(body.description).to.match(/^<p>/).and.include('<h2>Delivery times by destination</h2>').and.include('<ul><li>');
      expect(body.description_text).to.include('2–4 working days').and.not.include('<');
      expect(body.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(body.updated_at).to.equal('2026-09-14T08:30:00Z');
    });

    it('answers /articles/{id}/{language} for the article\'s own language only; folders list languages apart', async () => {
      expect((await freshdesk(`/solutions/articles/${GERMAN_DELIVERY_TIMES}/de`)).body).to.include({ title: 'Wie lange dauert die Lieferung?' });
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}/en`)).status).to.equal(200);
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}/de`)).status).to.equal(404);
      expect((await freshdesk(`/solutions/articles/${GERMAN_DELIVERY_TIMES}/es`)).status).to.equal(404);

      const english = (await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`)).body.map((a: Json) => String(a.id));
      const german = (await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles/de`)).body.map((a: Json) => String(a.id));
      expect(english).to.include(DELIVERY_TIMES).and.not.include(GERMAN_DELIVERY_TIMES);
      expect(german).to.deep.equal([GERMAN_DELIVERY_TIMES]);
    });

    it('answers 404 with a Freshdesk error body for unknown ids and paths', async () => {
      for (const path of ['/solutions/articles/4999999999', '/solutions/folders/1/articles', '/solutions/categories/1/folders', '/solutions/folders/1/subfolders', '/solutions/nothing']) {
        const { status, body } = await freshdesk(path);
        expect(status, path).to.equal(404);
        expect(body.errors[0], path).to.include({ code: 'not_found' });
      }
    });
  });

  describe('faults from the shared registry', () => {
    it('an injected 429 comes back with Retry-After in Freshdesk\'s error shape, once', async () => {
      const armed = await control('POST', '/faults', { path: '^/api/v2/solutions/folders/\\d+/articles', status: 429, retryAfterSeconds: 9 });
      expect(armed.status).to.equal(201);
      const limited = await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?page=2`);
      expect(limited.status).to.equal(429);
      expect(limited.headers.get('retry-after')).to.equal('9');
      expect(limited.body).to.have.property('description');
      expect(limited.body.errors[0]).to.include({ code: 'rate_limit_exceeded' });
      expect((await freshdesk(`/solutions/folders/${DELIVERY_FOLDER}/articles?page=2`)).status).to.equal(200);
    });

    it('a 401 does not use up a fault; a 503 fault hits the website too', async () => {
      await control('POST', '/faults', { path: '^/api/v2/solutions/categories$', status: 503 });
      expect((await freshdesk('/solutions/categories', null)).status).to.equal(401);
      expect((await freshdesk('/solutions/categories')).status).to.equal(503);

      await control('POST', '/faults', { path: '^/sitemap\\.xml$', status: 503 });
      expect((await site('/sitemap.xml')).status).to.equal(503);
      expect((await site('/sitemap.xml')).status).to.equal(200);
    });
  });

  describe('the website', () => {
    it('the sitemap lists the published customer-visible pages, plus one page that robots.txt disallows', async () => {
      const robots = (await site('/robots.txt')).text;
      expect(robots).to.include(`Sitemap: ${sandbox.baseUrl}/sitemap.xml`);
      const disallowed = [...robots.matchAll(/^Disallow:\s*(\S+)/gm)].map((m) => m[1]!);

      const locs = await sitemapLocs();
      const isDisallowed = (loc: string) => disallowed.some((prefix) => new URL(loc).pathname.startsWith(prefix));
      const expected = customerVisibleArticles(shipped).map((article) => pageUrl(article.id));
      expect(locs.filter((loc) => !isDisallowed(loc)).sort()).to.deep.equal(expected.sort());
      const trap = locs.filter(isDisallowed);
      expect(trap).to.deep.equal([`${sandbox.baseUrl}/support/solutions/articles/drafts-preview/${DRAFT_CHRISTMAS}`]);
      // The trap is a real page, and a draft: only robots.txt keeps a polite crawler from reading it.
      const preview = await site(new URL(trap[0]!).pathname);
      expect(preview.status).to.equal(200);
      expect(preview.text).to.include('Christmas delivery deadlines 2026');

      const entries = await sitemapEntries();
      expect(entries.get(pageUrl(DELIVERY_TIMES))).to.equal('2026-09-14T08:30:00Z');
    });

    it('serves an article page: boilerplate around a <main> that holds the article', async () => {
      const article = shipped.articles.find((candidate) => candidate.id === DELIVERY_TIMES)!;
      const page = await site(`/support/solutions/articles/${DELIVERY_TIMES}`);
      expect(page.status).to.equal(200);
      expect(page.type).to.match(/^text\/html/);
      expect(page.text).to.match(/<header>[\s\S]*<nav[\s\S]*<\/header>/).and.match(/<footer>[\s\S]*<\/footer>/);
      const main = mainOf(page.text);
      expect(main).to.include('<article').and.include(article.html).and.include('<h1>How long does delivery take?</h1>');
      expect(page.text.replace(main, '')).not.to.include('2–4 working days');

      expect((await site(`/support/solutions/articles/${DELIVERY_TIMES}-how-long-does-delivery-take`)).status).to.equal(200);
      expect((await site(`/support/solutions/articles/${GERMAN_DELIVERY_TIMES}`)).text).to.include('<html lang="de">');
    });

    it('has no public page for drafts, agent-only articles or unknown ids', async () => {
      for (const id of [DRAFT_CHRISTMAS, INTERNAL_REFUND_LIMITS, '4999999999']) {
        expect((await site(`/support/solutions/articles/${id}`)).status, id).to.equal(404);
      }
      expect((await site(`/support/solutions/articles/drafts-preview/${DELIVERY_TIMES}`)).status).to.equal(404);
      const index = await site('/support/solutions');
      expect(index.text).to.include(`href="/support/solutions/articles/${DELIVERY_TIMES}"`).and.not.include(INTERNAL_REFUND_LIMITS);
    });
  });

  describe('control API changes', () => {
    it('an edit changes title and text and moves updated_at forward, in the API, the page and the sitemap', async () => {
      const before = (await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).body;
      const edited = await control('PATCH', `/help-center/articles/${DELIVERY_TIMES}`, {
        title: 'Delivery times', body: 'Orders now arrive in **1–3 working days**.\n\n## Abroad\n\n- EU: 2–5 working days',
      });
      expect(edited.status).to.equal(200);
      const after = (await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).body;
      expect(after.title).to.equal('Delivery times');
      expect(after.description).to.equal('<p>Orders now arrive in <strong>1–3 working days</strong>.</p>\n<h2>Abroad</h2>\n<ul><li>EU: 2–5 working days</li></ul>');
      expect(after.description_text).to.equal('Orders now arrive in 1–3 working days.\n\nAbroad\n\nEU: 2–5 working days');
      expect(Date.parse(after.updated_at)).to.be.greaterThan(Date.parse(before.updated_at));
      expect(after.created_at).to.equal(before.created_at);

      const again = await control('PATCH', `/help-center/articles/${DELIVERY_TIMES}`, { title: 'Delivery times (2)' });
      expect(Date.parse(again.body.updated_at)).to.be.greaterThan(Date.parse(after.updated_at));

      expect(mainOf((await site(`/support/solutions/articles/${DELIVERY_TIMES}`)).text)).to.include('1–3 working days');
      expect((await sitemapEntries()).get(pageUrl(DELIVERY_TIMES))).to.equal(again.body.updated_at);
      expect((await control('PATCH', `/help-center/articles/${DELIVERY_TIMES}`, {})).status).to.equal(400);
      expect((await control('PATCH', '/help-center/articles/1', { title: 'x' })).status).to.equal(404);
    });

    it('a deleted article disappears from its folder, its id, its page and the sitemap', async () => {
      expect((await control('DELETE', `/help-center/articles/${DELIVERY_TIMES}`)).body).to.deep.equal({ deleted: DELIVERY_TIMES });
      const listed = (await listAll(`/solutions/folders/${DELIVERY_FOLDER}/articles`)).articles.map((a: Json) => String(a.id));
      expect(listed).not.to.include(DELIVERY_TIMES);
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).status).to.equal(404);
      expect((await site(`/support/solutions/articles/${DELIVERY_TIMES}`)).status).to.equal(404);
      expect(await sitemapLocs()).not.to.include(pageUrl(DELIVERY_TIMES));
    });

    it('unpublish and publish switch status 2 ↔ 1 and the public page with it', async () => {
      const unpublished = await control('POST', `/help-center/articles/${DELIVERY_TIMES}/unpublish`);
      expect(unpublished.body).to.include({ status: 1 });
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).body).to.include({ status: 1 });
      expect(await sitemapLocs()).not.to.include(pageUrl(DELIVERY_TIMES));
      expect((await site(`/support/solutions/articles/${DELIVERY_TIMES}`)).status).to.equal(404);

      await control('POST', `/help-center/articles/${DELIVERY_TIMES}/publish`);
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).body).to.include({ status: 2 });
      expect(await sitemapLocs()).to.include(pageUrl(DELIVERY_TIMES));
    });

    it('generates N distinct articles deterministically; paging covers all of them; reset restores the shipped set', async () => {
      const shippedInFolder = (await listAll(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`)).articles.length;
      const generated = await control('POST', `/help-center/folders/${DELIVERY_FOLDER}/generate`, { count: 1000 });
      expect(generated.status).to.equal(201);
      expect(generated.body).to.deep.equal({ created: 1000, first_id: '5009000001', last_id: '5009001000' });

      const { articles, pages } = await listAll(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`);
      expect(articles).to.have.length(shippedInFolder + 1000);
      expect(pages).to.equal(Math.ceil((shippedInFolder + 1000) / 100));
      const synthetic = articles.filter((article: Json) => article.id >= 5009000001);
      expect(new Set(synthetic.map((a: Json) => a.title)).size).to.equal(1000);
      expect(new Set(synthetic.map((a: Json) => a.description_text)).size).to.equal(1000);
      expect((await sitemapLocs()).length).to.equal(customerVisibleArticles(shipped).length + 1 + 1000);

      const firstBody = synthetic[0].description;
      expect((await control('POST', '/help-center/reset')).body).to.deep.equal({ articles: shipped.articles.length });
      expect((await listAll(`/solutions/folders/${DELIVERY_FOLDER}/articles?per_page=100`)).articles).to.have.length(shippedInFolder);
      await control('POST', `/help-center/folders/${DELIVERY_FOLDER}/generate`, { count: 1 });
      expect((await freshdesk('/solutions/articles/5009000001')).body.description).to.equal(firstBody);

      expect((await control('POST', '/help-center/folders/1/generate', { count: 1 })).status).to.equal(404);
      expect((await control('POST', `/help-center/folders/${DELIVERY_FOLDER}/generate`, { count: 0 })).status).to.equal(400);
    });

    it('reset brings back edited and deleted articles', async () => {
      await control('DELETE', `/help-center/articles/${DELIVERY_TIMES}`);
      await control('PATCH', '/help-center/articles/5000100002', { title: 'Changed' });
      await control('POST', '/help-center/reset');
      expect((await freshdesk(`/solutions/articles/${DELIVERY_TIMES}`)).status).to.equal(200);
      const costs = (await freshdesk('/solutions/articles/5000100002')).body;
      expect(costs).to.include({ title: 'Shipping costs and free delivery', updated_at: '2026-08-20T12:00:00Z' });
      const summary = (await control('GET', '/help-center')).body;
      expect(summary.articles).to.have.length(shipped.articles.length);
    });
  });
});
