/**
 * One source's sync: read every article the source has now, store what changed (by content
 * hash), remove what is gone, and record the sync. Idempotent: running it again (a retried
 * activity, a resumed crash) stores nothing for the articles already stored.
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../store/schema.js';
import { chunkArticle } from './sections.js';
import { contentHashOf, recordSourceSync, removeArticles, storeArticle, storedHashes } from './knowledge-store.js';
import type { KnowledgeSource } from './sources/index.js';

export interface SourceSyncResult {
  source: string;
  articles: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
}

export interface SyncProgress {
  source: string;
  articlesSeen: number;
  changed: number;
}

export async function syncSource(
  db: Kysely<StoreSchema>,
  source: KnowledgeSource,
  options: { signal: AbortSignal; onProgress?: (progress: SyncProgress) => void; now?: () => Date },
): Promise<SourceSyncResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const result: SourceSyncResult = { source: source.name, articles: 0, added: 0, updated: 0, unchanged: 0, removed: 0 };
  try {
    const stored = await storedHashes(db, source.name);
    const seen = new Set<string>();
    for await (const article of source.articles(options.signal)) {
      const articleId = `${source.name}:${article.externalId}`;
      if (seen.has(articleId)) continue; // a page listed twice is one article
      seen.add(articleId);
      result.articles++;
      const hash = contentHashOf(article);
      const before = stored.get(articleId);
      if (before === hash) {
        result.unchanged++;
      } else {
        await storeArticle(db, source.name, article, hash, chunkArticle(article, source.name), now());
        if (before === undefined) result.added++;
        else result.updated++;
      }
      options.onProgress?.({ source: source.name, articlesSeen: result.articles, changed: result.added + result.updated });
    }
    const gone = [...stored.keys()].filter((id) => !seen.has(id));
    await removeArticles(db, gone);
    result.removed = gone.length;
    await recordSourceSync(db, { source: source.name, type: source.type, at: startedAt, ok: true });
    return result;
  } catch (error) {
    if (!options.signal.aborted) await recordSourceSync(db, { source: source.name, type: source.type, at: startedAt, ok: false, error: (error as Error).message }).catch(() => undefined);
    throw error;
  }
}
