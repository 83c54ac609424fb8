/**
 * Runs one scenario against its own system: each step acts in the sandbox as a customer or a
 * rep would (signed webhooks and all), and each `expect` waits for the AI's next outcome and
 * checks it. Outcomes are read where they are recorded: the workflow's decision records and
 * state (queries), and the messages in the sandbox.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { SandboxControl, textOfMessage, type SandboxMessageView } from '../sandbox/control-client.js';
import { conversationWorkflowId, decisionsQuery, stateQuery, type ConversationStateView, type DecisionRecord } from '../workflows/messages.js';
import { decisionProblem, describeDecision, mentionProblems, resolutionProblem } from './expectations.js';
import type { ScenarioSystem } from './harness.js';
import type { Expectation, Scenario, ScenarioStep } from './scenario.js';
import { SimulatedCustomer, type DialogLine, type SimulatorConfig } from './simulated-customer.js';

export interface TranscriptLine {
  at: string;
  /** customer, AI, AI (private note), Alice (rep), system */
  who: string;
  text: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  passed: boolean;
  /** Why it did not run (a simulated customer without a simulator endpoint); not a failure. */
  skipped?: string;
  /** The first step that failed (1-based) and why. */
  failure?: { step: number; message: string };
  durationMs: number;
  conversationId?: string;
  workflowId?: string;
  transcript: TranscriptLine[];
  decisions: DecisionRecord[];
}

/** What the scenario could see at one moment. */
interface Observation {
  decisions: DecisionRecord[];
  view?: ConversationStateView;
  /** The AI's customer-facing messages, oldest first. */
  aiPosts: string[];
  /** The AI's private notes to the reps, oldest first. */
  notes: string[];
  messages: SandboxMessageView[];
}

class StepFailure extends Error {}

const pollMs = 200;

export interface ScenarioRunner {
  client: Client;
  startScenarioSystem(scenario: Scenario): Promise<ScenarioSystem>;
  /** The endpoint of simulated customers; none: persona scenarios are skipped. */
  simulator?: SimulatorConfig;
}

export async function runScenario(scenario: Scenario, runner: ScenarioRunner): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = { scenario, passed: false, durationMs: 0, transcript: [], decisions: [] };
  const persona = scenario.simulatedCustomer;
  if (persona && !runner.simulator) {
    return { ...result, passed: true, skipped: 'a simulated customer needs SIMULATOR_BASE_URL, SIMULATOR_API_KEY and SIMULATOR_MODEL (or AI_PROVIDER=openai)' };
  }
  let system: ScenarioSystem | undefined;
  try {
    system = await runner.startScenarioSystem(scenario);
    const run = new ScenarioRun(scenario, runner.client, system);
    await run.prepare();
    result.conversationId = run.conversationId;
    result.workflowId = conversationWorkflowId(run.conversationId);
    if (persona) {
      try {
        await run.converse(new SimulatedCustomer(runner.simulator!, persona.persona, persona.goal), persona.maxTurns);
      } catch (error) {
        result.failure = { step: 0, message: `the simulated customer: ${(error as Error).message}` };
      }
    }
    for (const [index, step] of scenario.steps.entries()) {
      if (result.failure) break;
      try {
        await run.step(step);
      } catch (error) {
        result.failure = { step: index + 1, message: `${stepLabel(step)}: ${(error as Error).message}` };
        break;
      }
    }
    result.passed = !result.failure;
    const last = await run.observe();
    result.decisions = last.decisions;
    result.transcript = run.transcriptOf(last.messages);
    await run.finish();
  } catch (error) {
    result.failure ??= { step: 0, message: `the scenario could not run: ${(error as Error).message}` };
    result.passed = false;
  } finally {
    await system?.close().catch(() => undefined);
    result.durationMs = Date.now() - started;
  }
  return result;
}

/** Runs the scenarios, `concurrency` at a time; results in the scenarios' order. */
export async function runScenarios(
  scenarios: Scenario[],
  concurrency: number,
  run: (scenario: Scenario) => Promise<ScenarioResult>,
  onResult: (result: ScenarioResult) => void = () => undefined,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  const lane = async () => {
    while (next < scenarios.length) {
      const index = next++;
      results[index] = await run(scenarios[index]!);
      onResult(results[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenarios.length) }, lane));
  return results;
}

export function stepLabel(step: ScenarioStep): string {
  if ('expect' in step) {
    const e = step.expect;
    return `expect ${'action' in e ? e.action : Object.keys(e)[0]}`;
  }
  if ('rep' in step) return `rep ${Object.keys(step.rep)[0]}`;
  return Object.keys(step)[0]!;
}

