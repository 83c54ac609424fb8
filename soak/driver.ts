/**
 * The stream of conversations: C lanes, each playing one conversation after another (a new
 * customer, then up to a bounded number of steps at random intervals) until the stream's end.
 * Every call has a timeout (the sandbox client's) and every loop a bound in count and time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxControl } from '../sandbox/control-client.js';
import { seededRandom } from '../lib/seeded-random.js';
import { between, customerText, nextStep, pick, type Observed, type Step } from './behaviour.js';

export interface StreamCounts {
  conversations: number;
  customerMessages: number;
  bursts: number;
  askHuman: number;
  askColleague: number;
  thanks: number;
  repWrites: number;
  repTakes: number;
  repResolves: number;
  repToQueue: number;
  handBacks: number;
  reopens: number;
  redeliveries: number;
  /** Sandbox calls that failed (the soak goes on; they are not the product's). */
  driverErrors: number;
}

export interface StreamOptions {
  control: SandboxControl;
  seed: number;
  concurrency: number;
  /** Epoch ms: no new step starts after this. */
  until: number;
  aiAgentId: string;
  repIds: string[];
  maxStepsPerConversation?: number;
  /** Conversation ids, as they are created. */
  conversationIds: string[];
}

export function emptyCounts(): StreamCounts {
  return {
    conversations: 0, customerMessages: 0, bursts: 0, askHuman: 0, askColleague: 0, thanks: 0, repWrites: 0, repTakes: 0,
    repResolves: 0, repToQueue: 0, handBacks: 0, reopens: 0, redeliveries: 0, driverErrors: 0,
  };
}

export async function runConversationStream(options: StreamOptions, counts: StreamCounts): Promise<void> {
  const lanes = Array.from({ length: options.concurrency }, (_, lane) => runLane(options, counts, seededRandom(options.seed * 1000 + lane), lane));
  await Promise.all(lanes);
}

async function runLane(options: StreamOptions, counts: StreamCounts, random: () => number, lane: number): Promise<void> {
  const { control } = options;
  // Lanes start spread out, so conversations do not all move in step.
  await sleep(between(random, 0, 3000));
  for (let n = 0; Date.now() < options.until && n < 10_000; n++) {
    let conversationId: string;
    try {
      const userId = await control.createCustomer(`soak-${options.seed}-${lane}-${n}@example.com`, 'Casey');
      conversationId = await control.createConversation(userId);
      options.conversationIds.push(conversationId);
      counts.conversations++;
      await control.customerSays(conversationId, customerText.question(random));
      counts.customerMessages++;
    } catch {
      counts.driverErrors++;
      await sleep(1000);
      continue;
    }
    const steps = 3 + Math.floor(random() * ((options.maxStepsPerConversation ?? 10) - 2));
    for (let s = 0; s < steps && Date.now() < options.until; s++) {
      await sleep(between(random, 800, 5000));
      try {
        const observed = await observe(control, conversationId, options.aiAgentId);
        await perform(options, counts, random, conversationId, nextStep(random, observed), observed);
      } catch {
        counts.driverErrors++;
      }
    }
  }
}

async function observe(control: SandboxControl, conversationId: string, aiAgentId: string): Promise<Observed> {
  const { conversation } = await control.conversation(conversationId);
  const assigned = conversation.assigned_agent_id ?? '';
  return { status: conversation.status, holder: assigned === '' ? '' : assigned === aiAgentId ? 'ai' : 'rep' };
}

async function perform(options: StreamOptions, counts: StreamCounts, random: () => number, conversationId: string, step: Step, observed: Observed): Promise<void> {
  const { control } = options;
  const rep = pick(random, options.repIds);
  const say = async (text: string) => {
    if (observed.status === 'resolved') counts.reopens++;
    observed.status = 'open';
    await control.customerSays(conversationId, text);
    counts.customerMessages++;
  };
  switch (step.kind) {
    case 'message':
      return say(customerText.question(random));
    case 'burst':
      counts.bursts++;
      for (let i = 0; i < step.count; i++) {
        if (i > 0) await sleep(between(random, 100, 350));
        await say(customerText.question(random));
      }
      return;
    case 'ask_human':
      counts.askHuman++;
      return say(customerText.askHuman);
    case 'ask_colleague':
      counts.askColleague++;
      return say(customerText.askColleague);
    case 'thanks':
      counts.thanks++;
      return say(customerText.thanks);
    case 'rep_writes':
      counts.repWrites++;
      await control.repSays(conversationId, rep, customerText.rep);
      return;
    case 'rep_takes':
      counts.repTakes++;
      return control.assign(conversationId, rep, rep);
    case 'rep_resolves':
      counts.repResolves++;
      return control.resolve(conversationId, rep);
    case 'rep_to_queue':
      counts.repToQueue++;
      return control.assign(conversationId, null, rep);
    case 'hand_back':
      counts.handBacks++;
      return control.assign(conversationId, options.aiAgentId, rep);
    case 'redeliver': {
      const deliveries = await control.webhooks(conversationId);
      if (deliveries.length === 0) return;
      counts.redeliveries++;
      await control.redeliver(pick(random, deliveries).id);
      return;
    }
  }
}
