import { expect } from 'chai';
import { parseReportRange, type ReportRange } from '../../store/report-range.js';
import { dashboardData, sessionReport } from '../../store/reports.js';
import { expectedNovemberReport, november, seedReportSessions } from '../helpers/session-seeds.js';
import { openTestStore, requireDialect, storeDialects, type TestStore } from '../helpers/stores.js';

function range(from: string, to: string, reopenedWithinDays?: string): ReportRange {
  const parsed = parseReportRange({ from, to, reopenedWithinDays });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.range;
}

for (const dialect of storeDialects) {
  describe(`reports on ${dialect}`, function () {
    let t: TestStore;
    before(async function () {
      await requireDialect(this, dialect);
      t = await openTestStore(dialect);
      await t.store.ready();
      await seedReportSessions(t.store.db);
    });
    after(async () => t?.dispose());

    it('every session that started in [from, to) counts once, in one outcome; escalated-then-rep is in escalated and in rep', async () => {
      const report = await sessionReport(t.store.db, range(november.from, november.to));
      expect(report).to.deep.equal(expectedNovemberReport);
      const { aiConfirmed, aiAssumed, rep, ops, open } = report.outcomes;
      expect(aiConfirmed + aiAssumed + rep + ops + open).to.equal(report.sessions);
    });

    it('the reopen window: 15 days after is outside 7 days and inside 30', async () => {
      const report = await sessionReport(t.store.db, range(november.from, november.to, '30'));
      expect(report.reopened).to.deep.equal({ withinDays: 30, count: 2 });
      expect(report.durableAiResolutionRate).to.equal(0.25);
      expect(report.aiResolutionRate).to.equal(0.5);
    });

    it('range edges: a session at `from` is in, one exactly at `to` is out (it is in the next range)', async () => {
      const first = await sessionReport(t.store.db, range('2026-11-01T00:00:00Z', '2026-11-01T00:00:00.001Z'));
      expect(first.sessions).to.equal(1);
      const before = await sessionReport(t.store.db, range('2026-10-31T23:59:59.999Z', '2026-11-01T00:00:00Z'));
      expect(before).to.include({ sessions: 1, aiTouched: 0 });
      expect(before.outcomes.rep).to.equal(1);
      const december = await sessionReport(t.store.db, range('2026-12-01', '2026-12-02'));
      expect(december).to.include({ sessions: 1, aiTouched: 1, aiResolutionRate: 1 });
      expect(december.escalated).to.deep.equal({ total: 1, byRule: { sentiment: 1 } });
      // An offset is honoured: 01:00+01:00 is midnight UTC.
      expect((await sessionReport(t.store.db, range('2026-12-01T01:00:00+01:00', '2026-12-02'))).sessions).to.equal(1);
    });

    it('an empty range: zeros, no rules, rates null', async () => {
      const report = await sessionReport(t.store.db, range('2026-06-01', '2026-06-02'));
      expect(report).to.deep.equal({
        from: '2026-06-01T00:00:00.000Z',
        to: '2026-06-02T00:00:00.000Z',
        sessions: 0,
        aiTouched: 0,
        outcomes: { aiConfirmed: 0, aiAssumed: 0, rep: 0, ops: 0, open: 0 },
        escalated: { total: 0, byRule: {} },
        reopened: { withinDays: 7, count: 0 },
        aiResolutionRate: null,
        durableAiResolutionRate: null,
      });
    });

    it('dashboard data: a figure per UTC day (empty days too), topics, sentiment, open by state, latest sessions first', async () => {
      const data = await dashboardData(t.store.db, range(november.from, november.to));
      expect(data.days).to.have.length(30);
      expect(data.days[0]).to.deep.equal({ day: '2026-11-01', sessions: 1, aiTouched: 0, aiConfirmed: 0, aiAssumed: 0, confirmedRate: null, assumedRate: null });
      expect(data.days[1]).to.deep.equal({ day: '2026-11-02', sessions: 1, aiTouched: 1, aiConfirmed: 1, aiAssumed: 0, confirmedRate: 1, assumedRate: 0 });
      expect(data.days[3]).to.include({ day: '2026-11-04', sessions: 2, aiTouched: 1, confirmedRate: 0 });
      expect(data.days[4]).to.include({ day: '2026-11-05', aiAssumed: 1, assumedRate: 1 });
      expect(data.days.reduce((sum, d) => sum + d.sessions, 0)).to.equal(12);
      expect(data.topics[0]).to.deep.equal({ topic: null, sessions: 5 });
      expect(data.topics).to.deep.include({ topic: 'orders', sessions: 2 });
      expect(data.topics).to.deep.include({ topic: 'returns', sessions: 2 });
      expect(data.sentiments).to.deep.include({ sentiment: 'neutral', sessions: 2 });
      expect(data.openByState).to.have.deep.members([
        { state: 'waiting', sessions: 2 },
        { state: 'human', sessions: 1 },
        { state: 'ai_active', sessions: 1 },
      ]);
      expect(data.latestSessions).to.have.length(12);
      expect(data.latestSessions[0]).to.include({ conversationId: 'c-reopened-outside', sessionNumber: 2, startedAt: '2026-11-20T10:00:00.000Z', outcome: 'rep' });
      expect(data.latestSessions.at(-1)).to.include({ conversationId: 'c-at-from' });
      expect((await dashboardData(t.store.db, range(november.from, november.to), 3)).latestSessions).to.have.length(3);
    });

    it('a range that starts mid-day still has its first UTC day', async () => {
      const data = await dashboardData(t.store.db, range('2026-11-02T09:00:00Z', '2026-11-03T09:00:00Z'));
      expect(data.days.map((d) => d.day)).to.deep.equal(['2026-11-02', '2026-11-03']);
    });
  });
}
