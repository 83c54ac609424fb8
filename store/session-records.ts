/**
 * Writing session records: an idempotent upsert keyed on (conversation id, session number).
 * A retried or replayed write changes nothing; a late write (an attempt that timed out but
 * reached the database) never replaces a newer revision.
 */
import type { Kysely, Transaction } from 'kysely';
import type { SessionRecord, SessionRecordWrite } from '../workflows/messages.js';
import type { NewSessionRow, SessionOutcome, StoreSchema } from './schema.js';

export function outcomeOf(record: Pick<SessionRecord, 'resolvedBy' | 'resolutionKind'>): SessionOutcome {
  switch (record.resolvedBy) {
    case 'ai':
      return record.resolutionKind === 'assumed' ? 'ai_assumed' : 'ai_confirmed';
    case 'rep':
      return 'rep';
    case 'ops':
      return 'ops';
    default:
      return 'open';
  }
}

/** Stores one write; returns the session number the store gave the session. */
export async function writeSessionRecord(db: Kysely<StoreSchema>, write: SessionRecordWrite, now: Date = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const offset = await sessionOffsetOf(trx, write.record.conversationId, write.chainId, now);
    const row = rowOf(write, offset + write.record.session, now);
    const { conversation_id, session_number, reopened_at: _neverFromTheSessionItself, ...updatable } = row;
    await trx
      .insertInto('sessions')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['conversation_id', 'session_number'])
          .doUpdateSet(updatable)
          .where('sessions.revision', '<', write.revision),
      )
      .execute();
    // The next session started: the one before was reopened (once; a rewrite keeps the first time).
    if (session_number > 1) {
      await trx
        .updateTable('sessions')
        .set({ reopened_at: row.started_at })
        .where('conversation_id', '=', conversation_id)
        .where('session_number', '=', session_number - 1)
        .where('reopened_at', 'is', null)
        .execute();
    }
    return session_number;
  });
}

/**
 * Sessions a conversation's earlier workflow chains recorded come first: a chain that starts
 * after an earlier one closed (30 days quiet) numbers its sessions after them.
 */
async function sessionOffsetOf(trx: Transaction<StoreSchema>, conversationId: string, chainId: string, now: Date): Promise<number> {
  const known = await trx
    .selectFrom('session_runs')
    .select('session_offset')
    .where('conversation_id', '=', conversationId)
    .where('run_id', '=', chainId)
    .executeTakeFirst();
  if (known) return known.session_offset;
  const recorded = await trx
    .selectFrom('sessions')
    .select((eb) => eb.fn.max('session_number').as('last'))
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst();
  const offset = Number(recorded?.last ?? 0);
  await trx
    .insertInto('session_runs')
    .values({ conversation_id: conversationId, run_id: chainId, session_offset: offset, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['conversation_id', 'run_id']).doNothing())
    .execute();
  return offset;
}

function rowOf(write: SessionRecordWrite, sessionNumber: number, now: Date): NewSessionRow {
  const r = write.record;
  return {
    conversation_id: r.conversationId,
    session_number: sessionNumber,
    workflow_id: write.workflowId,
    contact_id: r.contactId ?? null,
    started_at: iso(r.startedAt),
    first_ai_reply_at: r.firstAiReplyAt ? iso(r.firstAiReplyAt) : null,
    ended_at: r.endedAt ? iso(r.endedAt) : null,
    state: r.state,
    outcome: outcomeOf(r),
    resolved_by: r.resolvedBy ?? null,
    resolution_kind: r.resolvedBy === 'ai' ? (r.resolutionKind ?? 'confirmed') : null,
    ai_touched: r.aiTouched ? 1 : 0,
    escalated: r.escalation ? 1 : 0,
    escalation_rule: r.escalation?.rule ?? null,
    escalation_reason: r.escalation?.reason ?? null,
    escalated_at: r.escalation ? iso(r.escalation.at) : null,
    topic: r.topic ?? null,
    sentiment: r.sentiment ?? null,
    ai_replies: r.aiReplies,
    ai_decisions: r.aiDecisions,
    customer_messages: r.customerMessages,
    reopened_at: null,
    freshchat_url: r.freshchatUrl ?? null,
    revision: write.revision,
    updated_at: now.toISOString(),
  };
}

/** The canonical form every stored time has, so that text comparison is time comparison. */
function iso(at: string): string {
  return new Date(at).toISOString();
}
