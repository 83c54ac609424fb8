/**
 * The session store's activity: a thin adapter around writeSessionRecord. Safe to retry: the
 * write is an upsert keyed on (conversation, session) and guarded by the write's revision.
 */
import type { Logger } from '../lib/logger.js';
import { writeSessionRecord } from '../store/session-records.js';
import type { Store } from '../store/store.js';
import type { SessionRecordWrite } from '../workflows/messages.js';

export interface SessionStoreActivityDeps {
  store: Store;
  logger: Logger;
}

export function createSessionStoreActivities(deps: SessionStoreActivityDeps) {
  return {
    /** Records a session's reportable state; a store that is down fails the attempt, and Temporal retries it. */
    async recordSession(write: SessionRecordWrite): Promise<void> {
      await deps.store.ready();
      const sessionNumber = await writeSessionRecord(deps.store.db, write);
      deps.logger.debug({ conversationId: write.record.conversationId, session: sessionNumber, revision: write.revision }, 'session recorded');
    },
  };
}

export type SessionStoreActivities = ReturnType<typeof createSessionStoreActivities>;
