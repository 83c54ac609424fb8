/**
 * `npm run soak -- --minutes 2` in the suite (issue 16): a stream of conversations with random
 * customer and rep behaviour while worker processes are SIGKILLed, the Temporal server restarts,
 * the sandbox answers 429/5xx/slowly and the AI has outages; then the verdict from the sandbox's
 * record and the workflows' state. The soak is its own process with its own Temporal server, as
 * an operator runs it; the test reads its last line (`SOAK RESULT {json}`).
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { repoRoot } from '../helpers/system.js';

interface SoakResult {
  seed: number;
  customerMessages: number;
  aiReplies: number;
  outcomes: Record<'ai_reply' | 'handoff' | 'rep', number>;
  deliveries: { total: number; delivered: number; failed: number; pending: number };
  chaos: { kills: number; serverRestarts: number; faults: Record<string, number>; outages: Record<string, number>; workerExitsUnprompted: number };
  stream: { reopens: number; redeliveries: number; repTakes: number; repResolves: number };
  breachTotal: number;
  breachDetails: unknown[];
}

/** Seed 8 found the last defect (the AI resolving over a customer's later messages); the suite keeps it. */
const seed = 8;

function runSoak(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/benchmarks/soak.js', '--minutes', '2', '--seed', String(seed), '--drain-seconds', '120'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Bounded: 2 minutes of stream, up to 2 of drain, start-up and the checks; then it is a failure.
    const limit = setTimeout(() => child.kill('SIGINT'), 420_000);
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the 2-minute soak (npm run soak, its own process and Temporal server)', function () {
  this.timeout(480_000);

  it('ends with no breach: every customer message has one outcome, nothing posted twice, nothing over a human, no workflow failed or stuck', async () => {
    const run = await runSoak();
    const line = run.stdout.split('\n').find((l) => l.startsWith('SOAK RESULT '));
    const output = `${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`;
    expect(line, `no SOAK RESULT line (exit ${run.code}):\n${output}`).to.be.a('string');
    const result = JSON.parse(line!.slice('SOAK RESULT '.length)) as SoakResult;
    expect(result.breachTotal, `breaches: ${JSON.stringify(result.breachDetails, null, 1)}\n${output}`).to.equal(0);
    expect(run.code).to.equal(0);
    // The run was a real one: traffic of every kind, and every fault happened.
    expect(result.customerMessages).to.be.greaterThan(200);
    expect(result.aiReplies).to.be.greaterThan(50);
    expect(result.outcomes.handoff).to.be.greaterThan(0);
    expect(result.outcomes.rep).to.be.greaterThan(0);
    expect(result.outcomes.ai_reply + result.outcomes.handoff + result.outcomes.rep).to.equal(result.customerMessages);
    // Every webhook was delivered or given up on, none left pending. Giving up happens: the sandbox retries 5 times
    // over about 6 s, and the Temporal restart can outlast that (the API answers 503 meanwhile). Those events were
    // never accepted; the breach checks above prove the product caught up with them (reconciliation, lost assignments).
    expect(result.deliveries.pending).to.equal(0);
    expect(result.deliveries.delivered + result.deliveries.failed).to.equal(result.deliveries.total);
    expect(result.deliveries.failed).to.be.at.most(Math.ceil(result.deliveries.total / 100));
    expect(result.stream.reopens).to.be.greaterThan(0);
    expect(result.stream.redeliveries).to.be.greaterThan(0);
    expect(result.chaos.kills).to.be.greaterThan(0);
    expect(result.chaos.serverRestarts).to.equal(1);
    expect(Object.values(result.chaos.faults).reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    expect(Object.values(result.chaos.outages).reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    expect(result.chaos.workerExitsUnprompted).to.equal(0);
  });
});