class ScenarioRun {
  private readonly control: SandboxControl;
  private readonly rep: { id: string; email: string };
  conversationId = '';
  /** Decision records already accounted for by an expectation. */
  private decisionsSeen = 0;
  /** Customer-facing AI messages already accounted for. */
  private postsSeen = 0;
  /** Private notes already checked by a `note` expectation. */
  private notesChecked = 0;
  /** Private notes that belong to handoffs and resolutions already seen complete. */
  private notesSettled = 0;
  /**
   * After a simulated customer is done, expectations look back over the whole conversation:
   * each matches a decision after the one the previous matched, others may come between.
   */
  private lookBack = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly client: Client,
    private readonly system: ScenarioSystem,
  ) {
    this.control = new SandboxControl(system.sandbox.baseUrl);
    this.rep = system.sandbox.reps[0]!;
  }

  async prepare(): Promise<void> {
    const customer = await this.control.createCustomer(`customer-${randomUUID().slice(0, 8)}@simulation.test`, 'Casey');
    this.conversationId = await this.control.createConversation(customer);
  }

  async step(step: ScenarioStep): Promise<void> {
    const id = this.conversationId;
    if ('customer' in step) await this.control.customerSays(id, step.customer);
    else if ('wait' in step) await sleep(step.wait * 1000);
    else if ('reopen' in step) await this.control.reopen(id, this.rep.id);
    else if ('rep' in step) {
      const action = step.rep;
      if ('says' in action) await this.control.repSays(id, this.rep.id, action.says);
      else if ('assigns' in action) await this.control.assign(id, action.assigns === 'me' ? this.rep.id : this.system.sandbox.aiAgentId, this.rep.id);
      else if ('unassigns' in action) await this.control.assign(id, null, this.rep.id);
      else await this.control.resolve(id, this.rep.id);
    } else await this.expect(step.expect);
  }

  /**
   * The simulated customer writes, the AI answers, until the customer is done, the AI is no
   * longer the one answering (a handoff, a resolution), or `maxTurns` messages were written.
   */
  async converse(customer: SimulatedCustomer, maxTurns: number): Promise<void> {
    for (let turn = 0; turn < maxTurns; turn++) {
      const observed = await this.observe();
      if (turn > 0 && observed.view?.state !== 'ai_active') break;
      const text = await customer.next(this.dialogOf(observed.messages));
      if (text === undefined) break;
      await this.control.customerSays(this.conversationId, text);
      const decided = await this.waitFor('the AI decision', (o) => o.decisions.length > this.decisionsSeen);
      const decision = decided.decisions.at(-1)!;
      this.decisionsSeen = decided.decisions.length;
      const settled = await this.waitFor('the outcome in Freshchat', (o) =>
        decision.outcome === 'posted' ? o.aiPosts.length > this.postsSeen : decision.outcome === 'escalated' ? o.notes.length > this.notesSettled : decision.outcome !== 'resolved' || o.view?.state === 'resolved',
      );
      this.postsSeen = settled.aiPosts.length;
      this.notesSettled = settled.notes.length;
    }
    this.lookBack = true;
    this.decisionsSeen = 0;
  }

  private dialogOf(messages: SandboxMessageView[]): DialogLine[] {
    return messages
      .filter((m) => m.actor_type === 'user' || (m.actor_type === 'agent' && m.message_type !== 'private'))
      .map((m) => ({ from: m.actor_type === 'user' ? 'customer' : 'support', text: textOfMessage(m) }));
  }

  private async expect(expected: Expectation): Promise<void> {
    if ('action' in expected && this.lookBack) {
      const observed = await this.observe();
      const index = observed.decisions.findIndex((d, i) => i >= this.decisionsSeen && !decisionProblem(expected, d));
      if (index < 0) {
        const seen = observed.decisions.map((d) => describeDecision(d)).join('; ') || 'none';
        throw new StepFailure(`no decision ${this.decisionsSeen > 0 ? 'after the one matched before ' : ''}matches; the AI decided: ${seen}`);
      }
      this.decisionsSeen = index + 1;
      const said = observed.aiPosts.join('\n');
      const problems = mentionProblems(said, expected.mentions, expected.notMentions);
      if (problems.length > 0) throw new StepFailure(`what the AI said to the customer ${problems.join(', ')}: "${clip(said)}"`);
      const unresolved = expected.action === 'resolve' ? resolutionProblem(expected.resolution, observed.view?.resolutionKind) : undefined;
      if (unresolved) throw new StepFailure(unresolved);
      return;
    }
    if ('action' in expected) {
      const observed = await this.waitFor('the AI decision', (o) => o.decisions.length > this.decisionsSeen);
      const decision = observed.decisions[this.decisionsSeen++]!;
      const problem = decisionProblem(expected, decision);
      if (problem) throw new StepFailure(problem);
      if (expected.action === 'reply') {
        const posted = await this.waitFor('the reply in Freshchat', (o) => o.aiPosts.length > this.postsSeen);
        const text = posted.aiPosts.slice(this.postsSeen).join('\n');
        this.postsSeen = posted.aiPosts.length;
        const problems = mentionProblems(text, expected.mentions, expected.notMentions);
        if (problems.length > 0) throw new StepFailure(`the reply ${problems.join(', ')}: "${clip(text)}"`);
        return;
      }
      // A handoff or a resolution is complete when its private note is posted (the customer's notice came before it).
      const settled = await this.waitFor(expected.action === 'escalate' ? 'the handoff note' : 'the resolution in Freshchat', (o) =>
        o.notes.length > this.notesSettled && (expected.action === 'escalate' || o.view?.state === 'resolved'),
      );
      this.notesSettled = settled.notes.length;
      const said = settled.aiPosts.slice(this.postsSeen).join('\n');
      this.postsSeen = settled.aiPosts.length;
      const unresolved = expected.action === 'resolve' ? resolutionProblem(expected.resolution, settled.view?.resolutionKind) : undefined;
      if (unresolved) throw new StepFailure(unresolved);
      const problems = mentionProblems(said, expected.mentions, expected.notMentions);
      if (problems.length > 0) throw new StepFailure(`what the AI said to the customer ${problems.join(', ')}: "${clip(said)}"`);
      return;
    }
    if ('silent' in expected) {
      await sleep(this.scenario.quietSeconds * 1000);
      const observed = await this.observe();
      const posts = observed.aiPosts.slice(this.postsSeen);
      // Decisions that posted nothing (a takeover dropped them) are part of the silence.
      this.decisionsSeen = observed.decisions.length;
      if (posts.length > 0) throw new StepFailure(`the AI posted ${posts.length} customer-facing message(s): "${clip(posts.join('\n'))}"`);
      return;
    }
    if ('note' in expected) {
      const observed = await this.waitFor('a private note', (o) => o.notes.length > this.notesChecked);
      const note = observed.notes[this.notesChecked++]!;
      const problems = mentionProblems(note, expected.note.mentions);
      if (problems.length > 0) throw new StepFailure(`the note ${problems.join(', ')}: "${clip(note)}"`);
      return;
    }
    await this.waitFor(`the state ${expected.state}`, (o) => o.view?.state === expected.state);
  }

  /** Polls until `done` holds, for up to the scenario's timeout; the failure says what was seen last. */
  private async waitFor(what: string, done: (observation: Observation) => boolean): Promise<Observation> {
    const deadline = Date.now() + this.scenario.timeoutSeconds * 1000;
    for (;;) {
      const observed = await this.observe();
      if (done(observed)) return observed;
      if (Date.now() > deadline) {
        const state = observed.view ? `state ${observed.view.state}` : 'no workflow yet';
        throw new StepFailure(`no ${what} within ${this.scenario.timeoutSeconds} s (${state}; ${observed.decisions.length} decision(s), ${this.decisionsSeen} accounted for)`);
      }
      await sleep(pollMs);
    }
  }

  async observe(): Promise<Observation> {
    const handle = this.client.workflow.getHandle(conversationWorkflowId(this.conversationId));
    const [decisions, view, conversation] = await Promise.all([
      handle.query(decisionsQuery).catch(() => [] as DecisionRecord[]),
      handle.query(stateQuery).catch(() => undefined),
      this.control.conversation(this.conversationId),
    ]);
    const ai = conversation.messages.filter((m) => m.actor_type === 'agent' && m.actor_id === this.system.sandbox.aiAgentId);
    return {
      decisions,
      view,
      aiPosts: ai.filter((m) => m.message_type !== 'private').map(textOfMessage),
      notes: ai.filter((m) => m.message_type === 'private').map(textOfMessage),
      messages: conversation.messages,
    };
  }

  transcriptOf(messages: SandboxMessageView[]): TranscriptLine[] {
    const aiId = this.system.sandbox.aiAgentId;
    return messages.map((m) => {
      const role = m.actor_type === 'user' ? 'customer' : m.actor_type === 'agent' ? (m.actor_id === aiId ? 'AI' : `rep ${m.actor_id === this.rep.id ? this.rep.email : m.actor_id}`) : m.actor_type;
      return { at: m.created_time, who: m.message_type === 'private' ? `${role} (private note)` : role, text: textOfMessage(m) };
    });
  }

  /** The workflow is the run's alone: it ends with the scenario (on a shared cluster nothing is left running). */
  async finish(): Promise<void> {
    await this.client.workflow
      .getHandle(conversationWorkflowId(this.conversationId))
      .terminate('simulation finished')
      .catch(() => undefined);
  }
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text).replace(/\n/g, ' ⏎ ');
