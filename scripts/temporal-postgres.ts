/**
 * `npm run temporal-postgres`: Temporal Server on the machine's PostgreSQL, the topology a
 * self-hosting team runs (the dev server keeps everything in one SQLite file). It obtains
 * Temporal Server and its SQL tool with Go into the cache (once, a few minutes), creates the
 * product's own two databases and their schemas (never dropping anything; a second run finds
 * them and only applies missing schema versions), starts the server, and creates the namespace
 * with the product's search attributes. Ctrl+C stops it; the data stays in PostgreSQL.
 *
 * TEMPORAL_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432) is the PostgreSQL server;
 * TEMPORAL_POSTGRES_PORT (default 7333) the frontend's gRPC port, the other services on the next
 * ports; TEMPORAL_NAMESPACE (default default).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { registerSearchAttributes, stopProcess, waitUntilReachable } from './dev-server.js';
import { findOrBuildTemporalCli } from './temporal-cli.js';

export const temporalServerVersion = '1.29.1';
const serverModule = `go.temporal.io/server@v${temporalServerVersion}`;
/** The product's databases are `<prefix>` and `<prefix>_visibility`: the names say whose they are. */
export const defaultDatabasePrefix = 'freshchat_ai_temporal';
const databasesOf = (prefix: string) => ({ main: prefix, visibility: `${prefix}_visibility` });

export function temporalServerCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'freshchat-ai-agent', `temporal-server-${temporalServerVersion}`);
}

interface ServerTools {
  server: string;
  sqlTool: string;
  /** The module's source: schemas and the sample configuration. */
  moduleDir: string;
}

