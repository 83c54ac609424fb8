import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { stringify } from 'yaml';
import type { SessionRow } from '../../store/schema.js';
import { Store } from '../../store/store.js';
import { reloadSettingsSignal, resolveConversationSignal } from '../../workflows/messages.js';
import {
  aiReplies,
  conversationView,
  customerSays,
  eventually,
  newCustomer,
  sandboxCall,
  startConversation,
  startSystem,
  workflowHandle,
  workflowState,
  type TestSystem,
} from '../helpers/system.js';
import { openTestStore, requireDialect, type TestStore } from '../helpers/stores.js';

const sessionsOf = (store: Store, conversationId: string): Promise<SessionRow[]> =>
  store.db.selectFrom('sessions').selectAll().where('conversation_id', '=', conversationId).orderBy('session_number').execute();

describe('session records (real workflow, sandbox over HTTP, the store on SQLite and PostgreSQL)', function () {
  this.timeout(120_000);

  describe('what each session records', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem();
    });
    after(() => system?.close());

    it('a session is written when it starts and as it changes; a reopen starts the next session and marks the one before', async () => {
      const { sandbox, store } = system;
      const conversationId = await startConversation(sandbox, 'How do I reset my password?');
      await eventually(async () => (await sessionsOf(store, conversationId))[0]?.first_ai_reply_at ?? undefined, 'the first AI reply recorded');
      await customerSays(sandbox, conversationId, "Thanks, that's all!");
      const [first] = await eventually(async () => {
        const rows = await sessionsOf(store, conversationId);
        return rows[0]?.outcome === 'ai_confirmed' && rows;
      }, 'the AI resolution recorded');
      expect(first).to.include({ session_number: 1, state: 'resolved', resolved_by: 'ai', resolution_kind: 'confirmed', ai_touched: 1, escalated: 0, topic: 'account', reopened_at: null });
      expect(first!.workflow_id).to.equal(`freshchat-conversation-${conversationId}`);
      expect(first!.contact_id).to.match(/^ct_[0-9a-f]{24}$/);
      expect(first!.freshchat_url).to.include(conversationId);
      expect(first!.ended_at! >= first!.first_ai_reply_at! && first!.first_ai_reply_at! >= first!.started_at).to.equal(true);
      // Counts travel with the milestones: the resolution carried both customer messages and the one answer.
      expect(first).to.include({ customer_messages: 2, ai_replies: 1 });

      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/reopen`, { by: 'user' });
      const [reopened, second] = await eventually(async () => {
        const rows = await sessionsOf(store, conversationId);
        return rows.length === 2 && rows;
      }, 'session 2 recorded');
      expect(second).to.include({ session_number: 2, outcome: 'open', ai_touched: 0, reopened_at: null });
      expect(reopened!.reopened_at).to.equal(second!.started_at);
    });

    it('escalated by the AI, then resolved by a rep: one session, escalated with its rule, its outcome the rep', async () => {
      const { sandbox, store } = system;
      const conversationId = await startConversation(sandbox, 'I want to talk to a human please');
      await eventually(async () => (await sessionsOf(store, conversationId))[0]?.escalated === 1, 'the escalation recorded');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      const [row] = await eventually(async () => {
        const rows = await sessionsOf(store, conversationId);
        return rows[0]?.outcome === 'rep' && rows;
      }, 'the rep resolution recorded');
      expect(row).to.include({ session_number: 1, escalated: 1, escalation_rule: 'handoff_phrase', resolved_by: 'rep', resolution_kind: null, ai_touched: 1 });
      expect(row!.escalation_reason).to.equal('The customer asked for a person ("talk to a human")');
      expect(await sessionsOf(store, conversationId)).to.have.length(1);
    });

    it('holds no customer text and no email: ids, times, labels and counts', async () => {
      const { sandbox, store } = system;
      const email = 'jordan.secret@example.com';
      const said = 'My order 4471 from Zanzibar never arrived';
      const conversationId = await startConversation(sandbox, said, await newCustomer(sandbox, email));
      await eventually(async () => (await sessionsOf(store, conversationId))[0]?.ai_touched === 1, 'the AI turn recorded');
      const everything = JSON.stringify(await store.db.selectFrom('sessions').selectAll().execute());
      for (const secret of [email, 'jordan', 'Zanzibar', '4471']) expect(everything.toLowerCase()).not.to.include(secret.toLowerCase());
    });
  });

  describe('the report over real conversations: one denominator', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem();
    });
    after(() => system?.close());

    it('counts each session once, in one outcome, the AI-resolved and the rep-resolved over the same sessions', async () => {
      const { sandbox, store } = system;
      const from = new Date(Date.now() - 60_000).toISOString();
      const settled = async (conversationId: string, outcome: string) =>
        eventually(async () => (await sessionsOf(store, conversationId)).some((r) => r.outcome === outcome), `${conversationId}: ${outcome}`);

      // 1. The AI answers, the customer confirms: AI-resolved (confirmed); then the customer reopens it.
      const confirmed = await startConversation(sandbox, 'How do I reset my password?');
      await eventually(async () => (await aiReplies(sandbox, confirmed)).length === 1, 'the answer');
      await customerSays(sandbox, confirmed, "Thanks, that's all!");
      await settled(confirmed, 'ai_confirmed');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${confirmed}/reopen`, { by: 'user' });
      await eventually(async () => (await sessionsOf(store, confirmed)).length === 2, 'session 2 of the reopened conversation');
      // 2. The customer asks for a person, a rep resolves: escalated (handoff_phrase) and rep.
      const handedOff = await startConversation(sandbox, 'I want to talk to a human');
      await settled(handedOff, 'open');
      await eventually(async () => (await sessionsOf(store, handedOff))[0]?.escalated === 1, 'the handoff');
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${handedOff}/resolve`, { agent_id: sandbox.reps[0]!.id });
      await settled(handedOff, 'rep');
      // 3. A topic for people: escalated (topic_policy), still open.
      const billing = await startConversation(sandbox, 'I was charged twice for my order, there is a wrong charge on my card');
      await eventually(async () => (await sessionsOf(store, billing))[0]?.escalation_rule === 'topic_policy', 'the topic handoff');
      // 4. The AI answers, ops resolve it.
      const byOps = await startConversation(sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, byOps)).length === 1, 'the answer');
      await workflowHandle(system, byOps).signal(resolveConversationSignal, { reason: 'duplicate' });
      await settled(byOps, 'ops');

      const to = new Date(Date.now() + 60_000).toISOString();
      const res = await fetch(`${system.opsUrl}/reports?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({
        from,
        to,
        sessions: 5,
        aiTouched: 4, // the reopened session 2 has had no customer message yet
        outcomes: { aiConfirmed: 1, aiAssumed: 0, rep: 1, ops: 1, open: 2 },
        escalated: { total: 2, byRule: { handoff_phrase: 1, topic_policy: 1 } },
        reopened: { withinDays: 7, count: 1 },
        aiResolutionRate: 0.25,
        durableAiResolutionRate: 0,
      });
    });
  });

  describe('a store that is down', () => {
    let system: TestSystem | undefined;
    let testStore: TestStore | undefined;
    let proxy: ToggleableProxy | undefined;
    afterEach(async () => {
      await system?.close();
      await proxy?.close();
      await testStore?.dispose();
    });

    it('delays the records, never a reply: the AI answers while PostgreSQL is unreachable, the records arrive when it is back', async function () {
      this.timeout(180_000);
      await requireDialect(this, 'postgres');
      testStore = await openTestStore('postgres');
      await testStore.store.ready();
      const target = new URL(testStore.env.DATABASE_URL!);
      proxy = await startProxy(Number(target.port || 5432));
      const viaProxy = new URL(target);
      viaProxy.port = String(proxy.port);
      const store = new Store({ databaseUrl: viaProxy.toString(), sqlitePath: '' });
      // Up while the worker starts (its knowledge is synced and indexed), then down.
      proxy.up = true;
      system = await startSystem({ store: { store, env: { DATABASE_URL: viaProxy.toString() }, dispose: () => store.close() } });
      proxy.up = false;

      const conversationId = await startConversation(system.sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(system!.sandbox, conversationId)).length === 1, 'the AI reply while the store is down');
      expect(await sessionsOf(testStore.store, conversationId)).to.deep.equal([]);
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');

      proxy.up = true;
      const [row] = await eventually(async () => {
        const rows = await sessionsOf(testStore!.store, conversationId);
        return rows[0]?.first_ai_reply_at ? rows : undefined;
      }, 'the records once the store is back', 90_000);
      expect(row).to.include({ outcome: 'open', ai_touched: 1, ai_replies: 1, state: 'ai_active' });
    });
  });

  describe('settings take effect per session', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem();
    });
    after(() => system?.close());

    /** The settings file with shipping handled by people from now on. */
    function shippingGoesToPeople(): void {
      const topics = system.settings.topics.map((t) => (t.name === 'shipping' ? { ...t, policy: 'escalate' as const } : t));
      writeFileSync(system.settingsPath, stringify({ ...system.settings, topics }));
    }
    after(() => writeFileSync(system.settingsPath, stringify(system.settings)));

    it('a changed settings file reaches a running conversation at its next session, not in the middle of one', async () => {
      const { sandbox } = system;
      writeFileSync(system.settingsPath, stringify(system.settings));
      const conversationId = await startConversation(sandbox, 'How much does shipping cost?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the first answer');
      shippingGoesToPeople();
      await customerSays(sandbox, conversationId, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the same session still answers shipping');
      expect((await workflowState(system, conversationId)).state).to.equal('ai_active');

      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: sandbox.reps[0]!.id });
      await eventually(async () => (await workflowState(system, conversationId)).state === 'resolved', 'resolved by the rep');
      // Reopened, still the AI agent's: the next message opens session 2 with the AI.
      await sandboxCall(sandbox, 'POST', `/sandbox/conversations/${conversationId}/reopen`, { by: 'user' });
      await customerSays(sandbox, conversationId, 'Do you ship internationally?');
      const state = await eventually(async () => {
        const s = await workflowState(system, conversationId);
        return s.session === 2 && s.state === 'escalated' && s;
      }, 'session 2 following the new file');
      expect(state.escalationRule).to.equal('topic_policy');
    });

    it('the reloadSettings signal applies the file now', async () => {
      const { sandbox } = system;
      writeFileSync(system.settingsPath, stringify(system.settings));
      const conversationId = await startConversation(sandbox, 'How much does shipping cost?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the first answer');
      shippingGoesToPeople();
      await workflowHandle(system, conversationId).signal(reloadSettingsSignal);
      await customerSays(sandbox, conversationId, 'How long does shipping take?');
      const state = await eventually(async () => {
        const s = await workflowState(system, conversationId);
        return s.state === 'escalated' && s;
      }, 'the escalation under the reloaded settings');
      expect(state.escalationRule).to.equal('topic_policy');
      // The workflow says escalated first, then hands the conversation to the queue.
      await eventually(async () => ((await conversationView(sandbox, conversationId)).conversation.assigned_agent_id ?? '') === '', 'the conversation in the queue');
    });
  });
});

interface ToggleableProxy {
  port: number;
  /** false: every connection is cut at once (the database is unreachable). */
  up: boolean;
  close(): Promise<void>;
}

/** A TCP proxy to PostgreSQL that can play an outage. */
async function startProxy(targetPort: number): Promise<ToggleableProxy> {
  const sockets = new Set<Socket>();
  const state = { up: false };
  const server: Server = createServer((client) => {
    if (!state.up) return void client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get up() {
      return state.up;
    },
    set up(value: boolean) {
      state.up = value;
      if (!value) for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
