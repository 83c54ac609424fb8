import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { opsCodecEndpoint, type Env } from '../config/env.js';
import { loadDotEnv } from '../config/startup.js';
import { searchAttributeDefinitions, searchAttributes } from '../workflows/search-attributes.js';
import { findOrBuildTemporalCli } from './temporal-cli.js';

/**
 * The local Temporal dev server: persistent (SQLite file), with the Web UI, and the
 * product's search attributes registered. `--search-attribute` at start only applies when
 * the namespace is first created, so attributes are registered with the CLI every start
 * (repeating it is harmless).
 */
export interface DevServerOptions {
  dataDir: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** The codec server the Web UI calls to show decrypted payloads. */
  uiCodecEndpoint?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  cliPath?: string;
  stop(): Promise<void>;
}

/**
 * Dynamic config the product's dev servers run with. Eager activity execution hands an activity
 * the workflow schedules straight back to the worker that completed the workflow task, without
 * the matching round trip (a server setting, off by default; BENCHMARKS.md, reply latency).
 */
export const devServerDynamicConfig = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

/**
 * The SQLite file in write-ahead-log mode, synced at checkpoints rather than at every commit:
 * each workflow task, activity and signal commits, and on this machine a sync per commit added
 * about 80 ms to every reply (BENCHMARKS.md, reply latency). A killed server loses nothing;
 * a power cut may lose the last commits (the dev server is not where production runs).
 */
const sqliteFileArgs = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? port + 1000;
  const namespace = options.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://localhost:${uiPort}`;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  mkdirSync(options.dataDir, { recursive: true });
  const dbFilename = join(options.dataDir, 'temporal.sqlite');
  const cli = await findOrBuildTemporalCli(log);

  if (!cli.path) {
    // No CLI and no Go, but internet: the SDK downloads and runs the dev server.
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        ui: true,
        uiPort,
        dbFilename,
        namespace,
        searchAttributes: Object.values(searchAttributes),
        extraArgs: [...devServerDynamicConfig, ...sqliteFileArgs, ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : [])],
      },
    });
    return { address, uiUrl, namespace, stop: () => env.teardown() };
  }

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', dbFilename,
    '--namespace', namespace, '--log-level', 'warn', ...devServerDynamicConfig, ...sqliteFileArgs];
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilReachable(address, child, () => stderr);
    await registerSearchAttributes(cli.path, address, namespace);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    uiUrl,
    namespace,
    cliPath: cli.path,
    stop: () => stopProcess(child),
  };
}

/** One call per attribute: the CLI registers only the first of several `--name` flags. */
export async function registerSearchAttributes(cliPath: string, address: string, namespace: string): Promise<void> {
  for (const { name, type } of searchAttributeDefinitions) {
    await promisify(execFile)(cliPath, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', name, '--type', type], {
      timeout: 30_000,
    });
  }
}

/**
 * Waits until a Temporal server process answers on `address`; fails at once when it exits.
 * `name` and `timeoutMs` word and bound the wait (the dev server, Temporal Server on PostgreSQL).
 */
export async function waitUntilReachable(
  address: string,
  child: ChildProcess,
  stderr: () => string,
  options: { name: string; timeoutMs: number; pollMs: number } = { name: 'the Temporal dev server', timeoutMs: 60_000, pollMs: 300 },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited (code ${child.exitCode}): ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${options.name} did not answer on ${address} within ${options.timeoutMs / 1000} s: ${stderr()}`);
      await new Promise((r) => setTimeout(r, options.pollMs));
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `npm run dev-server`'s options: data in .data/temporal, and the Web UI decoding payloads
 * through the ops listener's codec server (where `npm run api` puts it), as with `npm start`.
 */
export function devServerOptionsFrom(env: Env, cwd: string): DevServerOptions {
  return {
    dataDir: join(cwd, '.data', 'temporal'),
    uiCodecEndpoint: env.PAYLOAD_ENCRYPTION?.trim() === 'off' ? undefined : opsCodecEndpoint(env),
  };
}

// `npm run dev-server`: only the dev server, in the foreground.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  loadDotEnv();
  startDevServer(devServerOptionsFrom(process.env, process.cwd()))
    .then((server) => {
      process.stdout.write(`Temporal dev server: ${server.address} (namespace ${server.namespace}), Web UI ${server.uiUrl}\n`);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    });
}
