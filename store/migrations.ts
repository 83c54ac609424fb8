/**
 * The store's migrations, run by Kysely's migrator at start-up (worker, API, report CLI).
 * Written with Kysely's schema builder only, so each one runs unchanged on SQLite and
 * PostgreSQL. Never edit a migration that has shipped: add the next one.
 */
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

const migrations: Record<string, Migration> = {
  '2026-12-01-001-sessions': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('session_number', 'integer', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('first_ai_reply_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('resolved_by', 'text')
        .addColumn('resolution_kind', 'text')
        .addColumn('ai_touched', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('escalated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('escalation_rule', 'text')
        .addColumn('escalation_reason', 'text')
        .addColumn('escalated_at', 'text')
        .addColumn('topic', 'text')
        .addColumn('sentiment', 'text')
        .addColumn('ai_replies', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ai_decisions', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('customer_messages', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reopened_at', 'text')
        .addColumn('freshchat_url', 'text')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sessions_pkey', ['conversation_id', 'session_number'])
        .execute();
      // Reports select by start time; the dashboard lists the latest sessions.
      await db.schema.createIndex('sessions_started_at').on('sessions').column('started_at').execute();
      await db.schema
        .createTable('session_runs')
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('session_offset', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('session_runs_pkey', ['conversation_id', 'run_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('session_runs').execute();
      await db.schema.dropTable('sessions').execute();
    },
  },
  '2026-12-01-002-knowledge': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('knowledge_articles')
        .addColumn('article_id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text')
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('synced_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('knowledge_articles_source').on('knowledge_articles').column('source').execute();
      await db.schema
        .createTable('knowledge_chunks')
        .addColumn('chunk_id', 'text', (c) => c.primaryKey())
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('topic', 'text')
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('knowledge_chunks_article').on('knowledge_chunks').column('article_id').execute();
      await db.schema
        .createTable('knowledge_sources')
        .addColumn('source', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('last_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_synced_at', 'text')
        .addColumn('article_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('chunk_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('knowledge_sources').execute();
      await db.schema.dropTable('knowledge_chunks').execute();
      await db.schema.dropTable('knowledge_articles').execute();
    },
  },
  '2026-12-01-003-knowledge-embeddings': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('knowledge_embeddings')
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('vector', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('knowledge_embeddings_pkey', ['content_hash', 'model'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('knowledge_embeddings').execute();
    },
  },
};

export const storeMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