/** The server and its SQL tool from the cache, built with Go the first time. */
export async function findOrBuildTemporalServer(log: (line: string) => void): Promise<ServerTools> {
  const dir = temporalServerCacheDir();
  const tools = { server: join(dir, 'server'), sqlTool: join(dir, 'sql') };
  if (!existsSync(tools.server) || !existsSync(tools.sqlTool)) {
    if (spawnSync('go', ['version']).status !== 0) throw new Error('Temporal Server is built with Go, and there is no `go` on PATH');
    log(`Building Temporal Server ${temporalServerVersion} and its SQL tool with Go into ${dir}; this takes a few minutes once.`);
    mkdirSync(dir, { recursive: true });
    await promisify(execFile)('go', ['install', '-ldflags', '-s -w', `go.temporal.io/server/cmd/server@v${temporalServerVersion}`, `go.temporal.io/server/cmd/tools/sql@v${temporalServerVersion}`], {
      env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', serverModule], { maxBuffer: 16 * 1024 * 1024 });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  return { ...tools, moduleDir };
}

export interface TemporalOnPostgresOptions {
  postgresUrl: string;
  /** The databases' names: `<prefix>` and `<prefix>_visibility` (default freshchat_ai_temporal). */
  databasePrefix?: string;
  port: number;
  namespace: string;
  /** The server's configuration folder. */
  dataDir: string;
  log: (line: string) => void;
}

export interface TemporalOnPostgres {
  address: string;
  namespace: string;
  databases: { main: string; visibility: string };
  stop(): Promise<void>;
}

/** The port offsets of the services (writeServerConfig): gRPC, HTTP, metrics, membership. */
const serviceOffsets = [0, 1, 2, 3, 10, 20, 100, 101, 102, 103];

/** A frontend port whose service ports (writeServerConfig) are all free now, for runs that need a server of their own. */
export async function freeServerPort(): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    // Membership ports (base + 100..103) stay below 32,768: the server stores them as a PostgreSQL smallint.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await Promise.all(serviceOffsets.map((offset) => isFree(base + offset)))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

/** Creates what is missing (databases, schema versions), starts the server, and the namespace with the search attributes. */
export async function startTemporalOnPostgres(options: TemporalOnPostgresOptions): Promise<TemporalOnPostgres> {
  const tools = await findOrBuildTemporalServer(options.log);
  const db = new URL(options.postgresUrl);
  const databases = databasesOf(options.databasePrefix ?? defaultDatabasePrefix);
  await prepareDatabases(tools, db, databases, options.log);
  const configDir = join(options.dataDir, 'config');
  writeServerConfig(tools, db, databases, options.port, configDir);
  const address = `127.0.0.1:${options.port}`;
  const child = spawn(tools.server, ['--root', options.dataDir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The server logs (warnings and errors) to stdout: the tail of both says why it stopped.
  let stderr = '';
  const keep = (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilReachable(address, child, () => stderr, { name: 'Temporal Server', timeoutMs: 120_000, pollMs: 500 });
    const cli = await findOrBuildTemporalCli(options.log);
    if (!cli.path) throw new Error('the temporal CLI is needed to create the namespace');
    await createNamespace(cli.path, address, options.namespace);
    // A new namespace reaches every part of the server within its registry's refresh (about 10 s).
    await retryFor(60_000, () => registerSearchAttributes(cli.path!, address, options.namespace));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { address, namespace: options.namespace, databases, stop: () => stopProcess(child, 15_000) };
}

/**
 * The two databases and their schemas, created only when missing: an existing database is
 * brought up to the server's schema version (update-schema applies only what is newer).
 */
async function prepareDatabases(tools: ServerTools, db: URL, databases: { main: string; visibility: string }, log: (line: string) => void): Promise<void> {
  const admin = new pg.Client({ connectionString: db.href });
  await admin.connect();
  try {
    for (const [kind, name] of Object.entries(databases)) {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) {
        log(`Creating the database ${name} on ${db.host}`);
        await admin.query(`create database "${name}"`);
      }
      const schemaDir = join(tools.moduleDir, 'schema', 'postgresql', 'v12', kind === 'main' ? 'temporal' : 'visibility', 'versioned');
      const sql = (...args: string[]) =>
        promisify(execFile)(tools.sqlTool, ['--plugin', 'postgres12', '--ep', db.hostname, '-p', db.port || '5432', '-u', decodeURIComponent(db.username || 'postgres'), '--pw', decodeURIComponent(db.password), '--db', name, ...args]);
      if (!(await hasSchemaVersionTable(db, name))) await sql('setup-schema', '-v', '0.0');
      await sql('update-schema', '-d', schemaDir);
    }
  } finally {
    await admin.end();
  }
}

async function hasSchemaVersionTable(db: URL, database: string): Promise<boolean> {
  const url = new URL(db.href);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    const found = await client.query("select 1 from information_schema.tables where table_name = 'schema_version'");
    return (found.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/** The module's own development-postgres12.yaml, pointed at our databases and ports. */
function writeServerConfig(tools: ServerTools, db: URL, databases: { main: string; visibility: string }, port: number, configDir: string): void {
  const config = parse(readFileSync(join(tools.moduleDir, 'config', 'development-postgres12.yaml'), 'utf8')) as Record<string, any>;
  const datastores = config.persistence.datastores as Record<string, { sql: Record<string, unknown> }>;
  const names: Record<string, string> = { 'postgres-default': databases.main, 'postgres-visibility': databases.visibility };
  for (const [key, store] of Object.entries(datastores)) {
    Object.assign(store.sql, {
      databaseName: names[key],
      connectAddr: `${db.hostname}:${db.port || '5432'}`,
      user: decodeURIComponent(db.username || 'postgres'),
      password: decodeURIComponent(db.password),
    });
  }
  const services = ['frontend', 'history', 'matching', 'worker'];
  services.forEach((service, i) => Object.assign(config.services[service].rpc, { grpcPort: port + i, membershipPort: port + 100 + i }));
  config.services.frontend.rpc.httpPort = port + 10;
  config.global.pprof.port = 0;
  config.global.metrics.prometheus.listenAddress = `127.0.0.1:${port + 20}`;
  config.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${port}`;
  config.log = { stdout: true, level: 'warn' };
  delete config.archival;
  delete config.namespaceDefaults;
  config.dynamicConfigClient = { filepath: join(configDir, 'dynamicconfig.yaml'), pollInterval: '10s' };
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'development.yaml'), stringify(config));
  // What the dev server turns on too: updates, search attributes usable as soon as they are registered, eager activities.
  writeFileSync(
    join(configDir, 'dynamicconfig.yaml'),
    stringify({
      'system.enableActivityEagerExecution': [{ value: true }],
      'frontend.enableUpdateWorkflowExecution': [{ value: true }],
      'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
      'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
    }),
  );
}

/** Created once; an existing namespace is kept as it is. */
async function createNamespace(cliPath: string, address: string, namespace: string): Promise<void> {
  const run = (args: string[]) => promisify(execFile)(cliPath, [...args, '--address', address, '--namespace', namespace], { timeout: 30_000 });
  const exists = await run(['operator', 'namespace', 'describe']).then(() => true, () => false);
  if (!exists) await run(['operator', 'namespace', 'create', '--retention', '72h']);
}

async function retryFor<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const env = process.env;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  startTemporalOnPostgres({
    postgresUrl: env.TEMPORAL_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5432',
    port: Number(env.TEMPORAL_POSTGRES_PORT ?? 7333),
    namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
    dataDir: join(process.cwd(), '.data', 'temporal-postgres'),
    log,
  }).then(
    (server) => {
      log(`Temporal Server ${temporalServerVersion} on PostgreSQL (${server.databases.main}, ${server.databases.visibility}): ${server.address}, namespace ${server.namespace}`);
      log(`Point the product at it: TEMPORAL_ADDRESS=${server.address} TEMPORAL_NAMESPACE=${server.namespace} npm run worker (and npm run api). Ctrl+C stops it.`);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      process.stderr.write(`npm run temporal-postgres failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
