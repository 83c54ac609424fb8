import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Obtains the `temporal` CLI (which carries the dev server) without a download from
 * Temporal's servers: TEMPORAL_CLI_PATH, then `temporal` on PATH, then a cached build, then
 * a build with Go into the cache. With none of these, callers fall back to the SDK's download.
 */
export const temporalCliVersion = '1.5.1';
const goPackage = `github.com/temporalio/cli/cmd/temporal@v${temporalCliVersion}`;
const versionFlag = `-X github.com/temporalio/cli/temporalcli.Version=${temporalCliVersion}`;

export function temporalCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'freshchat-ai-agent', `temporal-cli-${temporalCliVersion}`);
}

export type TemporalCli = { path: string; source: 'env' | 'path' | 'cache' | 'built' } | { path: undefined; source: 'sdk-download' };

export async function findOrBuildTemporalCli(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<TemporalCli> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH?.trim();
  if (fromEnv) {
    if (!isRunnable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not a runnable temporal CLI`);
    return { path: fromEnv, source: 'env' };
  }
  if (isRunnable('temporal')) return { path: 'temporal', source: 'path' };
  const cached = join(temporalCacheDir(), 'temporal');
  if (isRunnable(cached)) return { path: cached, source: 'cache' };
  if (hasGo()) {
    log(`Building the Temporal CLI ${temporalCliVersion} (dev server) with Go into ${temporalCacheDir()}; this takes a few minutes once.`);
    mkdirSync(temporalCacheDir(), { recursive: true });
    await promisify(execFile)('go', ['install', '-ldflags', `-s -w ${versionFlag}`, goPackage], {
      env: { ...process.env, GOBIN: temporalCacheDir(), CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (!isRunnable(cached)) throw new Error(`go install finished but ${cached} does not run`);
    log(`Temporal CLI built: ${cached}`);
    return { path: cached, source: 'built' };
  }
  log('No temporal CLI and no Go: the Temporal SDK will download the dev server (needs internet).');
  return { path: undefined, source: 'sdk-download' };
}

function isRunnable(path: string): boolean {
  if (path.includes('/') && !existsSync(path)) return false;
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && /temporal/i.test(result.stdout);
}

function hasGo(): boolean {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

// `node dist/scripts/temporal-cli.js` prints the CLI's path (building it if needed): used by .ci/run.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  findOrBuildTemporalCli()
    .then((cli) => process.stdout.write(`${cli.path ?? 'sdk-download'}\n`))
    .catch((error) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    });
}
