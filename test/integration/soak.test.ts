import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { repoRoot } from '../helpers/system.js';

/**
 * `npm run soak` for two minutes, as a child process: everything going wrong at once (workers
 * SIGKILLed, the Temporal server restarted, Freshchat faults, AI outages) and no guarantee
 * broken. The checks themselves are shown able to fail in test/unit/soak-checks.test.ts.
 */
describe('the soak: two minutes of random conversations under faults (npm run soak)', function () {
  this.timeout(12 * 60_000);

  it('exits 0 with zero breaches, after kills, a server restart, faults and outages really happened', async () => {
    const child = spawn(process.execPath, ['dist/benchmarks/soak.js', '--minutes', '2', '--workers', '2', '--conversations', '12', '--seed', '7', '--drain-seconds', '150'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = stdout.split('\n').find((l) => l.startsWith('SOAK RESULT '));
    expect(line, `no result line; stderr: ${stderr}`).to.be.a('string');
    const result = JSON.parse(line!.slice('SOAK RESULT '.length));
    const report = stdout.replace(line!, '');
    expect(code, `the soak's report:\n${report}\n${stderr.slice(-3000)}`).to.equal(0);

    expect(result.breachTotal).to.equal(0);
    for (const kind of Object.keys(result.breaches)) expect(result.breaches[kind], kind).to.equal(0);
    expect(result.failedWorkflows).to.equal(0);
    // Every customer message has exactly one outcome.
    expect(result.outcomes.ai_reply + result.outcomes.handoff + result.outcomes.rep).to.equal(result.customerMessages);
    expect(result.conversations).to.be.greaterThan(10);
    expect(result.customerMessages).to.be.greaterThan(result.conversations);
    expect(result.aiReplies).to.be.greaterThan(0);

    // The chaos really happened.
    expect(result.chaos.kills, 'workers SIGKILLed').to.be.greaterThan(0);
    expect(result.chaos.serverRestarts, 'Temporal server restarted').to.equal(1);
    const faults = Object.values(result.chaos.faults as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(faults, 'sandbox faults').to.be.greaterThan(3);
    expect(result.chaos.outages.fail + result.chaos.outages.hang, 'AI outages').to.be.greaterThan(0);
    expect(result.ai.failed + result.ai.hung, 'AI requests failed or hung during outages').to.be.greaterThan(0);
    // And so did the behaviour the guarantees are about.
    for (const what of ['bursts', 'repWrites', 'repTakes', 'handBacks', 'redeliveries', 'reopens']) expect(result.stream[what], what).to.be.greaterThan(0);
  });
});
