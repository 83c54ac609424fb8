import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { conversationWorkflowId } from '../../workflows/messages.js';
import {
  aiAgentEmail,
  eventually,
  repoRoot,
  sandboxCall,
  sandboxToken,
  startConversation,
  startSystem,
  testEncryptionKeySetting,
  type TestSystem,
} from '../helpers/system.js';

const run = promisify(execFile);
const doctorScript = join(repoRoot, 'dist', 'scripts', 'doctor.js');

const checkNames = [
  'worker settings',
  'API settings',
  'Freshchat API (token and base URL)',
  'AI agent seat',
  'webhook public key',
  'Temporal connection',
  'search attributes',
  'worker polling the task queue',
  'AI provider',
  'session store',
  'knowledge sources',
  'conversations with a Freshchat failure',
];

interface CheckOutput {
  ok: boolean;
  /** The check's line plus its indented detail and "→" lines. */
  text: string;
}

interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  checks: Map<string, CheckOutput>;
}

/** Splits the doctor's output into its checks: a line starting with ✔/✖ opens one, indented lines belong to it. */
function parseChecks(stdout: string): Map<string, CheckOutput> {
  const checks = new Map<string, CheckOutput>();
  let current: CheckOutput | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^([✔✖]) (.+?) — /.exec(line);
    if (head) {
      current = { ok: head[1] === '✔', text: line };
      checks.set(head[2]!, current);
    } else if (current && line.startsWith(' ')) {
      current.text += `\n${line}`;
    } else {
      current = undefined;
    }
  }
  return checks;
}

