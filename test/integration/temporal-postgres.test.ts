import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { freeServerPort, startTemporalOnPostgres, type TemporalOnPostgres } from '../../scripts/temporal-postgres.js';
import { postgresServerUrl, requireDialect } from '../helpers/stores.js';
import { repoRoot } from '../helpers/system.js';

async function onDatabase<T>(database: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(postgresServerUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const simulate = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, ['dist/scripts/simulate.js', ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 300_000 }, (error, stdout) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout }),
    ),
  );

describe('Temporal Server on PostgreSQL (npm run temporal-postgres, the self-hosted topology)', function () {
  this.timeout(600_000);
  // Databases of this run's own: created by the script, dropped by the test that made them.
  const prefix = `fcai_temporal_test_${process.pid}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'temporal-postgres-'));
  const logLines: string[] = [];
  let server: TemporalOnPostgres | undefined;
  let port: number;

  /** A port another process took between the probe and the server's bind is tried again on other ports. */
  const start = async (): Promise<TemporalOnPostgres> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startTemporalOnPostgres({ postgresUrl: postgresServerUrl, databasePrefix: prefix, port, namespace: 'default', dataDir, log: (line) => logLines.push(line) });
      } catch (error) {
        if (attempt === 3 || !/exited/.test((error as Error).message)) throw error;
        process.stderr.write(`      Temporal Server did not start (attempt ${attempt}): ${(error as Error).message.slice(-1500)}\n`);
        port = await freeServerPort();
      }
    }
  };

  before(async function () {
    this.timeout(900_000); // a first run builds the server with Go (a few minutes, then cached)
    await requireDialect(this, 'postgres');
    port = await freeServerPort();
    server = await start();
  });
  after(async () => {
    await server?.stop();
    await onDatabase('postgres', async (admin) => {
      for (const name of [prefix, `${prefix}_visibility`]) await admin.query(`drop database if exists "${name}" with (force)`);
    }).catch(() => undefined);
  });

  it('creates its two databases and their schemas, and serves the product: the sample scenario passes, its workflow stored in PostgreSQL', async () => {
    expect(logLines.filter((l) => l.startsWith('Creating the database'))).to.deep.equal([
      `Creating the database ${prefix} on ${new URL(postgresServerUrl).host}`,
      `Creating the database ${prefix}_visibility on ${new URL(postgresServerUrl).host}`,
    ]);
    const run = await simulate([join(repoRoot, 'simulations', 'answer-then-thanks.yaml')], { TEMPORAL_ADDRESS: server!.address, TEMPORAL_NAMESPACE: 'default' });
    expect(run.code, run.stdout).to.equal(0);
    const stored = await onDatabase(prefix, (db) => db.query<{ n: string }>("select count(*) as n from current_executions where workflow_id like 'freshchat-conversation-%'"));
    expect(Number(stored.rows[0]!.n)).to.equal(1);
  });

  it('a second start finds its databases and keeps what they hold: it creates nothing and serves the same workflows', async () => {
    await server!.stop();
    logLines.length = 0;
    server = await start();
    expect(logLines.filter((l) => l.startsWith('Creating'))).to.deep.equal([]);
    const stored = await onDatabase(prefix, (db) => db.query<{ n: string }>("select count(*) as n from current_executions where workflow_id like 'freshchat-conversation-%'"));
    expect(Number(stored.rows[0]!.n)).to.equal(1);
    const { Connection } = await import('@temporalio/client');
    const connection = await Connection.connect({ address: server!.address });
    try {
      const { executions } = await connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: "WorkflowId STARTS_WITH 'freshchat-conversation-'" });
      expect(executions).to.have.length(1);
    } finally {
      await connection.close();
    }
  });
});
