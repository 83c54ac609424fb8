/**
 * The "store off" baseline of `npm run bench:store`: a SessionRecorder that records nothing,
 * swapped in for workflows/session-recorder.ts when the benchmark bundles its baseline
 * workflow. Same interface; the workflow is otherwise the product's, byte for byte.
 */
import type { CarriedRecords, SessionRecord, SessionRecordWrite } from '../workflows/messages.js';

export class SessionRecorder {
  constructor(_write: (write: SessionRecordWrite) => Promise<void>, _ids: { chainId: string; workflowId: string }, _carried?: CarriedRecords, _holdUntilWaiting?: boolean) {}
  record(_record: SessionRecord): void {}
  sendQueued(): void {}
  flush(_record: SessionRecord): void {}
  get idle(): boolean {
    return true;
  }
  snapshot(): CarriedRecords {
    return { revision: 0, unsent: [] };
  }
}
