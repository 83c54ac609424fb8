/**
 * Sends the session's record to the store without ever holding up the conversation: writes
 * run one at a time in the background (so they arrive in order), a newer record of a session
 * replaces one that is still waiting, and a store that is down only delays them (the activity
 * retries). In runs that hold records until the workflow waits (`holdUntilWaiting`), a write
 * starts only when the workflow waits for the customer or a deadline: a write that finishes
 * while the claim or the AI runs costs a workflow task of its own in front of the reply.
 * Counts alone do not cause a write: they travel with the next reportable change, and with
 * the final flush before the workflow closes. What is unsent at continue-as-new
 * travels with the state, and the next run sends it.
 */
import { isCancellation, log } from '@temporalio/workflow';
import type { CarriedRecords, SessionRecord, SessionRecordWrite } from './messages.js';

export interface RecorderIds {
  /** The workflow chain's first run id: stable across continue-as-new. */
  chainId: string;
  workflowId: string;
}

export class SessionRecorder {
  private readonly unsent: SessionRecord[];
  private revision: number;
  private lastQueued?: SessionRecord;
  private sending = false;

  constructor(
    private readonly write: (write: SessionRecordWrite) => Promise<void>,
    private readonly ids: RecorderIds,
    carried?: CarriedRecords,
    private readonly holdUntilWaiting = false,
  ) {
    this.revision = carried?.revision ?? 0;
    this.unsent = [...(carried?.unsent ?? [])];
    this.lastQueued = carried?.lastQueued;
    if (!holdUntilWaiting) this.sendQueued();
  }

  /** The workflow is about to wait: what was queued meanwhile goes to the store now. */
  sendQueued(): void {
    if (this.unsent.length > 0 && !this.sending) void this.drain();
  }

  /** Queues the record when something reportable changed since the last one queued. */
  record(record: SessionRecord): void {
    if (this.lastQueued && reportable(this.lastQueued) === reportable(record)) {
      // Same milestones, newer counts: a record still waiting takes them along.
      const waiting = this.unsent.findIndex((r) => r.session === record.session);
      if (waiting >= 0 && (waiting > 0 || !this.sending)) {
        this.unsent[waiting] = record;
        this.lastQueued = record;
      }
      return;
    }
    this.queue(record);
  }

  /** Queues the record if anything at all (counts too) differs from the last one queued. */
  flush(record: SessionRecord): void {
    if (!this.lastQueued || JSON.stringify(this.lastQueued) !== JSON.stringify(record)) this.queue(record);
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.unsent.length === 0 && !this.sending;
  }

  snapshot(): CarriedRecords {
    return { revision: this.revision, unsent: this.unsent, lastQueued: this.lastQueued };
  }

  private queue(record: SessionRecord): void {
    this.lastQueued = record;
    // The record in flight (index 0 while sending) is never replaced: its successor queues behind it.
    const waiting = this.unsent.findIndex((r, i) => r.session === record.session && (i > 0 || !this.sending));
    if (waiting >= 0) this.unsent[waiting] = record;
    else this.unsent.push(record);
    if (!this.holdUntilWaiting) this.sendQueued();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.unsent.length > 0) {
        const record = this.unsent[0];
        this.revision++;
        try {
          await this.write({ ...this.ids, revision: this.revision, record });
        } catch (error) {
          if (isCancellation(error)) throw error;
          // Only a write the store can never take ends here (retries are the activity's): the next record goes on.
          log.error('session record dropped', { conversationId: record.conversationId, session: record.session, error: String(error) });
        }
        this.unsent.shift();
      }
    } finally {
      this.sending = false;
    }
  }
}

/** A record's milestones: everything but the counts. */
function reportable(record: SessionRecord): string {
  const { aiReplies: _r, aiDecisions: _d, customerMessages: _m, ...milestones } = record;
  return JSON.stringify(milestones);
}
