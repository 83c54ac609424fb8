/**
 * Reports over the session store (SPEC §9): every session that started in [from, to) counts
 * once, in exactly one outcome. Aggregation happens in SQL: conditional sums grouped by a
 * column of a handful of values, so one scan gives the totals and the groups. Only the reopen
 * window is computed here, over the rows that have a reopened_at, because date arithmetic
 * differs between SQLite and PostgreSQL. Times are fixed-width ISO text, so range conditions
 * are text comparisons (a narrow range uses the started_at index).
 */
import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import { dayMs, type ReportRange } from './report-range.js';
import type { SessionOutcome, StoreSchema } from './schema.js';

export interface SessionReport {
  from: string;
  to: string;
  /** Sessions that started in the range. */
  sessions: number;
  /** Of those, sessions where the AI posted or decided at least once. */
  aiTouched: number;
  /** Sums to `sessions`. An AI escalation a rep then resolved is in `rep` (and in `escalated`). */
  outcomes: { aiConfirmed: number; aiAssumed: number; rep: number; ops: number; open: number };
  escalated: { total: number; byRule: Record<string, number> };
  reopened: { withinDays: number; count: number };
  /** (aiConfirmed + aiAssumed) / aiTouched; null when the AI touched nothing. */
  aiResolutionRate: number | null;
  /** AI-resolved sessions not reopened within the window, / aiTouched; null when the AI touched nothing. */
  durableAiResolutionRate: number | null;
}

export interface DailyFigures {
  /** A UTC day, 2026-11-01. */
  day: string;
  sessions: number;
  aiTouched: number;
  aiConfirmed: number;
  aiAssumed: number;
  /** aiConfirmed / aiTouched of the day (null when 0), and the same for assumed. */
  confirmedRate: number | null;
  assumedRate: number | null;
}

export interface LatestSession {
  conversationId: string;
  sessionNumber: number;
  workflowId: string;
  startedAt: string;
  endedAt: string | null;
  state: string;
  outcome: SessionOutcome;
  escalationRule: string | null;
  topic: string | null;
  sentiment: string | null;
  freshchatUrl: string | null;
}

export interface DashboardData {
  from: string;
  to: string;
  /** Every UTC day the range touches, days without sessions included. */
  days: DailyFigures[];
  /** Most sessions first; null is "no topic recorded". */
  topics: Array<{ topic: string | null; sessions: number }>;
  sentiments: Array<{ sentiment: string | null; sessions: number }>;
  /** Sessions of the range still open, by their state now. */
  openByState: Array<{ state: string; sessions: number }>;
  /** The newest sessions of the range first. */
  latestSessions: LatestSession[];
}

export const defaultLatestSessions = 50;

type Db = Kysely<StoreSchema>;
type SessionsEb = ExpressionBuilder<StoreSchema, 'sessions'>;

export async function sessionReport(db: Db, range: ReportRange): Promise<SessionReport> {
  const [groups, reopenedRows] = await Promise.all([
    // One scan: the figures per escalation rule (a handful of groups) add up to the totals.
    startedIn(db, range)
      .select((eb) => [
        'escalation_rule',
        eb.fn.countAll<number | string>().as('sessions'),
        eb.fn.sum<number | string | null>('ai_touched').as('ai_touched'),
        eb.fn.sum<number | string | null>('escalated').as('escalated'),
        countWhereOutcome(eb, 'ai_confirmed').as('ai_confirmed'),
        countWhereOutcome(eb, 'ai_assumed').as('ai_assumed'),
        countWhereOutcome(eb, 'rep').as('rep'),
        countWhereOutcome(eb, 'ops').as('ops'),
        countWhereOutcome(eb, 'open').as('open'),
      ])
      .groupBy('escalation_rule')
      .execute(),
    startedIn(db, range).where('reopened_at', 'is not', null).select(['outcome', 'ended_at', 'reopened_at']).execute(),
  ]);

  const total = (column: Exclude<keyof (typeof groups)[number], 'escalation_rule'>) => groups.reduce((sum, group) => sum + count(group[column]), 0);
  const outcomes = { aiConfirmed: total('ai_confirmed'), aiAssumed: total('ai_assumed'), rep: total('rep'), ops: total('ops'), open: total('open') };
  const byRule: Record<string, number> = {};
  for (const group of groups) {
    const escalated = count(group.escalated);
    if (escalated > 0) byRule[group.escalation_rule ?? 'unknown'] = (byRule[group.escalation_rule ?? 'unknown'] ?? 0) + escalated;
  }
  const windowMs = range.reopenedWithinDays * dayMs;
  const reopenedInWindow = reopenedRows.filter((row) => isReopenedWithin(row.ended_at, row.reopened_at, windowMs));
  const aiTouched = total('ai_touched');
  const aiResolved = outcomes.aiConfirmed + outcomes.aiAssumed;
  const aiResolvedReopened = reopenedInWindow.filter((row) => row.outcome === 'ai_confirmed' || row.outcome === 'ai_assumed').length;
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    sessions: total('sessions'),
    aiTouched,
    outcomes,
    escalated: { total: total('escalated'), byRule },
    reopened: { withinDays: range.reopenedWithinDays, count: reopenedInWindow.length },
    aiResolutionRate: rate(aiResolved, aiTouched),
    durableAiResolutionRate: rate(aiResolved - aiResolvedReopened, aiTouched),
  };
}

