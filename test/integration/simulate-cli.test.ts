import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { loadScenarios } from '../../simulation/scenario.js';
import { repoRoot } from '../helpers/system.js';
import { testServer, type TestServer } from '../helpers/temporal-server.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run simulate` as a team runs it: a process, given environment variables only. */
function simulate(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/scripts/simulate.js', ...args],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env }, timeout: 300_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run simulate (the CLI, spawned, the real product on a real Temporal server)', function () {
  this.timeout(300_000);
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'simulate-test-'));
  before(async function () {
    this.timeout(600_000);
    server = await testServer();
  });

  it('passes the sample set under simulations/ with the sample settings and knowledge, and writes JUnit XML', async () => {
    const junit = join(dir, 'samples.xml');
    const run = await simulate(['simulations/', '--junit', junit, '--concurrency', '4'], { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    const samples = loadScenarios([join(repoRoot, 'simulations')]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    // The knowledge of every source of the sample settings, synced once for the run.
    expect(run.stdout).to.match(/Knowledge: faq \(\d+ articles\), help-center \(\d+ articles\), website \(\d+ articles\), guides \(\d+ articles\)\n/);
    expect(run.stdout).not.to.include('FAILED');
    for (const scenario of samples) expect(run.stdout).to.match(new RegExp(`^pass +${scenario.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    expect(run.stdout).to.include(`${samples.length} of ${samples.length} scenarios passed`);
    const report = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8')) as {
      testsuites: { tests: string; failures: string; testsuite: { testcase: Array<{ name: string }> } };
    };
    expect(report.testsuites).to.include({ tests: String(samples.length), failures: '0' });
    expect(report.testsuites.testsuite.testcase.map((t) => t.name).sort()).to.deep.equal(samples.map((s) => s.name).sort());
  });

  it('on a Temporal of its own: a failed expectation exits 1 with the transcript and the decisions', async () => {
    const scenarios = join(dir, 'failing');
    mkdirSync(scenarios);
    writeFileSync(
      join(scenarios, 'wrong.yaml'),
      'name: expects a handoff for a question the AI answers\nsteps:\n  - customer: How long does shipping take?\n  - expect: { action: escalate }\n',
    );
    writeFileSync(join(scenarios, 'right.yaml'), 'name: the answer\nsteps:\n  - customer: How much does shipping cost?\n  - expect: { action: reply, mentions: ["4.95"] }\n');
    // No TEMPORAL_ADDRESS: the run starts a dev server of its own, as on a newcomer's machine.
    const run = await simulate([scenarios], {});
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(1);
    expect(run.stdout).to.include('Starting a Temporal dev server for this run');
    expect(run.stdout).to.match(/^pass +the answer /m);
    expect(run.stdout).to.match(/^FAIL +expects a handoff for a question the AI answers +wrong\.yaml +[\d.]+ s +step 2$/m);
    expect(run.stdout).to.include('1 of 2 scenarios passed');
    expect(run.stdout).to.include('step 2: expect escalate: expected the AI to escalate, but it decided: reply (rule ai_decision, posted');
    expect(run.stdout).to.match(/\d\d:\d\d:\d\d customer: How long does shipping take\?/);
    expect(run.stdout).to.match(/\d\d:\d\d:\d\d AI: .*working day/);
    expect(run.stdout).to.match(/session 1 turn 1: reply \(rule ai_decision, posted.*; sources faq:shipping-times/);
    expect(run.stdout).to.include("The product's log lines of this run:");
  });

  it('terminates its conversations on a shared Temporal: nothing of a run stays open there', async () => {
    const scenarios = join(dir, 'one');
    mkdirSync(scenarios);
    writeFileSync(join(scenarios, 'one.yaml'), 'name: one answer\nsteps:\n  - customer: Do you ship internationally?\n  - expect: { action: reply }\n');
    const startedAt = new Date(Date.now() - 1000).toISOString();
    const run = await simulate([scenarios], { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const connection = await Connection.connect({ address: server.address });
    try {
      // Raw visibility: the run's memos are encrypted under keys of its own, gone with it.
      const query = `TaskQueue STARTS_WITH 'simulate-' AND StartTime > '${startedAt}'`;
      const closed: string[] = [];
      const deadline = Date.now() + 10_000;
      for (;;) {
        const running: string[] = [];
        closed.length = 0;
        const { executions } = await connection.workflowService.listWorkflowExecutions({ namespace: server.namespace, query, pageSize: 100 });
        for (const wf of executions) {
          const status = proto.temporal.api.enums.v1.WorkflowExecutionStatus[wf.status ?? 0]!.replace('WORKFLOW_EXECUTION_STATUS_', '');
          (status === 'RUNNING' ? running : closed).push(`${wf.execution?.workflowId} ${status}`);
        }
        if (running.length === 0 && closed.some((w) => w.startsWith('freshchat-conversation-'))) break;
        if (Date.now() > deadline) throw new Error(`still running after the run: ${running.join(', ')}; closed: ${closed.join(', ')}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(closed.filter((w) => w.startsWith('freshchat-conversation-'))).to.satisfy((ws: string[]) => ws.length === 1 && ws[0]!.endsWith('TERMINATED'));
      expect(closed.filter((w) => w.startsWith('knowledge-sync-'))).to.satisfy((ws: string[]) => ws.length === 1 && ws[0]!.endsWith('COMPLETED'));
    } finally {
      await connection.close();
    }
  });

  it('refuses invalid files with exit code 2, naming file, step and field, before starting anything', async () => {
    const scenarios = join(dir, 'invalid');
    mkdirSync(scenarios);
    writeFileSync(join(scenarios, 'bad.yaml'), 'name: bad\nsettings: { handoff: { minConfidence: 2 } }\nsteps:\n  - customer: hi\n  - expect: { action: answer }\n');
    writeFileSync(join(scenarios, 'good.yaml'), 'name: good\nsteps:\n  - customer: hi\n');
    const run = await simulate([scenarios], {});
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal(
      'invalid scenario files:\n  bad.yaml: settings.handoff.minConfidence: must be <= 1\n  bad.yaml: step 2 (expect): action: must be one of reply, escalate, resolve\n',
    );
    expect(run.stdout).to.equal('');
    expect((await simulate([join(scenarios, 'good.yaml'), '--concurrency', '0'], {})).stderr).to.match(/^--concurrency must be a whole number from 1 to 16 \(got 0\)/);
    expect((await simulate([], {})).code).to.equal(2);
    expect((await simulate(['--bogus', scenarios], {})).stderr).to.match(/Unknown option '--bogus'/);
  });
});
