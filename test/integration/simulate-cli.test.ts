import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    const run = await simulate(['simulations/', '--junit', junit, '--concurrency', '8'], { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
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
    writeFileSync(join(scenarios, 'persona.yaml'), 'name: a persona\npersona: someone\ngoal: something\nsteps:\n  - expect: { action: reply }\n');
    // No TEMPORAL_ADDRESS: the run starts a dev server of its own, as on a newcomer's machine.
    const run = await simulate([scenarios], {});
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(1);
    expect(run.stdout).to.include('Starting a Temporal dev server for this run');
    expect(run.stdout).to.match(/^pass +the answer /m);
    expect(run.stdout).to.match(/^FAIL +expects a handoff for a question the AI answers +wrong\.yaml +[\d.]+ s +step 2$/m);
    expect(run.stdout).to.include('1 of 3 scenarios passed, 1 skipped');
    // No simulator endpoint (the faq provider, no SIMULATOR_*): the persona is skipped, saying why.
    expect(run.stdout).to.match(/^skip +a persona /m);
    expect(run.stdout).to.include('a persona (skipped: a simulated customer needs SIMULATOR_BASE_URL');
    expect(run.stdout).to.include('step 2: expect escalate: expected the AI to escalate, but it decided: reply (rule ai_decision, posted');
    expect(run.stdout).to.match(/\d\d:\d\d:\d\d customer: How long does shipping take\?/);
    expect(run.stdout).to.match(/\d\d:\d\d:\d\d AI: .*working day/);
    expect(run.stdout).to.match(/session 1 turn 1: reply \(rule ai_decision, posted.*; sources faq:shipping-times/);
    expect(run.stdout).to.include("The product's log lines of this run:");
  });

  it('plays a persona with a model (a local chat-completions server with a scripted customer), and checks the outcome with the same expectations', async () => {
    const requests: Array<{ authorization?: string; model: string; messages: Array<{ role: string; content: string }> }> = [];
    // Vienna's customer thanks the AI (its resolution ends the chat); Berlin's says it is done.
    const scripts: Record<string, string[]> = { Vienna: ['How long does delivery to Austria take?', "Great, thanks - that's all!"], Berlin: ['How much does shipping cost?', '[done]'] };
    const simulator = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const request = JSON.parse(body) as { model: string; messages: Array<{ role: string; content: string }> };
        requests.push({ authorization: req.headers.authorization, ...request });
        // The customer's own earlier lines come back as the assistant's: the next line of the script, then done.
        const said = request.messages.filter((m) => m.role === 'assistant').length;
        const script = scripts[request.messages[0]!.content.includes('Vienna') ? 'Vienna' : 'Berlin']!;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'sim', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: script[said] ?? 'one more question?' } }] }));
      });
    });
    await new Promise<void>((r) => simulator.listen(0, '127.0.0.1', r));
    const scenarios = join(dir, 'persona');
    mkdirSync(scenarios);
    writeFileSync(
      join(scenarios, 'persona.yaml'),
      [
        'name: a simulated customer in Vienna',
        'persona: A customer in Vienna who writes short messages',
        'goal: Learn how long delivery to Austria takes, then say thanks',
        'maxTurns: 4',
        'steps:',
        '  - expect: { action: reply, mentions: [working days] }',
        '  - expect: { action: resolve, resolution: confirmed }',
        '  - expect: { state: resolved }',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(scenarios, 'done.yaml'),
      'name: a simulated customer in Berlin\npersona: A customer in Berlin\ngoal: Learn the shipping cost\nsteps:\n  - expect: { action: reply, mentions: ["4.95"] }\n  - expect: { state: ai_active }\n',
    );
    try {
      const { port } = simulator.address() as AddressInfo;
      const run = await simulate([scenarios], {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        SIMULATOR_BASE_URL: `http://127.0.0.1:${port}/v1`,
        SIMULATOR_API_KEY: 'sim-key',
        SIMULATOR_MODEL: 'customer-model',
      });
      expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^pass +a simulated customer in Vienna /m);
      expect(run.stdout).to.match(/^pass +a simulated customer in Berlin /m);
      // Vienna: two lines, and the AI's resolution ends the chat. Berlin: one line, then [done].
      const vienna = requests.filter((r) => r.messages[0]!.content.includes('Vienna'));
      expect(vienna).to.have.length(2);
      expect(requests.filter((r) => r.messages[0]!.content.includes('Berlin'))).to.have.length(2);
      for (const r of vienna) {
        expect(r).to.deep.include({ authorization: 'Bearer sim-key', model: 'customer-model' });
        expect(r.messages[0]!.role).to.equal('system');
        expect(r.messages[0]!.content).to.include('A customer in Vienna who writes short messages').and.include('Learn how long delivery to Austria takes');
      }
      const second = vienna[1]!.messages.slice(1);
      expect(second.map((m) => m.role)).to.deep.equal(['assistant', 'user']);
      expect(second[0]!.content).to.equal(scripts.Vienna![0]);
      expect(second[1]!.content).to.match(/working day/); // the AI's answer reached the customer
    } finally {
      simulator.close();
    }
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