describe('npm run doctor (a child process against a real Temporal server, sandbox and worker)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let home: string;

  before(async function () {
    this.timeout(600_000);
    system = await startSystem();
    home = mkdtempSync(join(tmpdir(), 'fc-doctor-home-'));
  });
  after(() => system?.close());

  /**
   * Only the product's settings (SPEC §7), nothing inherited: no TEMPORAL_* from the shell, a
   * HOME without a Temporal config file, and a working directory without a `.env`.
   */
  function doctorEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: home,
      TEMPORAL_ADDRESS: system.server.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: system.taskQueue,
      FRESHCHAT_API_URL: system.sandbox.apiUrl,
      FRESHCHAT_API_TOKEN: sandboxToken,
      FRESHCHAT_WEBHOOK_PUBLIC_KEY: system.sandbox.publicKeyOneLine,
      FRESHCHAT_AI_AGENT_EMAIL: aiAgentEmail,
      ASSISTANT_SETTINGS: system.settingsPath,
      PAYLOAD_ENCRYPTION_KEYS: testEncryptionKeySetting,
      ...system.storeEnv,
      ...overrides,
    };
  }

  function runDoctor(overrides: Record<string, string> = {}): Promise<DoctorRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [doctorScript], { cwd: home, env: doctorEnv(overrides), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(killer);
        if (process.env.DOCTOR_TEST_ECHO) process.stdout.write(stdout); // DOCTOR_TEST_ECHO=1: show each run's output
        resolve({ code, stdout, stderr, checks: parseChecks(stdout) });
      });
    });
  }

  function check(run: DoctorRun, name: string): CheckOutput {
    const found = run.checks.get(name);
    if (!found) throw new Error(`the doctor printed no "${name}" check:\n${run.stdout}\n${run.stderr}`);
    return found;
  }

  it('passes every check against a healthy system and exits 0', async () => {
    const run = await runDoctor();
    expect([...run.checks.keys()], run.stdout + run.stderr).to.deep.equal(checkNames);
    const failed = [...run.checks.values()].filter((c) => !c.ok).map((c) => c.text);
    expect(failed, run.stdout).to.deep.equal([]);
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.include('All 12 checks passed.');
    expect(check(run, 'knowledge sources').text).to.include('✔ faq (yaml): 16 articles, synced');
    expect(check(run, 'session store').text).to.include('sqlite at').and.include('migrations current');
    expect(check(run, 'Freshchat API (token and base URL)').text).to.include(system.sandbox.apiUrl);
    expect(check(run, 'AI agent seat').text).to.include(system.sandbox.aiAgentId);
    expect(check(run, 'worker polling the task queue').text).to.include(system.taskQueue);
    expect(check(run, 'AI provider').text).to.include('faq');
    // Secrets never reach the output.
    expect(run.stdout + run.stderr).not.to.include(sandboxToken);
    expect(run.stdout + run.stderr).not.to.include(testEncryptionKeySetting.split(':')[1]!);
  });

  it('flags a session store that is unreachable, missing or behind on migrations, saying what to do', async () => {
    const unreachable = check(await runDoctor({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }), 'session store');
    expect(unreachable.ok).to.equal(false);
    expect(unreachable.text).to.include('postgres at postgres://postgres@127.0.0.1:1/none is unreachable').and.include('check DATABASE_URL');
    const missing = check(await runDoctor({ SQLITE_PATH: join(home, 'nowhere.sqlite') }), 'session store');
    expect(missing.ok).to.equal(false);
    expect(missing.text).to.include('no SQLite file at').and.include('start the worker');
    const empty = join(home, 'empty.sqlite');
    writeFileSync(empty, '');
    const behind = check(await runDoctor({ SQLITE_PATH: empty }), 'session store');
    expect(behind.ok).to.equal(false);
    expect(behind.text).to.include('3 migrations not applied (2026-12-01-001-sessions, 2026-12-01-002-knowledge, 2026-12-01-003-knowledge-embeddings)').and.include('migrate the store at start-up');
  });

  it('flags a knowledge source that cannot be read, and one never synced, saying what to do', async () => {
    const settingsPath = join(home, 'settings-with-sources.yaml');
    const { parse, stringify } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const settings = parse(readFileSync(system.settingsPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(settingsPath, stringify({ ...settings, knowledge: { sources: [{ type: 'sitemap', name: 'gone', url: 'http://127.0.0.1:1/sitemap.xml' }] } }));
    const sources = check(await runDoctor({ ASSISTANT_SETTINGS: settingsPath }), 'knowledge sources');
    expect(sources.ok).to.equal(false);
    expect(sources.text).to.include('✔ faq (yaml): 16 articles');
    expect(sources.text).to.match(/✖ gone \(sitemap\): nothing synced — cannot be read: .*127\.0\.0\.1/);
    expect(sources.text).to.include('npm run knowledge-sync');
  });

  it('flags a wrong Freshchat token with the token advice and exits 1', async () => {
    const run = await runDoctor({ FRESHCHAT_API_TOKEN: 'an-old-revoked-token' });
    expect(run.code).to.equal(1);
    const freshchat = check(run, 'Freshchat API (token and base URL)');
    expect(freshchat.ok).to.equal(false);
    expect(freshchat.text).to.include('401');
    expect(freshchat.text).to.match(/→ regenerated token\?/);
    expect(check(run, 'AI agent seat').ok).to.equal(false);
    // Unrelated checks still pass: one failure does not hide the rest.
    expect(check(run, 'Temporal connection').ok).to.equal(true);
    expect(check(run, 'worker polling the task queue').ok).to.equal(true);
    expect(run.stdout).not.to.include('an-old-revoked-token');
  });

  it('flags an AI agent email that matches no Freshchat agent', async () => {
    const run = await runDoctor({ FRESHCHAT_AI_AGENT_EMAIL: 'nobody-here@sandbox.test' });
    expect(run.code).to.equal(1);
    const agent = check(run, 'AI agent seat');
    expect(agent.ok).to.equal(false);
    expect(agent.text).to.include('no Freshchat agent has the email nobody-here@sandbox.test');
    expect(agent.text).to.include('→ set FRESHCHAT_AI_AGENT_EMAIL');
    expect(check(run, 'Freshchat API (token and base URL)').ok).to.equal(true);
  });

  it('flags a task queue that no worker polls', async () => {
    const queue = `nobody-polls-${randomUUID()}`;
    const run = await runDoctor({ TEMPORAL_TASK_QUEUE: queue });
    expect(run.code).to.equal(1);
    const polling = check(run, 'worker polling the task queue');
    expect(polling.ok).to.equal(false);
    expect(polling.text).to.include(`no worker polls task queue ${queue}`);
    expect(polling.text).to.include(`→ start the worker (npm run worker) with TEMPORAL_TASK_QUEUE=${queue}`);
    expect(check(run, 'Temporal connection').ok).to.equal(true);
  });

  it('reports a worker that stopped a moment ago (its pollers still look recent to the server)', async () => {
    await system.stopWorker();
    try {
      const started = Date.now();
      const run = await runDoctor();
      const polling = check(run, 'worker polling the task queue');
      expect(polling.ok, polling.text).to.equal(false);
      expect(polling.text).to.include(`no worker polls task queue ${system.taskQueue}`);
      expect(polling.text).to.include('probe workflow did not run within 5 s');
      expect(Date.now() - started).to.be.below(30_000);
    } finally {
      await system.startWorker();
    }
    const again = await runDoctor();
    expect(check(again, 'worker polling the task queue').text).to.match(/a probe workflow and its activity ran in \d+ ms/);
  });

  it('reports an unreachable Temporal once and skips what depends on it, without hanging', async () => {
    const started = Date.now();
    const run = await runDoctor({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).to.equal(1);
    expect(check(run, 'Temporal connection').text).to.include('cannot reach 127.0.0.1:1');
    expect(check(run, 'Temporal connection').text).to.include('→ check TEMPORAL_ADDRESS');
    for (const name of ['search attributes', 'worker polling the task queue', 'conversations with a Freshchat failure']) {
      expect(check(run, name).text).to.include('not checked: Temporal is not reachable');
    }
    expect(check(run, 'Freshchat API (token and base URL)').ok).to.equal(true);
    expect(Date.now() - started).to.be.below(30_000);
  });

  it('prints the search-attribute commands for a namespace that lacks them, and they fix it', async () => {
    const namespace = `doctor-${randomUUID().slice(0, 8)}`;
    await run(system.server.cliPath, ['operator', 'namespace', 'create', '--address', system.server.address, '--namespace', namespace], { timeout: 30_000 });
    const before = await eventually(async () => {
      const r = await runDoctor({ TEMPORAL_NAMESPACE: namespace });
      return check(r, 'Temporal connection').ok ? r : undefined;
    }, 'the new namespace to be visible', 40_000);
    const attributes = check(before, 'search attributes');
    expect(attributes.ok).to.equal(false);
    expect(attributes.text).to.include('missing: FreshchatConversationId');
    const commands = attributes.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('temporal operator search-attribute create '));
    expect(commands).to.have.length(9); // one per attribute
    for (const command of commands) {
      const args = command.split(' ').slice(1);
      await eventually(async () => (await run(system.server.cliPath, args, { timeout: 30_000 }), true), `\`${command}\``, 40_000);
    }
    const after = await eventually(async () => {
      const r = await runDoctor({ TEMPORAL_NAMESPACE: namespace });
      return check(r, 'search attributes').ok ? r : undefined;
    }, 'the search attributes to be registered', 40_000);
    expect(check(after, 'search attributes').text).to.include(`all 9 registered in namespace ${namespace}`);
  });

  it('lists a running conversation whose workflow recorded a permanent Freshchat refusal', async () => {
    const { sandbox } = system;
    await sandboxCall(sandbox, 'POST', '/sandbox/faults', { method: 'POST', path: '/messages', status: 403, times: 1 });
    try {
      const conversationId = await startConversation(sandbox, 'How long does shipping take?');
      const workflowId = conversationWorkflowId(conversationId);
      const run = await eventually(
        async () => {
          const r = await runDoctor();
          return r.stdout.includes(workflowId) ? r : undefined;
        },
        'the doctor to list the failed conversation',
        60_000,
      );
      expect(run.code).to.equal(1);
      const failures = check(run, 'conversations with a Freshchat failure');
      expect(failures.ok).to.equal(false);
      expect(failures.text).to.include(`${workflowId} — postAiReply:403`);
      expect(failures.text).to.match(/temporal workflow query .*--workflow-id <id> --type state/);
      // Everything else is still healthy: the failure is the conversation's, not the setup's.
      expect([...run.checks.entries()].filter(([, c]) => !c.ok).map(([name]) => name)).to.deep.equal(['conversations with a Freshchat failure']);
    } finally {
      await sandboxCall(sandbox, 'DELETE', '/sandbox/faults');
    }
  });
});
