/**
 * Everything going wrong at once, on a seeded schedule, each loop bounded in count and time:
 * a worker SIGKILLed every 20–60 s (one at a time) and started again; the sandbox answering
 * 429 with Retry-After, 5xx, slowly, or taking a post and then failing its answer, for short
 * periods; the AI endpoint failing or hanging for short periods.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxControl } from '../sandbox/control-client.js';
import { between, pick } from './behaviour.js';
import type { AiStub, OutageMode } from './ai-stub.js';
import type { WorkerPool } from './worker-pool.js';

export interface ChaosCounts {
  kills: number;
  serverRestarts: number;
  faults: Record<'rate_limited' | 'server_error' | 'slow' | 'post_then_error', number>;
  outages: Record<OutageMode, number>;
}

export function emptyChaosCounts(): ChaosCounts {
  return { kills: 0, serverRestarts: 0, faults: { rate_limited: 0, server_error: 0, slow: 0, post_then_error: 0 }, outages: { fail: 0, hang: 0 } };
}

/** Sleeps, or returns false at once when the run is over. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export async function killWorkers(pool: WorkerPool, random: () => number, counts: ChaosCounts, signal: AbortSignal): Promise<void> {
  for (let n = 0; n < 1000 && (await wait(between(random, 20_000, 60_000), signal)); n++) {
    await pool.killAndRestart(Math.floor(random() * pool.size));
    counts.kills++;
  }
}

type FaultKind = keyof ChaosCounts['faults'];

/** Short periods of a misbehaving Freshchat API: armed for a few requests, cleared after a few seconds at most. */
export async function sandboxFaults(control: SandboxControl, random: () => number, counts: ChaosCounts, signal: AbortSignal): Promise<void> {
  const kinds: FaultKind[] = ['rate_limited', 'server_error', 'slow', 'post_then_error'];
  for (let n = 0; n < 1000 && (await wait(between(random, 4000, 12_000), signal)); n++) {
    const kind = pick(random, kinds);
    const times = 2 + Math.floor(random() * 6);
    const specs = {
      rate_limited: { path: '^/v2/', status: 429, retryAfterSeconds: 1 + Math.floor(random() * 2), times },
      server_error: { path: '^/v2/', status: pick(random, [500, 502, 503]), times },
      slow: { path: '^/v2/', delayMs: 500 + Math.floor(random() * 2500), times },
      // The nastiest: the post lands in Freshchat, its answer is an error (the activity retries it).
      post_then_error: { method: 'POST', path: '/messages$', status: 503, afterEffect: true, delayMs: 200, times: 1 + Math.floor(random() * 2) },
    } as const;
    try {
      await control.addFault(specs[kind]);
      counts.faults[kind]++;
      await wait(between(random, 1500, 6000), signal);
    } finally {
      await control.clearFaults().catch(() => undefined);
    }
  }
}

export async function aiOutages(ai: AiStub, random: () => number, counts: ChaosCounts, signal: AbortSignal): Promise<void> {
  for (let n = 0; n < 1000 && (await wait(between(random, 10_000, 30_000), signal)); n++) {
    const mode: OutageMode = random() < 0.5 ? 'fail' : 'hang';
    ai.startOutage(mode);
    counts.outages[mode]++;
    await wait(between(random, 3000, 10_000), signal);
    ai.endOutage();
  }
  ai.endOutage();
}
