import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from '@temporalio/client';
import { conversationWorkflowId, type ConversationStateView, type DecisionRecord } from '../../workflows/messages.js';
import { freePort, suggestContinueAsNewAfterEvents } from '../helpers/temporal-server.js';
import {
  aiReplies,
  conversationView,
  customerSays,
  eventually,
  privateNotes,
  repoRoot,
  redeliver,
  sandboxCall,
  sleep,
  startConversation,
  startSystem,
  testEncryptionKeySetting,
  textOf,
  workflowDecisions,
  workflowHandle,
  workflowState,
  workerProcessEnv,
  type TestSystem,
} from '../helpers/system.js';

const run = promisify(execFile);

describe('ops from the temporal CLI, worker crashes, continue-as-new (real server)', function () {
  this.timeout(180_000);

  describe('ops interventions with the temporal CLI', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem();
    });
    after(() => system?.close());

    /** Exactly the commands the README documents, with the codec server for readable payloads. */
    async function temporal(...args: string[]): Promise<string> {
      const { stdout } = await run(system.server.cliPath, [...args, '--address', system.server.address, '--namespace', 'default', '--codec-endpoint', `${system.opsUrl}/codec`], { timeout: 30_000 });
      return stdout;
    }

    it('queries state and decisions, forces a handoff, hands back to the AI, resolves', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      const workflowId = conversationWorkflowId(conversationId);

      const state = JSON.parse(await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', 'state', '--output', 'json')) as { queryResult: ConversationStateView[] };
      expect(state.queryResult[0]).to.include({ state: 'ai_active', mode: 'auto', session: 1 });

      await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'forceHandoff', '--input', '{"reason":"VIP customer, handled by the account team"}');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'escalated', 'forced handoff');
      const notes = await eventually(async () => (await privateNotes(sandbox, conversationId)).length === 1 && privateNotes(sandbox, conversationId), 'handoff note');
      expect(textOf(notes[0]!)).to.include('Reason: VIP customer, handled by the account team');
      expect(textOf(notes[0]!)).to.include('ops_signal');

      // "Why did the AI hand this off?" — one documented command.
      const decisions = JSON.parse(await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', 'decisions', '--output', 'json')) as { queryResult: DecisionRecord[][] };
      const last = decisions.queryResult[0]!.at(-1)!;
      expect(last).to.include({ action: 'escalate', rule: 'ops_signal', reason: 'VIP customer, handled by the account team' });

      await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'handBackToAi');
      await eventually(async () => (await workflowState(system, conversationId)).state === 'ai_active', 'handed back');
      expect((await conversationView(sandbox, conversationId)).conversation.assigned_agent_id).to.equal(sandbox.aiAgentId);
      await customerSays(sandbox, conversationId, 'How much does shipping cost?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 3, 'the AI answering again after the handback');

      await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'resolveConversation', '--input', '{"reason":"duplicate of another chat"}');
      await eventually(async () => (await conversationView(sandbox, conversationId)).conversation.status === 'resolved', 'resolved by ops');
      expect(await workflowState(system, conversationId)).to.include({ state: 'resolved', resolvedBy: 'ops' });

      const listed = await eventually(async () => {
        const out = await temporal('workflow', 'list', '--query', `FreshchatConversationId = '${conversationId}' AND ResolvedBy = 'ops'`, '--output', 'json');
        return out.includes(workflowId) && out;
      }, 'the workflow found by search attributes');
      expect(listed).to.include(workflowId);
    });

    it('resets a workflow to its last workflow task and terminates one, as the README shows', async () => {
      const { sandbox } = system;
      const conversationId = await startConversation(sandbox, 'How do I reset my password?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'first reply');
      const workflowId = conversationWorkflowId(conversationId);
      const before = await workflowHandle(system, conversationId).describe();
      await temporal('workflow', 'reset', '--workflow-id', workflowId, '--type', 'LastWorkflowTask', '--reason', 'test reset');
      const after = await eventually(async () => {
        const d = await system.client.workflow.getHandle(workflowId).describe();
        return d.runId !== before.runId && d;
      }, 'a new run after reset');
      expect(after.status.name).to.equal('RUNNING');
      expect((await workflowState(system, conversationId)).counters.aiReplies).to.equal(1);

      await temporal('workflow', 'terminate', '--workflow-id', workflowId, '--reason', 'stuck, test');
      const terminated = await system.client.workflow.getHandle(workflowId).describe();
      expect(terminated.status.name).to.equal('TERMINATED');
    });
  });

  describe('a worker killed in the middle of posting a reply', () => {
    let system: TestSystem;
    let child: ChildProcess | undefined;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem({ startWorker: false });
    });
    after(async () => {
      child?.kill('SIGKILL');
      await system?.close();
    });

    /** `npm run worker` as operators run it: only environment variables. */
    function startChildWorker(): ChildProcess {
      const env = { ...workerProcessEnv(system), FRESHCHAT_ROUTING_MODE: 'auto', LOG_LEVEL: 'warn' };
      const worker = spawn(process.execPath, ['dist/worker/main.js'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
      worker.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child worker] ${d}`));
      return worker;
    }

    it('posts exactly one reply after the restart (the retried attempt finds the first post)', async () => {
      const { sandbox } = system;
      // The post lands in Freshchat, but its answer never comes back before the worker dies.
      await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages$', delayMs: 60_000, afterEffect: true, times: 1 });
      child = startChildWorker();
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 1, 'the reply stored in Freshchat', 30_000);
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));

      child = startChildWorker();
      // The activity's start-to-close timeout expires, the retry runs on the new worker.
      await eventually(async () => (await workflowState(system, conversationId)).counters.aiReplies === 1, 'the reply recorded by the workflow', 60_000);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(1);
      const decisions = await workflowDecisions(system, conversationId);
      expect(decisions.filter((d) => d.outcome === 'posted')).to.have.length(1);

      await customerSays(sandbox, conversationId, 'How much does shipping cost?');
      await eventually(async () => (await aiReplies(sandbox, conversationId)).length === 2, 'the next answer');
      await sleep(1000);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(2);
    });
  });

  describe('`npm run api` as operators run it', () => {
    it('starts from environment variables alone on a namespace it has never seen, registers the search attributes, and hands a signed webhook to Temporal', async () => {
      const system = await startSystem({ startWorker: false });
      const namespace = `fresh-${Date.now()}`;
      await run(system.server.cliPath, ['operator', 'namespace', 'create', '--address', system.server.address, '--namespace', namespace]);
      const [port, opsPort] = [await freePort(), await freePort()];
      const api = spawn(process.execPath, ['dist/api/main.js'], {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: system.server.address,
          TEMPORAL_NAMESPACE: namespace,
          TEMPORAL_TASK_QUEUE: system.taskQueue,
          FRESHCHAT_WEBHOOK_PUBLIC_KEY: system.sandbox.publicKeyOneLine,
          PAYLOAD_ENCRYPTION_KEYS: testEncryptionKeySetting,
          PORT: String(port),
          OPS_PORT: String(opsPort),
          LOG_LEVEL: 'warn',
        },
      });
      let stderr = '';
      api.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      try {
        await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 'the API ready', 30_000).catch((error: Error) => {
          throw new Error(`${error.message}; the API wrote: ${stderr.slice(0, 2000)}`);
        });
        system.sandbox.setWebhookUrl(`http://127.0.0.1:${port}/webhooks/freshchat`);
        const conversationId = await startConversation(system.sandbox, 'Hello from a customer');
        const inFresh = new Client({ connection: system.server.env.connection, namespace });
        const description = await eventually(
          async () => inFresh.workflow.getHandle(conversationWorkflowId(conversationId)).describe(),
          'the workflow started by the API process',
          30_000,
        );
        expect(description.type).to.equal('conversationWorkflow');
        expect(description.taskQueue).to.equal(system.taskQueue);
        expect(description.searchAttributes.FreshchatConversationId).to.deep.equal([conversationId]);
      } finally {
        api.kill('SIGTERM');
        await system.close();
      }
    });
  });

  describe('a long conversation', () => {
    let system: TestSystem;
    before(async function () {
      this.timeout(600_000);
      system = await startSystem({ settings: { conversation: { quietWindowSeconds: 0.1 } } });
    });
    after(() => system?.close());

    it('continues as new, carrying state, decisions and the de-duplication memory; history per turn stays flat', async () => {
      const { sandbox } = system;
      const question = 'How long does shipping take?';
      const conversationId = await startConversation(sandbox, question);
      const turns = 30;
      for (let turn = 1; turn <= turns; turn++) {
        await eventually(async () => (await aiReplies(sandbox, conversationId)).length === turn, `reply ${turn}`);
        if (turn < turns) await customerSays(sandbox, conversationId, question);
      }
      const state = await workflowState(system, conversationId);
      expect(state.counters.continuedAsNew, 'continued as new at least once').to.be.greaterThan(0);
      expect(state.counters.aiReplies).to.equal(turns);
      expect(state.counters.customerMessages).to.equal(turns);
      expect(await workflowDecisions(system, conversationId)).to.have.length(turns);

      // A redelivery of the very first message, from before continue-as-new, is still recognised.
      const deliveries = await sandboxCall<Array<{ id: string; action: string; body: string }>>(sandbox, 'GET', `/sandbox/webhooks?conversation_id=${conversationId}`);
      const first = deliveries.find((d) => d.action === 'message_create' && JSON.parse(d.body).actor.actor_type === 'user')!;
      // At-least-once: a slow answer during the 30 turns may already have brought a retry.
      const ignoredBefore = (await workflowState(system, conversationId)).counters.duplicatesIgnored;
      const redeliveries = await redeliver(sandbox, first.id);
      await eventually(async () => (await workflowState(system, conversationId)).counters.duplicatesIgnored >= ignoredBefore + redeliveries, 'the duplicate recognised');
      await sleep(800);
      expect(await aiReplies(sandbox, conversationId)).to.have.length(turns);

      const perTurn = await historyBytesPerTurn(system, conversationId);
      expect(perTurn.length).to.be.greaterThan(turns / 2);
      const early = median(perTurn.slice(1, 6));
      const late = median(perTurn.slice(-5));
      expect(Math.abs(late - early) / early, `early ${early} B/turn vs late ${late} B/turn`).to.be.lessThan(0.2);
      expect(suggestContinueAsNewAfterEvents).to.be.lessThan(1000);
    });
  });
});

