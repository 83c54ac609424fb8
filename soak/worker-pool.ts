/**
 * K worker processes, `node dist/worker/main.js` as operators run it (environment variables
 * only), that the soak kills with SIGKILL one at a time and starts again. Their log lines go
 * to a file each (they are JSON with ids only; never echoed to the soak's output).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** What a worker process of the soak (and bench:scale) is told, environment only, as operators run it. */
export interface WorkerSetting {
  temporal: { address: string; namespace: string; uiUrl: string };
  taskQueue: string;
  freshchat: { apiUrl: string; apiToken: string; aiAgentEmail: string };
  /** The OpenAI-compatible endpoint (soak/ai-stub.ts). */
  aiBaseUrl: string;
  settingsPath: string;
  /** PAYLOAD_ENCRYPTION_KEYS, the same the webhook API encrypts with. */
  encryptionKeys: string;
  sqlitePath: string;
}

export function workerEnvironment(w: WorkerSetting): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TEMPORAL_ADDRESS: w.temporal.address,
    TEMPORAL_NAMESPACE: w.temporal.namespace,
    TEMPORAL_TASK_QUEUE: w.taskQueue,
    TEMPORAL_UI_URL: w.temporal.uiUrl,
    FRESHCHAT_API_URL: w.freshchat.apiUrl,
    FRESHCHAT_API_TOKEN: w.freshchat.apiToken,
    FRESHCHAT_AI_AGENT_EMAIL: w.freshchat.aiAgentEmail,
    FRESHCHAT_ROUTING_MODE: 'auto',
    AI_PROVIDER: 'openai',
    OPENAI_BASE_URL: w.aiBaseUrl,
    OPENAI_API_KEY: 'stub-key',
    OPENAI_MODEL: 'stub-model',
    ASSISTANT_SETTINGS: w.settingsPath,
    PAYLOAD_ENCRYPTION_KEYS: w.encryptionKeys,
    CONTACT_ID_SECRET: randomBytes(32).toString('base64'),
    SQLITE_PATH: w.sqlitePath,
    LOG_LEVEL: 'warn',
  };
}

export interface WorkerPool {
  readonly size: number;
  /** SIGKILLs worker `index`, waits for it to be gone, and starts a new one in its place. */
  killAndRestart(index: number): Promise<void>;
  /** Workers that exited without being killed by the soak (a crash is a finding). */
  readonly unexpectedExits: number;
  stop(): Promise<void>;
}

const maxUnexpectedExits = 10;

export function startWorkerPool(options: { count: number; repoRoot: string; env: Record<string, string>; logDir: string; onFatal: (error: Error) => void }): WorkerPool {
  const workers: Array<{ child: ChildProcess; killed: boolean } | undefined> = [];
  const logs: WriteStream[] = [];
  let unexpectedExits = 0;
  let stopping = false;

  const start = (index: number) => {
    const child = spawn(process.execPath, ['dist/worker/main.js'], { cwd: options.repoRoot, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = (logs[index] ??= createWriteStream(join(options.logDir, `worker-${index}.log`), { flags: 'a' }));
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const entry = { child, killed: false };
    child.once('exit', (code, signal) => {
      if (!entry.killed && !stopping) {
        unexpectedExits++;
        log.write(`{"soak":"worker ${index} exited on its own","code":${code},"signal":${JSON.stringify(signal)}}\n`);
        // A worker that died on its own is started again too (the soak goes on, and reports it), a second later
        // and a bounded number of times: one that cannot start at all stops the soak.
        if (unexpectedExits > maxUnexpectedExits) options.onFatal(new Error(`workers exited on their own ${unexpectedExits} times; see ${join(options.logDir, `worker-${index}.log`)}`));
        else setTimeout(() => !stopping && start(index), 1000);
      }
    });
    workers[index] = entry;
  };
  for (let i = 0; i < options.count; i++) start(i);

  const kill = async (entry: { child: ChildProcess; killed: boolean }) => {
    entry.killed = true;
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
    const exited = new Promise((resolve) => entry.child.once('exit', resolve));
    entry.child.kill('SIGKILL');
    await exited;
  };

  return {
    size: options.count,
    get unexpectedExits() {
      return unexpectedExits;
    },
    async killAndRestart(index) {
      const entry = workers[index];
      if (entry) await kill(entry);
      if (!stopping) start(index);
    },
    async stop() {
      stopping = true;
      await Promise.all(workers.map((entry) => entry && kill(entry)));
      for (const log of logs) log.end();
    },
  };
}
