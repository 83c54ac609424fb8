/** The activity half of `npm run doctor`'s worker probe (workflows/worker-probe.ts): it only answers. */
export function createWorkerProbeActivities() {
  return {
    async answerWorkerProbe(): Promise<string> {
      return 'ok';
    },
  };
}

export type WorkerProbeActivities = ReturnType<typeof createWorkerProbeActivities>;
