/**
 * Hybrid retrieval's other half: embeddings from an OpenAI-compatible `/embeddings` endpoint
 * (EMBEDDINGS_MODEL). Chunks are embedded at sync, cached in the store by the hash of their
 * content and the model, so a chunk is embedded once, whichever source or sync brings it;
 * the customer's words are embedded per AI turn. The key is sent as `Authorization: Bearer`
 * and `api-key` (Azure), and never logged.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { retryAfterMsOf } from '../lib/retry-after.js';
import type { StoreSchema } from '../store/schema.js';
import type { KnowledgeChunk } from './types.js';

export interface EmbeddingsConfig {
  /** e.g. https://api.openai.com/v1 (…/embeddings is added). */
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs?: number;
}

/** The embeddings endpoint refused or failed: the sync of the source fails (retried), retrieval falls back to BM25. */
export class EmbeddingsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'EmbeddingsError';
  }
}

/** Texts per request: within every provider's batch limit. */
const batchSize = 64;

export class EmbeddingsClient {
  private readonly url: string;

  constructor(readonly config: EmbeddingsConfig) {
    const url = new URL(config.baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/embeddings`;
    this.url = url.toString();
  }

  get model(): string {
    return this.config.model;
  }

  /** One vector per text, unit length (so a dot product is the cosine). */
  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const batch = texts.slice(i, i + batchSize);
      const timeout = AbortSignal.timeout(this.config.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.config.apiKey}`, 'api-key': this.config.apiKey },
          body: JSON.stringify({ model: this.config.model, input: batch }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        signal?.throwIfAborted();
        throw new EmbeddingsError(`the embeddings endpoint at ${new URL(this.url).host} is unreachable: ${(error as Error).message}`, true);
      }
      if (!res.ok) throw new EmbeddingsError(`the embeddings endpoint at ${new URL(this.url).host} answered ${res.status}`, res.status === 429 || res.status >= 500, retryAfterMsOf(Object.fromEntries(res.headers)));
      const body = (await res.json()) as { data?: Array<{ index?: number; embedding?: unknown }> };
      const data = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== batch.length || data.some((d) => !Array.isArray(d.embedding))) throw new EmbeddingsError(`the embeddings endpoint at ${new URL(this.url).host} answered ${data.length} vectors for ${batch.length} texts`, false);
      for (const d of data) vectors.push(unit(d.embedding as number[]));
    }
    return vectors;
  }
}

export function embeddingHashOf(chunk: Pick<KnowledgeChunk, 'title' | 'text'>): string {
  return createHash('sha256').update(`${chunk.title}\n${chunk.text}`).digest('hex');
}

/** Embeds the chunks whose content has no embedding for this model yet; returns how many were embedded. */
export async function embedMissingChunks(db: Kysely<StoreSchema>, client: EmbeddingsClient, chunks: KnowledgeChunk[], signal?: AbortSignal): Promise<number> {
  const byHash = new Map(chunks.map((c) => [embeddingHashOf(c), c]));
  const known = new Set<string>();
  const hashes = [...byHash.keys()];
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await db.selectFrom('knowledge_embeddings').select('content_hash').where('model', '=', client.model).where('content_hash', 'in', hashes.slice(i, i + 500)).execute();
    for (const row of rows) known.add(row.content_hash);
  }
  const missing = hashes.filter((h) => !known.has(h));
  for (let i = 0; i < missing.length; i += batchSize) {
    const batch = missing.slice(i, i + batchSize);
    const vectors = await client.embed(batch.map((h) => `${byHash.get(h)!.title}\n${byHash.get(h)!.text}`), signal);
    await db
      .insertInto('knowledge_embeddings')
      .values(batch.map((h, j) => ({ content_hash: h, model: client.model, vector: JSON.stringify(Array.from(vectors[j]!)) })))
      .onConflict((oc) => oc.columns(['content_hash', 'model']).doNothing())
      .execute();
  }
  return missing.length;
}

/** The cached embeddings of a model, by content hash. */
export async function loadEmbeddings(db: Kysely<StoreSchema>, model: string): Promise<Map<string, Float32Array>> {
  const rows = await db.selectFrom('knowledge_embeddings').select(['content_hash', 'vector']).where('model', '=', model).execute();
  return new Map(rows.map((r) => [r.content_hash, Float32Array.from(JSON.parse(r.vector) as number[])]));
}

function unit(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += a[i]! * b[i]!;
  return sum;
}
