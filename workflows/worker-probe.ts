/**
 * `npm run doctor`'s proof that a worker processes the task queue now: a workflow task and an
 * activity task, done within seconds. Pollers the server saw a minute ago prove nothing about
 * a worker that died since.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { WorkerProbeActivities } from '../activities/worker-probe-activities.js';

export const workerProbeWorkflowType = 'workerProbeWorkflow';

const { answerWorkerProbe } = proxyActivities<WorkerProbeActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

export async function workerProbeWorkflow(): Promise<string> {
  return answerWorkerProbe();
}
