/**
 * Retrieval: BM25 (minisearch's BM25+) over the chunks, titles weighted three times over
 * text, with the same words and terms as the customer's (./search-terms.ts). Built in memory
 * from the store's chunks; rebuilt when a sync changed them.
 */
import MiniSearch from 'minisearch';
import { searchTerm, wordsOf } from './search-terms.js';
import type { KnowledgeChunk, RetrievedChunk } from './types.js';

export class KnowledgeIndex {
  private readonly index: MiniSearch<KnowledgeChunk>;
  private readonly chunks: Map<string, KnowledgeChunk>;

  constructor(chunks: KnowledgeChunk[]) {
    this.chunks = new Map(chunks.map((c) => [c.id, c]));
    this.index = new MiniSearch<KnowledgeChunk>({
      fields: ['title', 'text'],
      storeFields: [],
      tokenize: wordsOf,
      processTerm: searchTerm,
      searchOptions: {
        boost: { title: 3 },
        // Typos in longer words ("pasword"), and word beginnings ("deliver" → "delivery");
        // short words would match far too much either way.
        fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
        prefix: (term) => term.length >= 4,
        combineWith: 'OR',
      },
    });
    this.index.addAll(chunks);
  }

  get size(): number {
    return this.chunks.size;
  }

  /** The `k` best chunks for `text`, best first. */
  search(text: string, k: number): RetrievedChunk[] {
    if (!text.trim() || this.size === 0) return [];
    return this.index
      .search(text)
      .slice(0, k)
      .map((hit) => ({ ...this.chunks.get(String(hit.id))!, score: hit.score }));
  }
}
