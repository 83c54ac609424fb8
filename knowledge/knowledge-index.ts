/**
 * Retrieval: BM25 (minisearch's BM25+) over the chunks, titles weighted three times over
 * text, with the same words and terms as the customer's (./search-terms.ts); with embeddings
 * (EMBEDDINGS_MODEL), hybrid: the BM25 ranking and the cosine ranking fused by reciprocal
 * rank. Built in memory from the store's chunks; rebuilt when a sync changed them.
 */
import MiniSearch from 'minisearch';
import { dot } from './embeddings.js';
import { searchTerm, wordsOf } from './search-terms.js';
import type { KnowledgeChunk, RetrievedChunk } from './types.js';

/**
 * Each ranking contributes 1 / (rrfK + rank), read to fusionDepth. The usual constant (60)
 * rewards consensus so much that any chunk in both top-50s beats the best chunk of one
 * ranking; a turn needs the top of either (a paraphrase BM25 misses, a product code the
 * embeddings blur), so the lists are short and the constant small: a chunk in both lists
 * beats one list's best only when it ranks in the top 6 of both.
 */
const rrfK = 5;
const fusionDepth = 20;

export class KnowledgeIndex {
  private readonly index: MiniSearch<KnowledgeChunk>;
  private readonly chunks: Map<string, KnowledgeChunk>;

  /** `vectors`: unit-length embeddings by chunk id (hybrid retrieval); chunks without one rank by BM25 only. */
  constructor(
    chunks: KnowledgeChunk[],
    private readonly vectors: Map<string, Float32Array> = new Map(),
  ) {
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

  get embedded(): number {
    return this.vectors.size;
  }

  /**
   * The `k` best chunks for `text`, best first; a section two sources publish alike (the help
   * center and its website) counts once. With `queryVector` the order is the fused one; `score`
   * stays the BM25 score (0 for a chunk only the embeddings found), which is what the `faq`
   * provider's threshold is tuned on.
   */
  search(text: string, k: number, queryVector?: Float32Array): RetrievedChunk[] {
    if (!text.trim() || this.size === 0) return [];
    const lexical = this.index.search(text);
    const bm25 = new Map(lexical.map((hit) => [String(hit.id), hit.score]));
    const order = queryVector && this.vectors.size > 0 ? this.fused(lexical.slice(0, fusionDepth).map((h) => String(h.id)), queryVector) : lexical.map((h) => String(h.id));
    const found: RetrievedChunk[] = [];
    const texts = new Set<string>();
    for (const id of order) {
      const chunk = this.chunks.get(id)!;
      if (texts.has(chunk.text)) continue;
      texts.add(chunk.text);
      found.push({ ...chunk, score: bm25.get(id) ?? 0 });
      if (found.length === k) break;
    }
    return found;
  }

  /** Reciprocal-rank fusion of the BM25 ranking and the cosine ranking (a brute-force scan: exact, and fast enough at help-center sizes). */
  private fused(lexical: string[], queryVector: Float32Array): string[] {
    const semantic = [...this.vectors.entries()]
      .map(([id, vector]) => ({ id, similarity: dot(vector, queryVector) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, fusionDepth)
      .map((s) => s.id);
    const fusedScore = new Map<string, number>();
    for (const ranking of [lexical, semantic]) ranking.forEach((id, rank) => fusedScore.set(id, (fusedScore.get(id) ?? 0) + 1 / (rrfK + rank + 1)));
    return [...fusedScore.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  }
}
