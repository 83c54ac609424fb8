import { expect } from 'chai';
import { writeSessionRecord } from '../../store/session-records.js';
import type { SessionRecord, SessionRecordWrite } from '../../workflows/messages.js';
import { openTestStore, requireDialect, storeDialects, type TestStore } from '../helpers/stores.js';

const base: SessionRecord = {
  conversationId: 'conv-1',
  session: 1,
  state: 'ai_active',
  contactId: 'ct_0123456789abcdef01234567',
  startedAt: '2026-11-30T10:00:00.000Z',
  aiTouched: false,
  aiReplies: 0,
  aiDecisions: 0,
  customerMessages: 1,
};
const write = (revision: number, record: Partial<SessionRecord> = {}, chainId = 'run-a'): SessionRecordWrite => ({
  chainId,
  workflowId: 'freshchat-conversation-conv-1',
  revision,
  record: { ...base, ...record },
});

for (const dialect of storeDialects) {
  describe(`session store on ${dialect}`, function () {
    let t: TestStore;
    beforeEach(async function () {
      await requireDialect(this, dialect);
      t = await openTestStore(dialect);
      await t.store.ready();
    });
    afterEach(async () => t?.dispose());

    const rows = () => t.store.db.selectFrom('sessions').selectAll().orderBy('session_number').execute();

    it('migrations run once and report themselves current', async () => {
      await t.store.ready();
      const status = await t.store.status();
      expect(status).to.include({ dialect, reachable: true });
      expect(status.pendingMigrations).to.deep.equal([]);
    });

    it('an upsert keyed on (conversation, session): a replayed write changes nothing, a later revision updates', async () => {
      await writeSessionRecord(t.store.db, write(1), new Date('2026-11-30T10:00:01Z'));
      await writeSessionRecord(t.store.db, write(1), new Date('2026-11-30T10:00:09Z'));
      let [row] = await rows();
      expect(row).to.include({ conversation_id: 'conv-1', session_number: 1, outcome: 'open', revision: 1, updated_at: '2026-11-30T10:00:01.000Z' });
      await writeSessionRecord(t.store.db, write(2, { state: 'resolved', resolvedBy: 'ai', resolutionKind: 'assumed', endedAt: '2026-11-30T10:05:00Z', aiTouched: true, aiReplies: 2 }));
      [row] = await rows();
      expect(row).to.include({ outcome: 'ai_assumed', resolved_by: 'ai', resolution_kind: 'assumed', ai_touched: 1, ai_replies: 2, ended_at: '2026-11-30T10:05:00.000Z' });
      expect(await rows()).to.have.length(1);
    });

    it('a late write of an older revision never replaces a newer one', async () => {
      await writeSessionRecord(t.store.db, write(5, { state: 'resolved', resolvedBy: 'rep' }));
      await writeSessionRecord(t.store.db, write(4, { state: 'escalated', escalation: { rule: 'handoff_phrase', reason: 'asked', at: base.startedAt } }));
      const [row] = await rows();
      expect(row).to.include({ revision: 5, outcome: 'rep', escalated: 0 });
    });

    it('the next session sets reopened_at on the one before, once', async () => {
      await writeSessionRecord(t.store.db, write(1, { state: 'resolved', resolvedBy: 'ai', endedAt: '2026-11-30T10:05:00Z' }));
      await writeSessionRecord(t.store.db, write(2, { session: 2, startedAt: '2026-12-01T08:00:00Z' }));
      await writeSessionRecord(t.store.db, write(3, { session: 2, startedAt: '2026-12-01T08:00:00Z', aiReplies: 1 }));
      const [first, second] = await rows();
      expect(first).to.include({ session_number: 1, reopened_at: '2026-12-01T08:00:00.000Z', outcome: 'ai_confirmed' });
      expect(second).to.include({ session_number: 2, reopened_at: null, ai_replies: 1 });
    });

    it('a new workflow chain numbers its sessions after the ones already recorded', async () => {
      await writeSessionRecord(t.store.db, write(1, { state: 'resolved', resolvedBy: 'rep' }, 'run-a'));
      await writeSessionRecord(t.store.db, write(2, { session: 2, state: 'resolved', resolvedBy: 'rep', startedAt: '2026-11-30T12:00:00Z' }, 'run-a'));
      const numbered = await writeSessionRecord(t.store.db, write(1, { startedAt: '2026-12-30T12:00:00Z' }, 'run-b'));
      expect(numbered).to.equal(3);
      expect(await writeSessionRecord(t.store.db, write(2, { startedAt: '2026-12-30T12:00:00Z', aiReplies: 1 }, 'run-b'))).to.equal(3);
      const all = await rows();
      expect(all.map((r) => [r.session_number, r.reopened_at])).to.deep.equal([
        [1, '2026-11-30T12:00:00.000Z'],
        [2, '2026-12-30T12:00:00.000Z'],
        [3, null],
      ]);
    });
  });
}
