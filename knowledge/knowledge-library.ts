/**
 * The worker's live view of the synced knowledge: the retrieval index over the store's
 * chunks, rebuilt when a sync changed them (checked at most every few seconds, so every
 * worker of a cluster follows the store), and the citations of what an answer used.
 */
import type { Store } from '../store/store.js';
import { embeddingHashOf, loadEmbeddings, type EmbeddingsClient } from './embeddings.js';
import { knowledgeVersion, loadChunks } from './knowledge-store.js';
import { KnowledgeIndex } from './knowledge-index.js';
import type { Citation, RetrievedChunk } from './types.js';

const versionCheckEveryMs = 2_000;

export class KnowledgeLibrary {
  private index = new KnowledgeIndex([]);
  private version?: string;
  private checkedAt = 0;
  private refreshing?: Promise<void>;

  /** `embeddings`: hybrid retrieval (EMBEDDINGS_MODEL); absent: BM25 alone. */
  constructor(
    private readonly store: Store,
    readonly embeddings?: EmbeddingsClient,
  ) {}

  /**
   * The index as the store has it now; a store that is down keeps the last index. Until the
   * first load a turn waits for it; after that the store is asked in the background, so a
   * store that hangs never holds up a reply.
   */
  async current(): Promise<KnowledgeIndex> {
    if (Date.now() - this.checkedAt >= versionCheckEveryMs) {
      const refreshing = this.startRefresh();
      if (this.version === undefined) await refreshing;
    }
    return this.index;
  }

  async retrieve(text: string, k: number): Promise<RetrievedChunk[]> {
    const index = await this.current();
    return index.search(text, k, index.embedded > 0 ? await this.queryVector(text) : undefined);
  }

  /** The customer's words embedded; an embeddings endpoint that fails leaves the turn to BM25 alone. */
  private async queryVector(text: string): Promise<Float32Array | undefined> {
    if (!this.embeddings || !text.trim()) return undefined;
    try {
      const [vector] = await this.embeddings.embed([text], AbortSignal.timeout(5_000));
      return vector;
    } catch {
      return undefined;
    }
  }

  /** Reloads now (after this worker ran a sync): a refresh already under way may have read the store before the sync wrote. */
  async reload(): Promise<void> {
    await this.refreshing;
    await this.startRefresh();
  }

  private startRefresh(): Promise<void> {
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<void> {
    try {
      await this.store.ready();
      const version = await knowledgeVersion(this.store.db);
      this.checkedAt = Date.now();
      if (version === this.version) return;
      const chunks = await loadChunks(this.store.db);
      const vectors = new Map<string, Float32Array>();
      if (this.embeddings) {
        const byHash = await loadEmbeddings(this.store.db, this.embeddings.model);
        for (const chunk of chunks) {
          const vector = byHash.get(embeddingHashOf(chunk));
          if (vector) vectors.set(chunk.id, vector);
        }
      }
      this.index = new KnowledgeIndex(chunks, vectors);
      this.version = version;
    } catch {
      this.checkedAt = Date.now();
    }
  }
}

/** The articles behind the cited chunks, once each, in order. */
export function citationsOf(articleIds: string[], retrieved: RetrievedChunk[]): Citation[] {
  const byArticle = new Map(retrieved.map((c) => [c.articleId, c]));
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const id of articleIds) {
    const chunk = byArticle.get(id);
    if (!chunk || seen.has(id)) continue;
    seen.add(id);
    citations.push({ articleId: id, title: chunk.articleTitle, url: chunk.url });
  }
  return citations;
}
