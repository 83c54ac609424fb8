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

  /** The `k` best chunks for `text`, best first; a section two sources publish alike (the help center and its website) counts once. */
  search(text: string, k: number): RetrievedChunk[] {
    if (!text.trim() || this.size === 0) return [];
    const found: RetrievedChunk[] = [];
    const texts = new Set<string>();
    for (const hit of this.index.search(text)) {
      const chunk = this.chunks.get(String(hit.id))!;
      if (texts.has(chunk.text)) continue;
      texts.add(chunk.text);
      found.push({ ...chunk, score: hit.score });
      if (found.length === k) break;
    }
    return found;
  }
}
