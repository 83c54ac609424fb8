import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  aiReplies,
  assign,
  conversationView,
  eventually,
  newCustomer,
  repSays,
  sandboxCall,
  sleep,
  startConversation,
  startSystem,
  textOf,
  workflowDecisions,
  workflowState,
  type TestSystem,
} from '../helpers/system.js';
import type { ApiRecordView } from '../../sandbox/control-client.js';
import { lastLookBefore } from '../../soak/checks.js';

/** An OpenAI-compatible endpoint that thinks for a while, and notices when a caller gives up. */
class SlowModel {
  private server?: Server;
  requests = 0;
  aborted = 0;
  answered = 0;
  readonly bodies: string[] = [];

  async start(minMs: number, maxMs: number): Promise<string> {
    this.server = createServer((req, res) => {
      const request = ++this.requests;
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => this.bodies.push(body));
      const delay = minMs + Math.random() * (maxMs - minMs);
      const timer = setTimeout(() => {
        this.answered++;
        const decision = { action: 'reply', reply: 'Here is what I found for you.', topic: 'orders', sentiment: 'neutral', summary: `Summary number ${request}: customer asked about an order.`, reason: 'Answered', confidence: 0.9 };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(decision) }, finish_reason: 'stop' }] }));
      }, delay);
      res.on('close', () => {
        if (!res.writableEnded) {
          clearTimeout(timer);
          this.aborted++;
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('guarantees: no talking over a human, explainable decisions, the customer\'s words', function () {
  this.timeout(240_000);

  describe('the AI never talks over a human', () => {
    const model = new SlowModel();
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      const baseUrl = await model.start(800, 2500);
      system = await startSystem({ ai: { provider: 'openai', baseUrl, apiKey: 'sk-test-never-logged', model: 'slow-model', temperature: 0 } });
    });
    after(async () => {
      await system?.close();
      await model.close();
    });

    it('20 races with random timing: zero AI messages after the rep\'s first action; thinking AI calls are cancelled', async () => {
      const { sandbox } = system;
      const rounds = 20;
      const violations: string[] = [];
      const crossedInFlight: string[] = [];
      const race = async (round: number) => {
        const conversationId = await startConversation(sandbox, `Where is my order number ${round}?`);
        await sleep(Math.random() * 3000);
        // The rep's act, when Freshchat made it, and where the product sees it: in the messages or the conversation.
        let act: { index?: number; at: string; shows: 'messages' | 'conversation' };
        if (round % 2 === 0) {
          const message = await repSays(sandbox, conversationId, 'Hi, a person here. Let me check that for you.', sandbox.reps[round % 2]!.id);
          const messages = (await conversationView(sandbox, conversationId)).messages;
          const index = messages.findIndex((m) => m.id === message.id);
          act = { index, at: messages[index]!.created_time, shows: 'messages' };
        } else {
          const assigned = (await assign(sandbox, conversationId, sandbox.reps[0]!.id)) as { conversation: { updated_time: string } };
          act = { at: assigned.conversation.updated_time, shows: 'conversation' };
        }
        await sleep(3500); // longer than the slowest answer, so a late post would have landed
        const view = await conversationView(sandbox, conversationId);
        const late = view.messages.filter(
          (m, i) =>
            m.actor_id === sandbox.aiAgentId &&
            (m.message_type ?? 'normal') === 'normal' &&
            (act.index !== undefined ? i > act.index : m.created_time > act.at),
        );
        // Freshchat has no conditional post: a rep acting between the product's last look and
        // its post crosses the post in flight (the soak's rule, soak/checks.ts). A post whose
        // last look came after the act is a breach.
        const record = await sandboxCall<ApiRecordView>(sandbox, 'GET', `/sandbox/conversations/${conversationId}/api-record`);
        for (const m of late) {
          const look = lastLookBefore(record, m.id);
          const lastLook = act.shows === 'messages' ? look?.messages : look?.conversation;
          const arrived = record.postArrivals[m.id];
          if (lastLook !== undefined && lastLook <= act.at) crossedInFlight.push(`${conversationId}: looked ${lastLook}, rep ${act.at}, post ${arrived}`);
          else violations.push(`${conversationId}: ${textOf(m)} (last look ${lastLook ?? 'none'}, rep ${act.at}, post ${arrived ?? 'unrecorded'})`);
        }
        const state = await workflowState(system, conversationId);
        if (state.state !== 'human') violations.push(`${conversationId} (round ${round}): state ${state.state}, not human; ${JSON.stringify(await workflowDecisions(system, conversationId))} ${JSON.stringify(view)}`);
        return conversationId;
      };
      const conversations: string[] = [];
      for (let batch = 0; batch < rounds; batch += 5) {
        conversations.push(...(await Promise.all([0, 1, 2, 3, 4].map((i) => race(batch + i)))));
      }
      expect(violations, violations.join('\n')).to.deep.equal([]);
      // The window between the look and the post is a few milliseconds: crossings stay rare.
      expect(crossedInFlight.length, crossedInFlight.join('\n')).to.be.at.most(2);
      // The thinking AI was cancelled for real (its HTTP call aborted), not merely ignored.
      expect(model.aborted, `aborted ${model.aborted} of ${model.requests}`).to.be.greaterThan(0);
      const dropped = (await Promise.all(conversations.map((c) => workflowDecisions(system, c)))).flat().filter((d) => d.rule === 'lost_ownership_race');
      expect(dropped.length).to.be.greaterThan(0);
      expect(dropped.every((d) => d.outcome === 'dropped')).to.equal(true);
    });

    it('drops a post that lost the race inside the posting activity (Freshchat knows before the workflow does)', async () => {
      const steady = new SlowModel();
      const baseUrl = await steady.start(2000, 2000);
      const quiet = await startSystem({ ai: { provider: 'openai', baseUrl, apiKey: 'sk-test-never-logged', model: 'steady-model', temperature: 0 } });
      try {
        const { sandbox } = quiet;
        const conversationId = await startConversation(sandbox, 'Where is my parcel?');
        await eventually(async () => (await workflowState(quiet, conversationId)).state === 'ai_active', 'the AI thinking');
        // The rep's message lands in Freshchat but its webhook never arrives: only the
        // posting activity's own check of Freshchat can see it.
        sandbox.setWebhookUrl('http://127.0.0.1:9/unreachable');
        await repSays(sandbox, conversationId, 'I am on it.');
        const decisions = await eventually(async () => {
          const d = await workflowDecisions(quiet, conversationId);
          return d.some((r) => r.outcome === 'dropped') && d;
        }, 'the dropped post', 20_000);
        expect(decisions.find((r) => r.outcome === 'dropped')).to.include({ rule: 'lost_ownership_race', reason: 'a rep wrote in the conversation' });
        expect(await aiReplies(sandbox, conversationId)).to.have.length(0);
        expect((await workflowState(quiet, conversationId)).state).to.equal('human');
      } finally {
        await quiet.close();
        await steady.close();
      }
    });
  });

  describe('never closing a conversation a human holds', () => {
    it('an inactivity resolution is dropped when a rep has written meanwhile (seen only in Freshchat)', async () => {
      const system = await startSystem({ settings: { conversation: { inactivitySeconds: 2, nudge: false } } });
      try {
        const { sandbox } = system;
        const conversationId = await startConversation(sandbox, 'How long does shipping take?');
        await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the answer');
        sandbox.setWebhookUrl('http://127.0.0.1:9/unreachable');
        await repSays(sandbox, conversationId, 'Hi, I will follow up on this one myself.');
        const decisions = await eventually(async () => {
          const d = await workflowDecisions(system, conversationId);
          return d.some((r) => r.action === 'resolve' && r.outcome === 'dropped') && d;
        }, 'the dropped resolution', 20_000);
        expect(decisions.at(-1)).to.include({ rule: 'lost_ownership_race', reason: 'a rep wrote in the conversation' });
        expect((await conversationView(sandbox, conversationId)).conversation.status).not.to.equal('resolved');
        expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
        expect((await workflowState(system, conversationId)).state).to.equal('human');
      } finally {
        await system.close();
      }
    });
  });

  describe('explainable decisions and the customer\'s language', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem({
        settings: {
          handoff: { phrases: ['talk to a human', 'mit einem Menschen sprechen'] },
          messages: {
            handoff: { default: 'One moment, I am handing you over to our team.', de: 'Einen Moment, ich verbinde Sie mit unserem Team.' },
          },
        },
      });
    });
    after(() => system?.close());

    it('records a decision per turn: action, rule, sources, model, confidence, latency', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How do I reset my password?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'reply');
      const [decision] = await workflowDecisions(system, conversationId);
      expect(decision).to.include({ session: 1, turn: 1, action: 'reply', rule: 'ai_decision', topic: 'account', sentiment: 'neutral', model: 'faq', outcome: 'posted' });
      expect(decision!.sources).to.deep.equal(['faq:password-reset']);
      expect(decision!.confidence).to.be.within(0.5, 1);
      expect(decision!.latencyMs).to.be.a('number').and.at.least(0);
      expect(Date.parse(decision!.at)).to.be.closeTo(Date.now(), 60_000);
    });

    it('speaks the customer\'s language in handoff messages, falling back to the default', async () => {
      const { sandbox } = system;
      const german = await startConversation(sandbox, 'Guten Tag, ich möchte bitte mit einem Menschen sprechen, das Problem ist kompliziert.');
      const [reply] = await eventually(async () => (await aiReplies(sandbox, german)).length === 1 && aiReplies(sandbox, german), 'German handoff');
      expect(textOf(reply!)).to.equal('Einen Moment, ich verbinde Sie mit unserem Team.');
      expect((await workflowState(system, german)).language).to.equal('de');

      const english = await startConversation(sandbox, 'Hello, this is going nowhere. I want to talk to a human being right now please.');
      const [englishReply] = await eventually(async () => (await aiReplies(sandbox, english)).length === 1 && aiReplies(sandbox, english), 'English handoff');
      expect(textOf(englishReply!)).to.equal('One moment, I am handing you over to our team.');
    });
  });

  describe('contacts: one customer, several conversations', () => {
    it('gives the AI the summaries of the contact\'s earlier conversations (two users sharing an email)', async () => {
      const model = new SlowModel();
      const baseUrl = await model.start(10, 20);
      const system = await startSystem({ ai: { provider: 'openai', baseUrl, apiKey: 'sk-test-never-logged', model: 'recording-model', temperature: 0 } });
      try {
        const { sandbox } = system;
        const email = `returning-${Date.now()}@example.com`;
        const first = await startConversation(sandbox, 'Where is my order?', await newCustomer(sandbox, email));
        await eventually(async () => (await aiReplies(sandbox, first)).length === 1, 'first conversation answered');
        const firstSummary = (await workflowState(system, first)).summary!;
        expect(firstSummary).to.match(/^Summary number \d+/);

        const second = await startConversation(sandbox, 'And my other order?', await newCustomer(sandbox, email.toUpperCase()));
        await eventually(async () => (await aiReplies(sandbox, second)).length === 1, 'second conversation answered');
        const lastPrompt = model.bodies.at(-1)!;
        expect(lastPrompt).to.include(firstSummary);
        // The first request of the first conversation knew of no earlier conversation.
        expect(model.bodies[0]).not.to.include('Summary number');
      } finally {
        await system.close();
        await model.close();
      }
    });
  });
});
