import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { expectedNovemberReport, november, seedReportSessions } from '../helpers/session-seeds.js';
import { openTestStore, type TestStore } from '../helpers/stores.js';
import { repoRoot } from '../helpers/system.js';

const script = join(repoRoot, 'dist', 'scripts', 'report.js');

/** `npm run report` as a real process, from an empty folder (no .env), against a seeded SQLite file. */
describe('npm run report (the CLI, spawned)', function () {
  this.timeout(30_000);
  let t: TestStore;
  let cwd: string;
  before(async () => {
    t = await openTestStore('sqlite');
    await t.store.ready();
    await seedReportSessions(t.store.db);
    cwd = mkdtempSync(join(tmpdir(), 'fcai-report-cli-'));
  });
  after(async () => {
    await t?.dispose();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  async function report(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { DATABASE_URL: _notThisOne, ...env } = process.env;
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], { cwd, env: { ...env, SQLITE_PATH: t.env.SQLITE_PATH } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('--json prints exactly what GET /reports answers', async () => {
    const { code, stdout } = await report('--from', november.from, '--to', november.to, '--json');
    expect(code).to.equal(0);
    expect(JSON.parse(stdout)).to.deep.equal(expectedNovemberReport);
  });

  it('--csv prints one metric,value line per figure', async () => {
    const { code, stdout } = await report(`--from=${november.from}`, `--to=${november.to}`, '--csv', '--reopened-within-days', '30');
    expect(code).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal('metric,value');
    const figures = Object.fromEntries(lines.slice(1).map((line) => line.split(',')));
    expect(figures).to.deep.equal({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      sessions: '12',
      ai_touched: '8',
      outcome_ai_confirmed: '2',
      outcome_ai_assumed: '2',
      outcome_rep: '3',
      outcome_ops: '1',
      outcome_open: '4',
      escalated: '2',
      escalated_handoff_phrase: '1',
      escalated_topic_policy: '1',
      reopened_within_days: '30',
      reopened: '2',
      ai_resolution_rate: '0.5',
      durable_ai_resolution_rate: '0.25',
    });
  });

  it('the default is a readable table', async () => {
    const { code, stdout } = await report('--from', november.from, '--to', november.to);
    expect(code).to.equal(0);
    expect(stdout).to.include('Sessions started in [2026-11-01T00:00:00.000Z, 2026-12-01T00:00:00.000Z)');
    expect(stdout).to.match(/^sessions\s+12$/m);
    expect(stdout).to.match(/^AI resolution rate\s+50\.0%$/m);
    expect(stdout).to.match(/^durable AI resolution rate\s+37\.5%$/m);
    expect(stdout).to.match(/^reopened within 7 days\s+1$/m);
  });

  it('bad input exits with code 2 and the reason, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--to', november.to], /--from is required/],
      [['--from', november.from, '--to', 'later'], /--to is not a date/],
      [['--from', november.to, '--to', november.from], /--to must be after from/],
      [['--from', '2026-01-01', '--to', '2027-06-01'], /--to is more than 400 days/],
      [['--from', november.from, '--to', november.to, '--reopened-within-days', '0'], /--reopened-within-days must be a whole number/],
      [['--from', november.from, '--to', november.to, '--json', '--csv'], /choose one of --json and --csv/],
      [['--from', november.from, '--to', november.to, '--xml'], /Unknown option '--xml'/],
    ];
    for (const [args, reason] of cases) {
      const { code, stdout, stderr } = await report(...args);
      expect(code, args.join(' ')).to.equal(2);
      expect(stderr, args.join(' ')).to.match(reason);
      expect(stdout).to.equal('');
    }
  });
});
