/**
 * The product's SQL store: one row per conversation session (SPEC §9 reports), the same
 * tables on SQLite and PostgreSQL. Times are ISO-8601 UTC strings as `Date.toISOString()`
 * writes them (fixed width, so they compare and sort as text identically in both dialects);
 * flags are 0/1 integers (SQLite has no boolean). No customer text and no email is stored:
 * ids, times, labels and counts of sessions, and the help center's own articles.
 */
import type { ColumnType, Insertable, Selectable } from 'kysely';

/** How a session ended, one label per report bucket (`open` until it is resolved). */
export const sessionOutcomes = ['open', 'ai_confirmed', 'ai_assumed', 'rep', 'ops'] as const;
export type SessionOutcome = (typeof sessionOutcomes)[number];

export interface SessionsTable {
  conversation_id: string;
  /** 1, 2, … per conversation; a reopened conversation starts the next session. */
  session_number: number;
  workflow_id: string;
  /** The HMAC contact id (ct_…), never the customer's email. */
  contact_id: string | null;
  started_at: string;
  first_ai_reply_at: string | null;
  ended_at: string | null;
  /** The session's state now: waiting, ai_active, escalated, human or resolved. */
  state: string;
  outcome: SessionOutcome;
  resolved_by: 'ai' | 'rep' | 'ops' | null;
  resolution_kind: 'confirmed' | 'assumed' | null;
  /** 1 when the AI posted or decided at least once in the session: the AI's denominator. */
  ai_touched: number;
  escalated: number;
  escalation_rule: string | null;
  /** The product's own wording of why (a rule's reason); a model's free-text reason is not kept. */
  escalation_reason: string | null;
  escalated_at: string | null;
  topic: string | null;
  sentiment: string | null;
  ai_replies: number;
  ai_decisions: number;
  customer_messages: number;
  /** Set on a session when the conversation's next session starts. */
  reopened_at: string | null;
  freshchat_url: string | null;
  /** The writer's revision: an older write (a late retry) never replaces a newer one. */
  revision: number;
  updated_at: string;
}

/**
 * One row per workflow chain (first run id) of a conversation. A conversation whose workflow
 * closed after a long quiet and started again numbers its sessions from 1 in the new chain;
 * the store adds the sessions already recorded, so session numbers stay unique.
 */
export interface SessionRunsTable {
  conversation_id: string;
  run_id: string;
  session_offset: number;
  created_at: ColumnType<string, string, never>;
}

/** One row per knowledge article: what the sync compares against to skip what did not change. */
export interface KnowledgeArticlesTable {
  /** `<source name>:<external id>`. */
  article_id: string;
  source: string;
  external_id: string;
  title: string;
  url: string | null;
  language: string;
  updated_at: string | null;
  /** sha256 of everything the chunks are made of: equal means unchanged. */
  content_hash: string;
  synced_at: string;
}

/** The chunks retrieval ranks; rebuilt for an article whenever its content hash changes. */
export interface KnowledgeChunksTable {
  chunk_id: string;
  article_id: string;
  source: string;
  ordinal: number;
  title: string;
  url: string | null;
  language: string;
  topic: string | null;
  text: string;
}

/** Each configured source's last sync, for doctor and for the retrieval index to notice changes. */
export interface KnowledgeSourcesTable {
  source: string;
  type: string;
  last_attempt_at: string;
  /** The last sync that completed; null until one has. */
  last_synced_at: string | null;
  article_count: number;
  chunk_count: number;
  last_error: string | null;
}

/** Embeddings of chunks, cached by their content (title and text) and model: a sync embeds only what is new. */
export interface KnowledgeEmbeddingsTable {
  content_hash: string;
  model: string;
  /** JSON array of numbers. */
  vector: string;
}

/** Later issues add their tables here. */
export interface StoreSchema {
  knowledge_embeddings: KnowledgeEmbeddingsTable;
  sessions: SessionsTable;
  session_runs: SessionRunsTable;
  knowledge_articles: KnowledgeArticlesTable;
  knowledge_chunks: KnowledgeChunksTable;
  knowledge_sources: KnowledgeSourcesTable;
}

export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;