export async function dashboardData(db: Db, range: ReportRange, latest = defaultLatestSessions): Promise<DashboardData> {
  // The first ten characters of an ISO UTC time are its UTC day, in both dialects.
  const day = sql<string>`substr(started_at, 1, 10)`;
  const [dailyRows, topicRows, sentimentRows, openRows, latestRows] = await Promise.all([
    startedIn(db, range)
      .select((eb) => [
        day.as('day'),
        eb.fn.countAll<number | string>().as('sessions'),
        eb.fn.sum<number | string | null>('ai_touched').as('ai_touched'),
        countWhereOutcome(eb, 'ai_confirmed').as('ai_confirmed'),
        countWhereOutcome(eb, 'ai_assumed').as('ai_assumed'),
      ])
      .groupBy(day)
      .execute(),
    startedIn(db, range)
      .select((eb) => ['topic', eb.fn.countAll<number | string>().as('sessions')])
      .groupBy('topic')
      .execute(),
    startedIn(db, range)
      .select((eb) => ['sentiment', eb.fn.countAll<number | string>().as('sessions')])
      .groupBy('sentiment')
      .execute(),
    startedIn(db, range)
      .where('outcome', '=', 'open')
      .select((eb) => ['state', eb.fn.countAll<number | string>().as('sessions')])
      .groupBy('state')
      .execute(),
    startedIn(db, range)
      .select(['conversation_id', 'session_number', 'workflow_id', 'started_at', 'ended_at', 'state', 'outcome', 'escalation_rule', 'topic', 'sentiment', 'freshchat_url'])
      .orderBy('started_at', 'desc')
      .orderBy('conversation_id')
      .orderBy('session_number', 'desc')
      .limit(latest)
      .execute(),
  ]);

  const byDay = new Map(dailyRows.map((row) => [row.day, row]));
  const days: DailyFigures[] = utcDaysOf(range).map((d) => {
    const row = byDay.get(d);
    const aiTouched = count(row?.ai_touched);
    const aiConfirmed = count(row?.ai_confirmed);
    const aiAssumed = count(row?.ai_assumed);
    return { day: d, sessions: count(row?.sessions), aiTouched, aiConfirmed, aiAssumed, confirmedRate: rate(aiConfirmed, aiTouched), assumedRate: rate(aiAssumed, aiTouched) };
  });
  const mostFirst = <T extends { sessions: number }>(rows: T[]) => rows.sort((a, b) => b.sessions - a.sessions);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    days,
    topics: mostFirst(topicRows.map((r) => ({ topic: r.topic, sessions: count(r.sessions) }))),
    sentiments: mostFirst(sentimentRows.map((r) => ({ sentiment: r.sentiment, sessions: count(r.sessions) }))),
    openByState: mostFirst(openRows.map((r) => ({ state: r.state, sessions: count(r.sessions) }))),
    latestSessions: latestRows.map((r) => ({
      conversationId: r.conversation_id,
      sessionNumber: r.session_number,
      workflowId: r.workflow_id,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      state: r.state,
      outcome: r.outcome,
      escalationRule: r.escalation_rule,
      topic: r.topic,
      sentiment: r.sentiment,
      freshchatUrl: r.freshchat_url,
    })),
  };
}

function startedIn(db: Db, range: ReportRange): SelectQueryBuilder<StoreSchema, 'sessions', {}> {
  return db.selectFrom('sessions').where('started_at', '>=', range.from.toISOString()).where('started_at', '<', range.to.toISOString());
}

/** A conditional sum; literal 1 and 0, because PostgreSQL cannot type a CASE of bare parameters for sum(). */
function countWhereOutcome(eb: SessionsEb, outcome: SessionOutcome) {
  return eb.fn.sum<number | string | null>(eb.case().when('outcome', '=', outcome).then(eb.lit(1)).else(eb.lit(0)).end());
}

/** The next session started no later than `windowMs` after this one ended; a session with no end time was never closed, so not reopened. */
function isReopenedWithin(endedAt: string | null, reopenedAt: string | null, windowMs: number): boolean {
  if (!endedAt || !reopenedAt) return false;
  return Date.parse(reopenedAt) - Date.parse(endedAt) <= windowMs;
}

/** PostgreSQL answers count() and sum() as bigint strings, SQLite as numbers, an empty sum as null. */
function count(value: number | string | null | undefined): number {
  return Number(value ?? 0);
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function utcDaysOf(range: ReportRange): string[] {
  const days: string[] = [];
  const first = new Date(range.from);
  first.setUTCHours(0, 0, 0, 0);
  for (let at = first.getTime(); at < range.to.getTime(); at += dayMs) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}
