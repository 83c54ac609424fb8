/**
 * `npm run knowledge-sync`: runs the knowledge-sync workflow now, on the worker's task queue
 * (a worker must be running), and shows its progress: sources finished, and the articles the
 * running source has read so far (its activity's heartbeat). A sync already running (the
 * schedule's) is followed instead of started twice. Exit code 0 when every source synced.
 */
import cliProgress from 'cli-progress';
import { WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { createDataConverter } from '../codec/data-converter.js';
import { encryptionKeysFrom, loadDotEnv } from '../config/startup.js';
import { connectClient } from '../lib/temporal.js';
import type { SyncProgress } from '../knowledge/sync.js';
import { conversationTaskQueueDefault } from '../workflows/messages.js';
import { knowledgeSyncProgressQuery, knowledgeSyncWorkflow, knowledgeSyncWorkflowId, type KnowledgeSyncSummary } from '../workflows/knowledge-sync-workflow.js';

async function main(): Promise<number> {
  loadDotEnv();
  const env = process.env;
  const taskQueue = env.TEMPORAL_TASK_QUEUE?.trim() || conversationTaskQueueDefault;
  const client = await connectClient(createDataConverter(encryptionKeysFrom(env)));
  try {
    const handle = await client.workflow.start(knowledgeSyncWorkflow, {
      taskQueue,
      workflowId: knowledgeSyncWorkflowId(taskQueue),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    const interactive = process.stdout.isTTY === true;
    const bar = new cliProgress.SingleBar(
      { format: 'knowledge sync [{bar}] {value}/{total} sources | {current} {articles}', hideCursor: true, noTTYOutput: !interactive, notTTYSchedule: 2000 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { current: 'starting', articles: '' });
    const result = handle.result();
    let done = false;
    void result.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      const progress = await handle.query(knowledgeSyncProgressQuery).catch(() => undefined);
      if (progress && progress.sources.length > 0) {
        const seen = await runningSourceProgress(handle, client.options.loadedDataConverter);
        bar.setTotal(progress.sources.length);
        bar.update(progress.finished, { current: progress.current ?? '', articles: seen ? `(${seen.articlesSeen} articles read, ${seen.changed} changed)` : '' });
      }
      await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
    }
    const summary: KnowledgeSyncSummary = await result;
    const finished = summary.synced.length + summary.failed.length;
    bar.setTotal(Math.max(finished, 1));
    bar.update(finished, { current: 'done', articles: '' });
    bar.stop();
    for (const s of summary.synced) {
      process.stdout.write(`✔ ${s.source}: ${s.articles} articles (${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.removed} removed)\n`);
    }
    for (const f of summary.failed) process.stdout.write(`✖ ${f.source}: ${f.error}\n`);
    return summary.failed.length === 0 ? 0 : 1;
  } finally {
    await client.connection.close();
  }
}

/** The running source activity's last heartbeat: how far it has read. */
async function runningSourceProgress(handle: WorkflowHandle, converter: LoadedDataConverter): Promise<SyncProgress | undefined> {
  const description = await handle.describe().catch(() => undefined);
  const payloads = description?.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  return decodeFromPayloadsAtIndex<SyncProgress>(converter, 0, payloads).catch(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`knowledge sync failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
