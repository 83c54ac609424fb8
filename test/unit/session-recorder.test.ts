import { expect } from 'chai';
import type { SessionRecord, SessionRecordWrite } from '../../workflows/messages.js';
import { SessionRecorder } from '../../workflows/session-recorder.js';

const ids = { chainId: 'run-1', workflowId: 'conversation-c1' };

function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return { conversationId: 'c1', session: 1, state: 'ai_active', startedAt: '2026-12-01T10:00:00.000Z', aiTouched: false, aiReplies: 0, aiDecisions: 0, customerMessages: 1, ...over };
}

/** A store whose writes finish when the test says so. */
function slowStore() {
  const writes: SessionRecordWrite[] = [];
  const finish: (() => void)[] = [];
  const write = (w: SessionRecordWrite) =>
    new Promise<void>((resolve) => {
      writes.push(w);
      finish.push(resolve);
    });
  return { writes, write, finishNext: async () => { finish.shift()?.(); await new Promise((r) => setImmediate(r)); } };
}

describe('SessionRecorder', () => {
  it('writes at once, one at a time, and a newer record of a session replaces one still waiting', async () => {
    const store = slowStore();
    const recorder = new SessionRecorder(store.write, ids, undefined);
    recorder.record(record());
    recorder.record(record({ state: 'escalated' }));
    recorder.record(record({ state: 'resolved' }));
    expect(store.writes.map((w) => w.record.state)).to.deep.equal(['ai_active']);
    await store.finishNext();
    expect(store.writes.map((w) => [w.record.state, w.revision])).to.deep.equal([['ai_active', 1], ['resolved', 2]]);
    await store.finishNext();
    expect(recorder.idle).to.equal(true);
  });

  it('holding until the workflow waits: nothing is written while a reply is on its way, everything queued goes when it waits', async () => {
    const store = slowStore();
    const recorder = new SessionRecorder(store.write, ids, undefined, true);
    recorder.record(record());
    recorder.record(record({ state: 'escalated', escalation: { rule: 'handoff_phrase', at: '2026-12-01T10:00:05.000Z' } }));
    recorder.record(record({ session: 2, state: 'ai_active' }));
    expect(store.writes).to.have.length(0);
    expect(recorder.idle).to.equal(false);
    recorder.sendQueued();
    expect(store.writes.map((w) => [w.record.session, w.record.state])).to.deep.equal([[1, 'escalated']]);
    await store.finishNext();
    expect(store.writes.map((w) => [w.record.session, w.record.state, w.revision])).to.deep.equal([[1, 'escalated', 1], [2, 'ai_active', 2]]);
    await store.finishNext();
    expect(recorder.idle).to.equal(true);
  });

  it('holding until the workflow waits: records carried over continue-as-new wait too', async () => {
    const store = slowStore();
    const recorder = new SessionRecorder(store.write, ids, { revision: 7, unsent: [record({ state: 'resolved' })] }, true);
    expect(store.writes).to.have.length(0);
    recorder.sendQueued();
    expect(store.writes.map((w) => [w.record.state, w.revision])).to.deep.equal([['resolved', 8]]);
    await store.finishNext();
    recorder.sendQueued(); // nothing left: no write
    expect(store.writes).to.have.length(1);
    expect(recorder.idle).to.equal(true);
  });
});
