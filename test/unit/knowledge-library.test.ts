import { expect } from 'chai';
import { KnowledgeLibrary, citationsOf } from '../../knowledge/knowledge-library.js';
import { KnowledgeIndex } from '../../knowledge/knowledge-index.js';
import { chunkArticle } from '../../knowledge/sections.js';
import { yamlSource } from '../../knowledge/sources/yaml-source.js';
import { syncSource } from '../../knowledge/sync.js';
import { sampleKnowledgeBase } from '../helpers/system.js';
import { openTestStore, type TestStore } from '../helpers/stores.js';

describe("the worker's knowledge library (the store's chunks, indexed)", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
    await t.store.ready();
    await syncSource(t.store.db, yamlSource('faq', sampleKnowledgeBase, 'en'), { signal: new AbortController().signal });
  });
  afterEach(async () => t?.dispose());

  it('answers from the index it has while the store hangs: a store that stops answering never holds up a turn', async function () {
    this.timeout(10_000);
    const library = new KnowledgeLibrary(t.store);
    const before = (await library.retrieve('How do I reset my password?', 3)).map((c) => c.id);
    expect(before[0]).to.equal('faq:password-reset#0');
    t.store.ready = () => new Promise<void>(() => undefined); // the store stops answering
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the version check interval
    const hung = Symbol('hung');
    const after = await Promise.race([library.retrieve('How do I reset my password?', 3), new Promise((resolve) => setTimeout(() => resolve(hung), 1_000))]);
    expect(after).not.to.equal(hung);
    expect((after as Array<{ id: string }>).map((c) => c.id)).to.deep.equal(before);
  });

  it('cites an article by its own title, whatever its sections are called', async () => {
    const library = new KnowledgeLibrary(t.store);
    const retrieved = await library.retrieve('How do I reset my password?', 3);
    const [citation] = citationsOf(['faq:password-reset', 'faq:made-up'], retrieved);
    expect(citationsOf(['faq:password-reset', 'faq:made-up'], retrieved)).to.have.length(1);
    expect(citation).to.deep.equal({ articleId: 'faq:password-reset', title: retrieved.find((c) => c.articleId === 'faq:password-reset')!.articleTitle, url: undefined });
    expect(citation!.title).to.match(/password/i);

    // A title with a dash of its own stays whole (a section's chunk is titled "<article> — <section>").
    const article = { externalId: 'returns', title: 'Returns — the short version', language: 'en', body: '## Refunds\nRefunds take five days.' };
    const chunks = chunkArticle(article, 'guides');
    expect(chunks[0]!.title).to.equal('Returns — the short version — Refunds');
    const found = new KnowledgeIndex(chunks).search('refunds', 1);
    expect(citationsOf(['guides:returns'], found)).to.deep.equal([{ articleId: 'guides:returns', title: 'Returns — the short version', url: undefined }]);
  });
});
