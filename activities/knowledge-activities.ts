/**
 * The knowledge sync's activities: thin adapters around knowledge/sync.ts. Each source is
 * one activity that heartbeats its progress (the Web UI shows it under Pending Activities);
 * a crashed attempt is retried, and the content hashes make the retry skip what the crashed
 * one already stored. No article text crosses into the workflow: only names and counts.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../lib/logger.js';
import { KnowledgeSourceError, createKnowledgeSources, type KnowledgeSourceEnv } from '../knowledge/sources/index.js';
import { syncSource, type SourceSyncResult, type SyncProgress } from '../knowledge/sync.js';
import type { KnowledgeLibrary } from '../knowledge/knowledge-library.js';
import { embedMissingChunks, EmbeddingsError } from '../knowledge/embeddings.js';
import { loadChunks } from '../knowledge/knowledge-store.js';
import { knowledgeSourcesOf } from '../settings/schema.js';
import type { SettingsSource } from '../settings/settings-source.js';
import type { Store } from '../store/store.js';

export interface KnowledgeActivityDeps {
  store: Store;
  settings: SettingsSource;
  /** FRESHDESK_API_URL and FRESHDESK_API_KEY: dependencies of the activity, never workflow data. */
  env: KnowledgeSourceEnv;
  /** This worker's retrieval index, reloaded after a sync it ran. */
  library: KnowledgeLibrary;
  logger: Logger;
}

export type { SourceSyncResult, SyncProgress };

export function createKnowledgeActivities(deps: KnowledgeActivityDeps) {
  const sourcesNow = () => {
    const settings = deps.settings.current();
    return createKnowledgeSources(knowledgeSourcesOf(settings), deps.env, settings.messages.defaultLanguage);
  };
  return {
    /** The names of the sources the settings file names now. */
    async listKnowledgeSources(): Promise<string[]> {
      return sourcesNow().map((s) => s.name);
    },

    async syncKnowledgeSource(name: string): Promise<SourceSyncResult> {
      const context = Context.current();
      const source = sourcesNow().find((s) => s.name === name);
      if (!source) throw ApplicationFailure.nonRetryable(`no knowledge source '${name}' in the settings file any more`, 'KNOWLEDGE_SOURCE_GONE');
      await deps.store.ready();
      let lastBeat = 0;
      try {
        const result = await syncSource(deps.store.db, source, {
          signal: context.cancellationSignal,
          onProgress: (progress) => {
            if (Date.now() - lastBeat < 1_000) return;
            lastBeat = Date.now();
            context.heartbeat(progress);
          },
        });
        const embeddings = deps.library.embeddings;
        const embedded = embeddings ? await embedMissingChunks(deps.store.db, embeddings, await loadChunks(deps.store.db, source.name), context.cancellationSignal) : 0;
        deps.logger.info({ ...result, embedded }, 'knowledge source synced');
        await deps.library.reload();
        return result;
      } catch (error) {
        if (error instanceof KnowledgeSourceError || error instanceof EmbeddingsError) {
          deps.logger.warn({ source: name, error: error.message }, 'knowledge source sync failed');
          throw ApplicationFailure.create({ message: error.message, type: 'KNOWLEDGE_SOURCE', nonRetryable: !error.retryable, nextRetryDelay: error.retryAfterMs });
        }
        throw error;
      }
    },
  };
}

export type KnowledgeActivities = ReturnType<typeof createKnowledgeActivities>;
