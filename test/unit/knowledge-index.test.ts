import { expect } from 'chai';
import { KnowledgeIndex } from '../../knowledge/knowledge-index.js';
import { chunkArticle } from '../../knowledge/sections.js';
import type { KnowledgeChunk } from '../../knowledge/types.js';

const chunk = (id: string, title: string, text: string, source = 'test'): KnowledgeChunk => ({ id: `${source}:${id}#0`, articleId: `${source}:${id}`, source, ordinal: 0, title, articleTitle: title, language: 'en', text });
const unit = (values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / norm));
};

describe('knowledge index (BM25, and hybrid with embeddings)', () => {
  it('ranks by BM25 with titles weighted over text, and finds word beginnings and typos', () => {
    const index = new KnowledgeIndex([
      chunk('a', 'Returns', 'You can send most items back within 30 days.'),
      chunk('b', 'Password reset', 'Use the link on the login page to reset your password.'),
      chunk('c', 'Delivery times', 'Standard delivery takes 2 to 4 working days.'),
    ]);
    expect(index.search('how do I reset my pasword', 3)[0]!.articleId).to.equal('test:b');
    expect(index.search('when will it be deliver', 3)[0]!.articleId).to.equal('test:c');
    expect(index.search('', 3)).to.deep.equal([]);
  });

  it('counts a section two sources publish alike once', () => {
    const text = 'Standard delivery takes 2 to 4 working days.';
    const index = new KnowledgeIndex([chunk('1', 'Delivery', text, 'help-center'), chunk('https://x/1', 'Delivery', text, 'website'), chunk('2', 'Express delivery', 'Express arrives the next working day.')]);
    const found = index.search('delivery days', 5);
    expect(found.filter((c) => c.text === text)).to.have.length(1);
    expect(found).to.have.length(2);
  });

  it('in a large index drops words most chunks contain and still finds the chunk the rare words name (typos too)', () => {
    const filler = Array.from({ length: 12_000 }, (_, i) => chunk(`f${i}`, `Order note ${i}`, `Your order ${i} ships with standard delivery; order updates come by email.`));
    const index = new KnowledgeIndex([...filler, chunk('tent', 'Tent repair kit', 'Every order of a tent includes a repair kit with patches and spare pole sections.')]);
    expect(index.search('order tent repair', 3)[0]!.articleId).to.equal('test:tent');
    expect(index.search('order tennt repiar kit', 3)[0]!.articleId).to.equal('test:tent');
  });

  it('fuses the BM25 and the cosine rankings: the best of either reaches the top k', () => {
    const chunks = [
      chunk('locker', 'Packstation delivery', 'Choose a Packstation at checkout.'),
      ...Array.from({ length: 8 }, (_, i) => chunk(`box${i}`, `Gift box ${i}`, 'Our gift boxes are yellow and made of recycled card.')),
    ];
    const vectors = new Map(chunks.map((c) => [c.id, unit(c.articleId === 'test:locker' ? [1, 0] : [0, 1])]));
    const question = 'yellow pickup boxes';
    const lexical = new KnowledgeIndex(chunks).search(question, 3).map((c) => c.articleId);
    const hybrid = new KnowledgeIndex(chunks, vectors).search(question, 3, unit([1, 0.05])).map((c) => c.articleId);
    expect(lexical).not.to.include('test:locker');
    expect(hybrid).to.include('test:locker');
    const fused = new KnowledgeIndex(chunks, vectors).search(question, 3, unit([1, 0.05]));
    expect(fused.find((c) => c.articleId === 'test:locker')!.score).to.equal(0); // only the embeddings found it: no BM25 score
  });

  it('chunks an article at its headings, titled by article and section', () => {
    const chunks = chunkArticle({ externalId: 'care', title: 'Tent care', language: 'en', body: 'Intro.\n\n## Drying\nDry it fully.\n\n## Tent care\nSame as the title.' }, 'guides');
    expect(chunks.map((c) => [c.id, c.title, c.text])).to.deep.equal([
      ['guides:care#0', 'Tent care', 'Intro.'],
      ['guides:care#1', 'Tent care — Drying', 'Dry it fully.'],
      ['guides:care#2', 'Tent care', 'Same as the title.'],
    ]);
  });
});
