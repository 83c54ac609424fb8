/**
 * Knowledge sync as durable work: each configured source is synced by its own heartbeating
 * activity, one after the other; one source failing does not stop the others. Run by a
 * Temporal Schedule (knowledge.syncIntervalMinutes), at worker start-up when nothing has
 * been synced yet, and by `npm run knowledge-sync`. Its history holds names and counts only.
 */
import { ActivityFailure, ApplicationFailure, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { KnowledgeActivities, SourceSyncResult } from '../activities/knowledge-activities.js';

export const knowledgeSyncWorkflowType = 'knowledgeSyncWorkflow';

/** One per task queue: the schedule's, the start-up run's and the CLI's runs share it, so two never overlap. */
export function knowledgeSyncWorkflowId(taskQueue: string): string {
  return `knowledge-sync-${taskQueue}`;
}

const knowledge = proxyActivities<KnowledgeActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export interface KnowledgeSyncProgress {
  sources: string[];
  /** Sources finished (synced or failed). */
  finished: number;
  current?: string;
}

/** `npm run knowledge-sync` draws its progress bar from this (and the running activity's heartbeat). */
export const knowledgeSyncProgressQuery = defineQuery<KnowledgeSyncProgress>('progress');

export interface KnowledgeSyncSummary {
  synced: SourceSyncResult[];
  failed: Array<{ source: string; error: string }>;
}

export async function knowledgeSyncWorkflow(): Promise<KnowledgeSyncSummary> {
  const summary: KnowledgeSyncSummary = { synced: [], failed: [] };
  const progress: KnowledgeSyncProgress = { sources: [], finished: 0 };
  setHandler(knowledgeSyncProgressQuery, () => progress);
  progress.sources = await knowledge.listKnowledgeSources();
  for (const source of progress.sources) {
    progress.current = source;
    try {
      summary.synced.push(await knowledge.syncKnowledgeSource(source));
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      summary.failed.push({ source, error: error.cause instanceof ApplicationFailure ? error.cause.message : error.message });
    }
    progress.finished++;
  }
  progress.current = undefined;
  return summary;
}
