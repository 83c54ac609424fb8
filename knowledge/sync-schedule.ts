/**
 * Keeping knowledge in sync without anyone running anything: a Temporal Schedule starts the
 * knowledge-sync workflow every knowledge.syncIntervalMinutes (created, or its interval
 * updated, when a worker starts), and a worker that finds nothing synced yet starts one run
 * at once. The Web UI lists the schedule and every run, each source's activity with its progress.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowIdConflictPolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';
import { knowledgeSyncWorkflowId, knowledgeSyncWorkflowType } from '../workflows/knowledge-sync-workflow.js';
import { sourceStatuses } from './knowledge-store.js';

export function knowledgeSyncScheduleId(taskQueue: string): string {
  return `knowledge-sync-${taskQueue}`;
}

export async function ensureKnowledgeSyncSchedule(client: Client, taskQueue: string, intervalMinutes: number, logger: Logger): Promise<void> {
  const scheduleId = knowledgeSyncScheduleId(taskQueue);
  const spec = { intervals: [{ every: `${intervalMinutes}m` as const }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType: knowledgeSyncWorkflowType, taskQueue, workflowId: knowledgeSyncWorkflowId(taskQueue), args: [] },
      // A sync still running when the next is due is not doubled.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    logger.info({ scheduleId, everyMinutes: intervalMinutes }, 'knowledge sync scheduled');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
}

/** Starts a sync now when no source has ever synced into this store (a new installation); its handle, or undefined. */
export async function startKnowledgeSyncIfNeverSynced(client: Client, store: Store, taskQueue: string, logger: Logger): Promise<WorkflowHandle | undefined> {
  await store.ready();
  if ((await sourceStatuses(store.db)).some((s) => s.last_synced_at)) return undefined;
  const handle = await client.workflow.start(knowledgeSyncWorkflowType, {
    taskQueue,
    workflowId: knowledgeSyncWorkflowId(taskQueue),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [],
  });
  logger.info({ taskQueue }, 'knowledge never synced: sync started');
  return handle;
}
