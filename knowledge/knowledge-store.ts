/**
 * The knowledge tables of the product's store: articles with their content hashes, their
 * chunks, and each source's last sync. The sync writes here; the retrieval index of every
 * worker reads from here, so all workers answer from the same synced knowledge.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../store/schema.js';
import type { KnowledgeChunk, SourceArticle } from './types.js';

type Db = Kysely<StoreSchema>;

export function contentHashOf(article: SourceArticle): string {
  return createHash('sha256')
    .update(JSON.stringify([article.title, article.url ?? '', article.language, article.topic ?? '', article.body]))
    .digest('hex');
}

/** The content hash of every stored article of a source. */
export async function storedHashes(db: Db, source: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('knowledge_articles').select(['article_id', 'content_hash']).where('source', '=', source).execute();
  return new Map(rows.map((r) => [r.article_id, r.content_hash]));
}

/** Replaces an article and its chunks in one transaction. */
export async function storeArticle(db: Db, source: string, article: SourceArticle, hash: string, chunks: KnowledgeChunk[], now: Date): Promise<void> {
  const articleId = `${source}:${article.externalId}`;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('knowledge_chunks').where('article_id', '=', articleId).execute();
    await trx.deleteFrom('knowledge_articles').where('article_id', '=', articleId).execute();
    await trx
      .insertInto('knowledge_articles')
      .values({
        article_id: articleId,
        source,
        external_id: article.externalId,
        title: article.title,
        url: article.url ?? null,
        language: article.language,
        updated_at: article.updatedAt ?? null,
        content_hash: hash,
        synced_at: now.toISOString(),
      })
      .execute();
    if (chunks.length > 0) {
      await trx
        .insertInto('knowledge_chunks')
        .values(chunks.map((c) => ({ chunk_id: c.id, article_id: c.articleId, source, ordinal: c.ordinal, title: c.title, url: c.url ?? null, language: c.language, topic: c.topic ?? null, text: c.text })))
        .execute();
    }
  });
}

export async function removeArticles(db: Db, articleIds: string[]): Promise<void> {
  for (let i = 0; i < articleIds.length; i += 500) {
    const batch = articleIds.slice(i, i + 500);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('knowledge_chunks').where('article_id', 'in', batch).execute();
      await trx.deleteFrom('knowledge_articles').where('article_id', 'in', batch).execute();
    });
  }
}

export async function recordSourceSync(db: Db, row: { source: string; type: string; at: Date; ok: boolean; error?: string }): Promise<void> {
  const counts = await db
    .selectFrom('knowledge_chunks')
    .select((eb) => [eb.fn.countAll<number | string>().as('chunks'), eb.fn.count<number | string>('article_id').distinct().as('articles')])
    .where('source', '=', row.source)
    .executeTakeFirst();
  const values = {
    source: row.source,
    type: row.type,
    last_attempt_at: row.at.toISOString(),
    article_count: Number(counts?.articles ?? 0),
    chunk_count: Number(counts?.chunks ?? 0),
    last_error: row.ok ? null : (row.error ?? 'failed').slice(0, 500),
  };
  await db
    .insertInto('knowledge_sources')
    .values({ ...values, last_synced_at: row.ok ? row.at.toISOString() : null })
    .onConflict((oc) => oc.column('source').doUpdateSet(row.ok ? { ...values, last_synced_at: row.at.toISOString() } : values))
    .execute();
}

export async function sourceStatuses(db: Db) {
  return db.selectFrom('knowledge_sources').selectAll().orderBy('source').execute();
}

/** Changes whenever any sync writes (and when embeddings were added): the retrieval index reloads when it does. */
export async function knowledgeVersion(db: Db): Promise<string> {
  const row = await db
    .selectFrom('knowledge_sources')
    .select((eb) => [eb.fn.max('last_attempt_at').as('at'), eb.fn.sum<number | string | null>('chunk_count').as('chunks')])
    .executeTakeFirst();
  const embedded = await db.selectFrom('knowledge_embeddings').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
  return `${row?.at ?? ''}:${row?.chunks ?? 0}:${embedded?.n ?? 0}`;
}

export async function loadChunks(db: Db, source?: string): Promise<KnowledgeChunk[]> {
  let query = db
    .selectFrom('knowledge_chunks')
    .innerJoin('knowledge_articles', 'knowledge_articles.article_id', 'knowledge_chunks.article_id')
    .selectAll('knowledge_chunks')
    .select('knowledge_articles.title as article_title');
  if (source) query = query.where('knowledge_chunks.source', '=', source);
  const rows = await query.orderBy('knowledge_chunks.article_id').orderBy('knowledge_chunks.ordinal').execute();
  return rows.map((r) => ({
    id: r.chunk_id,
    articleId: r.article_id,
    source: r.source,
    ordinal: r.ordinal,
    title: r.title,
    articleTitle: r.article_title,
    url: r.url ?? undefined,
    language: r.language,
    topic: r.topic ?? undefined,
    text: r.text,
  }));
}
