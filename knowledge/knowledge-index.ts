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

/**
 * In a large index a word most chunks contain (order, delivery) makes BM25 score tens of
 * thousands of chunks for almost nothing: its idf is near zero. From this many chunks on,
 * such words leave the query (the rarest two always stay), and a word the index knows is not
 * expanded (fuzzy, prefix); smaller indexes rank with every word, expanded.
 */
const pruneCommonWordsFrom = 10_000;
const commonWordShare = 0.02;

export class KnowledgeIndex {
  private readonly index: MiniSearch<KnowledgeChunk>;
  private readonly chunks: Map<string, KnowledgeChunk>;
  /** How many chunks each term occurs in (large indexes only). */
  private readonly documentFrequency = new Map<string, number>();

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
        // short words would match far too much either way. In a large index a word it
        // knows is taken as written: expanding it through a vast vocabulary is what costs.
        fuzzy: (term) => (term.length >= 5 && !this.documentFrequency.has(term) ? 0.2 : false),
        prefix: (term) => term.length >= 4 && !this.documentFrequency.has(term),
        combineWith: 'OR',
      },
    });
    this.index.addAll(chunks);
    if (chunks.length >= pruneCommonWordsFrom) {
      for (const chunk of chunks) {
        for (const term of new Set(termsOf(`${chunk.title} ${chunk.text}`))) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      }
    }
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
    const lexical = this.index.search(this.withoutCommonWords(text));
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

  private withoutCommonWords(text: string): string {
    if (this.documentFrequency.size === 0) return text;
    const words = wordsOf(text).flatMap((word) => {
      const term = searchTerm(word);
      return term === null ? [] : [{ word, df: this.documentFrequency.get(term) ?? 0 }];
    });
    const limit = commonWordShare * this.size;
    const rare = words.filter((w) => w.df <= limit);
    const kept = rare.length >= 2 ? rare : [...words].sort((a, b) => a.df - b.df).slice(0, 2);
    return kept.length > 0 ? kept.map((w) => w.word).join(' ') : text;
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

function termsOf(text: string): string[] {
  return wordsOf(text).flatMap((word) => searchTerm(word) ?? []);
}