/**
 * Bytes of history each AI turn adds, across every run of the workflow: the events from one
 * AI call (`decideNextStep` scheduled) to the next, excluding turns that straddle a
 * continue-as-new.
 */
async function historyBytesPerTurn(system: TestSystem, conversationId: string): Promise<number[]> {
  const workflowId = conversationWorkflowId(conversationId);
  const runs: string[] = [];
  for await (const wf of system.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
  const perTurn: Array<{ at: number; bytes: number }> = [];
  for (const runId of runs) {
    const history = await system.client.workflow.getHandle(workflowId, runId).fetchHistory();
    let current: { at: number; bytes: number } | undefined;
    for (const event of history.events ?? []) {
      const size = Buffer.byteLength(JSON.stringify(event));
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'decideNextStep') {
        if (current) perTurn.push(current);
        current = { at: Number(event.eventTime?.seconds ?? 0), bytes: 0 };
      }
      if (event.workflowExecutionContinuedAsNewEventAttributes) current = undefined;
      if (current) current.bytes += size;
    }
  }
  return perTurn.sort((a, b) => a.at - b.at).map((t) => t.bytes);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('a worker started while Temporal is down (found by the soak: it exited at once)', function () {
  this.timeout(180_000);

  it('waits for the server and then polls, instead of exiting', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startDevServer } = await import('../../scripts/dev-server.js');
    const [port, uiPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'fc-late-temporal-'));
    const taskQueue = `late-${Date.now()}`;
    const worker = spawn(process.execPath, ['dist/worker/main.js'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn',
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue,
        FRESHCHAT_API_URL: 'http://127.0.0.1:9/v2', FRESHCHAT_API_TOKEN: 'token', FRESHCHAT_AI_AGENT_EMAIL: 'ai@example.test',
        PAYLOAD_ENCRYPTION_KEYS: testEncryptionKeySetting, SQLITE_PATH: join(dir, 'store.sqlite'),
      },
    });
    let stderr = '';
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      await sleep(4000);
      expect(worker.exitCode, `the worker exited while Temporal was down: ${stderr.slice(0, 1000)}`).to.equal(null);
      server = await startDevServer({ dataDir: join(dir, 'temporal'), port, uiPort, log: () => undefined });
      const client = new Client({ connection: await (await import('@temporalio/client')).Connection.connect({ address: server.address }) });
      await eventually(async () => {
        const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
        return (pollers?.length ?? 0) > 0;
      }, 'the worker polling once Temporal is up', 90_000);
      await client.connection.close();
    } finally {
      worker.kill('SIGKILL');
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
