/**
 * A known set of session rows for report tests, written through the product's own writer
 * (writeSessionRecord), with the report it must give for November 2026. It covers every
 * outcome, an AI escalation a rep then resolved, a reopen inside and one outside the 7-day
 * window, and sessions exactly at both edges of [from, to).
 */
import type { Kysely } from 'kysely';
import { writeSessionRecord } from '../../store/session-records.js';
import type { SessionReport } from '../../store/reports.js';
import type { StoreSchema } from '../../store/schema.js';
import type { SessionRecord } from '../../workflows/messages.js';

export const november = { from: '2026-11-01', to: '2026-12-01' };

type Seed = Partial<SessionRecord> & Pick<SessionRecord, 'conversationId' | 'startedAt'>;

const seeds: Seed[] = [
  { conversationId: 'c-at-from', startedAt: '2026-11-01T00:00:00.000Z', state: 'waiting' },
  { conversationId: 'c-confirmed', startedAt: '2026-11-02T10:00:00Z', endedAt: '2026-11-02T10:05:00Z', state: 'resolved', resolvedBy: 'ai', resolutionKind: 'confirmed', aiTouched: true, aiReplies: 2, topic: 'orders', sentiment: 'neutral' },
  { conversationId: 'c-assumed', startedAt: '2026-11-03T09:00:00Z', endedAt: '2026-11-03T09:30:00Z', state: 'resolved', resolvedBy: 'ai', resolutionKind: 'assumed', aiTouched: true, aiReplies: 1, topic: 'shipping', sentiment: 'positive' },
  {
    conversationId: 'c-escalated-then-rep',
    startedAt: '2026-11-04T12:00:00Z',
    endedAt: '2026-11-04T13:00:00Z',
    state: 'resolved',
    resolvedBy: 'rep',
    aiTouched: true,
    escalation: { rule: 'handoff_phrase', reason: 'the customer asked for a person', at: '2026-11-04T12:02:00Z' },
    topic: 'orders',
    sentiment: 'negative',
  },
  { conversationId: 'c-rep-only', startedAt: '2026-11-04T15:00:00Z', endedAt: '2026-11-04T16:00:00Z', state: 'resolved', resolvedBy: 'rep' },
  { conversationId: 'c-ops', startedAt: '2026-11-06T08:00:00Z', endedAt: '2026-11-06T09:00:00Z', state: 'resolved', resolvedBy: 'ops', aiTouched: true, topic: 'account' },
  { conversationId: 'c-open-escalated', startedAt: '2026-11-07T08:00:00Z', state: 'human', aiTouched: true, escalation: { rule: 'topic_policy', at: '2026-11-07T08:01:00Z' }, topic: 'billing', sentiment: 'neutral' },
  { conversationId: 'c-open-waiting', startedAt: '2026-11-08T08:00:00Z', state: 'waiting' },
  // Reopened two days after the AI resolved it: inside a 7-day window.
  { conversationId: 'c-reopened-inside', startedAt: '2026-11-10T09:00:00Z', endedAt: '2026-11-10T10:00:00Z', state: 'resolved', resolvedBy: 'ai', resolutionKind: 'confirmed', aiTouched: true, topic: 'returns' },
  { conversationId: 'c-reopened-inside', session: 2, startedAt: '2026-11-12T09:00:00Z', state: 'ai_active', aiTouched: true, topic: 'returns' },
  // Reopened fifteen days later: outside 7 days, inside 30.
  { conversationId: 'c-reopened-outside', startedAt: '2026-11-05T09:00:00Z', endedAt: '2026-11-05T10:00:00Z', state: 'resolved', resolvedBy: 'ai', resolutionKind: 'assumed', aiTouched: true },
  { conversationId: 'c-reopened-outside', session: 2, startedAt: '2026-11-20T10:00:00Z', endedAt: '2026-11-20T11:00:00Z', state: 'resolved', resolvedBy: 'rep' },
  // Outside [from, to): exactly at `to`, and a millisecond before `from`.
  { conversationId: 'c-at-to', startedAt: '2026-12-01T00:00:00.000Z', endedAt: '2026-12-01T00:10:00Z', state: 'resolved', resolvedBy: 'ai', aiTouched: true, escalation: { rule: 'sentiment', at: '2026-12-01T00:01:00Z' } },
  { conversationId: 'c-before', startedAt: '2026-10-31T23:59:59.999Z', endedAt: '2026-11-01T01:00:00Z', state: 'resolved', resolvedBy: 'rep', escalation: { rule: 'sentiment', at: '2026-10-31T23:59:59.999Z' } },
];

/** What GET /reports?from=2026-11-01&to=2026-12-01 answers over the seeded rows. */
export const expectedNovemberReport: SessionReport = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  sessions: 12,
  aiTouched: 8,
  outcomes: { aiConfirmed: 2, aiAssumed: 2, rep: 3, ops: 1, open: 4 },
  escalated: { total: 2, byRule: { handoff_phrase: 1, topic_policy: 1 } },
  reopened: { withinDays: 7, count: 1 },
  aiResolutionRate: 0.5,
  durableAiResolutionRate: 0.375,
};

export async function seedReportSessions(db: Kysely<StoreSchema>, extra: Seed[] = []): Promise<void> {
  for (const seed of [...seeds, ...extra]) {
    await writeSessionRecord(db, {
      chainId: `run-${seed.conversationId}`,
      workflowId: `freshchat-conversation-${seed.conversationId}`,
      revision: 1,
      record: {
        session: 1,
        state: 'ai_active',
        aiTouched: false,
        aiReplies: 0,
        aiDecisions: 0,
        customerMessages: 1,
        freshchatUrl: `https://example.freshchat.com/a/1/inbox/open/0/conversation/${seed.conversationId}`,
        ...seed,
      },
    });
  }
}
