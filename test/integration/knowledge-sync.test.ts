import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { ensureKnowledgeSyncSchedule, knowledgeSyncScheduleId, startKnowledgeSyncIfNeverSynced } from '../../knowledge/sync-schedule.js';
import { createLogger } from '../../lib/logger.js';
import { customerVisibleArticles, loadHelpCenter } from '../../sandbox/help-center.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId, type KnowledgeSyncSummary } from '../../workflows/knowledge-sync-workflow.js';
import { capturedLogs } from '../helpers/log-capture.js';
import {
  aiReplies,
  customerSays,
  eventually,
  privateNotes,
  repoRoot,
  sandboxCall,
  startConversation,
  startSystem,
  textOf,
  workflowDecisions,
  type TestSystem,
} from '../helpers/system.js';

const helpCenter = loadHelpCenter();
const published = customerVisibleArticles(helpCenter);
const hidden = helpCenter.articles.filter((a) => !published.includes(a));

describe('knowledge sync (real workflow on a real server; the sandbox as Freshdesk and as a website)', function () {
  this.timeout(120_000);
  let system: TestSystem;

  /** The settings with every source type against this system's sandbox (its port is known only now). */
  function writeSettingsWithEverySource(): void {
    const { sandbox, settings } = system;
    writeFileSync(
      system.settingsPath,
      stringify({
        ...settings,
        knowledge: {
          ...settings.knowledge,
          sources: [
            { type: 'freshdesk', name: 'help-center', languages: ['de', 'es'] },
            { type: 'sitemap', name: 'website', url: `${sandbox.baseUrl}/sitemap.xml` },
            { type: 'files', name: 'guides', path: join(repoRoot, 'knowledge-base', 'guides') },
          ],
        },
      }),
    );
  }

  const sync = (): Promise<KnowledgeSyncSummary> =>
    system.client.workflow.execute(knowledgeSyncWorkflow, { taskQueue: system.taskQueue, workflowId: `${knowledgeSyncWorkflowId(system.taskQueue)}-${Date.now()}` });
  const articles = (source: string) => system.store.db.selectFrom('knowledge_articles').selectAll().where('source', '=', source).execute();
  const control = (method: string, path: string, body?: unknown) => sandboxCall(system.sandbox, method, `/sandbox${path}`, body);

  before(async function () {
    this.timeout(600_000);
    system = await startSystem();
    writeSettingsWithEverySource();
  });
  after(() => system?.close());
  afterEach(async () => {
    await control('DELETE', '/faults');
  });

  it('syncs every source type: published, customer-visible articles only, robots.txt respected, HTML as clean text split at headings', async () => {
    await control('POST', '/help-center/reset');
    const summary = await sync();
    expect(summary.failed).to.deep.equal([]);
    expect(summary.synced.map((s) => s.source)).to.deep.equal(['faq', 'help-center', 'website', 'guides']);

    const fromFreshdesk = await articles('help-center');
    const expectedIds = published.map((a) => (a.language === 'en' ? a.id : `${a.id}/${a.language}`)).sort();
    expect(fromFreshdesk.map((a) => a.external_id).sort()).to.deep.equal(expectedIds);
    for (const article of hidden) expect(fromFreshdesk.map((a) => a.external_id.split('/')[0])).not.to.include(article.id);
    expect(fromFreshdesk.find((a) => a.external_id === '5000200001/de')).to.include({ language: 'de' });

    const fromWebsite = await articles('website');
    expect(fromWebsite).to.have.length(published.length);
    expect(fromWebsite.map((a) => a.external_id).join(' ')).not.to.include('drafts-preview'); // listed in the sitemap, disallowed by robots.txt

    const chunks = await system.store.db.selectFrom('knowledge_chunks').selectAll().execute();
    expect(chunks.filter((c) => c.source === 'help-center').every((c) => !c.text.includes('<') && c.text.trim().length > 0)).to.equal(true);
    const tentCare = chunks.filter((c) => c.article_id === 'guides:tent-care.md').map((c) => c.title);
    expect(tentCare).to.include.members(['Caring for your tent — Drying and storing', 'Caring for your tent — Cleaning']);
    const sizing = chunks.filter((c) => c.article_id === 'guides:sizing.html').map((c) => c.title);
    expect(sizing).to.include('Size guide for jackets and boots — Boots');
    const sources = await system.store.db.selectFrom('knowledge_sources').selectAll().orderBy('source').execute();
    expect(sources.map((s) => [s.source, s.article_count > 0, s.last_error])).to.deep.equal([
      ['faq', true, null],
      ['guides', true, null],
      ['help-center', true, null],
      ['website', true, null],
    ]);
  });

  it('is incremental: unchanged articles are skipped, an edited one is stored again, a deleted one is removed', async () => {
    await control('POST', '/help-center/reset');
    await sync();
    const [edited, deleted] = [published.find((a) => a.language === 'en')!, published.filter((a) => a.language === 'en')[1]!];
    await control('PATCH', `/help-center/articles/${edited.id}`, { body: '## New section\n\nEverything about this changed today.' });
    await control('DELETE', `/help-center/articles/${deleted.id}`);
    const summary = await sync();
    const freshdesk = summary.synced.find((s) => s.source === 'help-center')!;
    expect(freshdesk).to.include({ added: 0, updated: 1, removed: 1, unchanged: published.length - 2 });
    expect(summary.synced.find((s) => s.source === 'faq')).to.include({ added: 0, updated: 0, removed: 0 });
    const chunks = await system.store.db.selectFrom('knowledge_chunks').select(['text']).where('article_id', '=', `help-center:${edited.id}`).execute();
    expect(chunks.map((c) => c.text)).to.deep.equal(['Everything about this changed today.']);
    expect(await system.store.db.selectFrom('knowledge_articles').select('article_id').where('article_id', '=', `help-center:${deleted.id}`).execute()).to.deep.equal([]);
  });

  it("honours Freshdesk's 429 Retry-After, and a source that keeps failing fails alone", async () => {
    await control('POST', '/help-center/reset');
    await control('POST', '/faults', { path: '^/api/v2/solutions/categories', status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    let summary = await sync();
    expect(summary.failed).to.deep.equal([]);
    expect(Date.now() - started).to.be.greaterThanOrEqual(1000);

    await control('POST', '/faults', { path: '^/sitemap.xml', status: 404, times: 10 });
    summary = await sync();
    expect(summary.failed.map((f) => f.source)).to.deep.equal(['website']);
    expect(summary.failed[0]!.error).to.include('404');
    expect(summary.synced.map((s) => s.source)).to.deep.equal(['faq', 'help-center', 'guides']);
  });

  it('the AI answers from a help-center section, and the handoff note lists the articles it used by title and URL', async () => {
    await control('POST', '/help-center/reset');
    await sync();
    const { sandbox } = system;
    const conversationId = await startConversation(sandbox, 'Can my parcel go to a Packstation?');
    const [reply] = await eventually(async () => (await aiReplies(sandbox, conversationId)).length > 0 && aiReplies(sandbox, conversationId), 'the AI reply');
    expect(textOf(reply!).toLowerCase()).to.include('packstation');
    const [decision] = await workflowDecisions(system, conversationId);
    expect(decision!.sources).to.have.length(1);
    expect(decision!.sources[0]).to.match(/^(help-center|website):/);
    expect(decision!.citations).to.have.length(1);
    expect(decision!.citations![0]).to.deep.include({ articleId: decision!.sources[0] });
    expect(decision!.citations![0]!.title).to.match(/Packstation/i);
    expect(decision!.citations![0]!.url).to.match(/\/support\/solutions\/articles\/\d+$/);

    await customerSays(sandbox, conversationId, 'I want to talk to a human');
    const [note] = await eventually(async () => (await privateNotes(sandbox, conversationId)).length > 0 && privateNotes(sandbox, conversationId), 'the handoff note');
    expect(textOf(note!)).to.match(/Sources: .*Packstation.* <http:\/\/127\.0\.0\.1:\d+\/support\/solutions\/articles\/\d+/i);
  });

  it('with knowledge.linkBestArticle the reply ends with the link of the article it used', async () => {
    const { sandbox, settings } = system;
    const path = system.settingsPath;
    writeSettingsWithEverySource();
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const current = parse(readFileSync(path, 'utf8')) as typeof settings;
    writeFileSync(path, stringify({ ...current, knowledge: { ...current.knowledge, linkBestArticle: true } }));
    try {
      const conversationId = await startConversation(sandbox, 'Can my parcel go to a Packstation?');
      const [reply] = await eventually(async () => (await aiReplies(sandbox, conversationId)).length > 0 && aiReplies(sandbox, conversationId), 'the AI reply');
      expect(textOf(reply!)).to.match(/\n\n.*Packstation.*: http:\/\/127\.0\.0\.1:\d+\/support\/solutions\/articles\/\d+$/i);
    } finally {
      writeSettingsWithEverySource();
    }
  });

  it('runs on a Temporal Schedule whose interval follows the settings, and syncs at start-up only when nothing was ever synced', async () => {
    const logger = createLogger('worker', capturedLogs);
    await ensureKnowledgeSyncSchedule(system.client, system.taskQueue, 60, logger);
    const handle = system.client.schedule.getHandle(knowledgeSyncScheduleId(system.taskQueue));
    expect((await handle.describe()).spec.intervals?.map((i) => i.every)).to.deep.equal([3_600_000]);
    await ensureKnowledgeSyncSchedule(system.client, system.taskQueue, 15, logger);
    const described = await handle.describe();
    expect(described.spec.intervals?.map((i) => i.every)).to.deep.equal([900_000]);
    expect(described.action).to.deep.include({ type: 'startWorkflow', workflowType: 'knowledgeSyncWorkflow', taskQueue: system.taskQueue });
    expect(await startKnowledgeSyncIfNeverSynced(system.client, system.store, system.taskQueue, logger)).to.equal(undefined);
    await handle.delete();
  });
});
