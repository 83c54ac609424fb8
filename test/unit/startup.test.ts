import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { contactIdFor } from '../../activities/freshchat-activities.js';
import { DEVELOPMENT_CONTACT_ID_SECRET } from '../../config/contact-id-secret.js';
import { loadApiStartup, loadWorkerStartup } from '../../config/startup.js';
import { ConfigError, hostPort } from '../../config/env.js';
import { defaultMaxCachedWorkflows } from '../../worker/create-worker.js';
import { repoRoot } from '../helpers/system.js';
import { freePort } from '../helpers/temporal-server.js';

const keyText = Buffer.alloc(32, 1).toString('base64');
const key = `k1:${keyText}`;
const contactIdSecret = 'cis-Vb8Xq3nW9rT2kLm5pZ7yA1cD4eF6gH0j';

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('start-up settings', () => {
  const goodWorkerEnv = {
    NODE_ENV: 'production',
    FRESHCHAT_API_URL: 'https://acme.freshchat.com/v2',
    FRESHCHAT_API_TOKEN: 'token',
    FRESHCHAT_AI_AGENT_EMAIL: 'ai@acme.com',
    PAYLOAD_ENCRYPTION_KEYS: key,
    CONTACT_ID_SECRET: contactIdSecret,
    // The example settings sync a freshdesk knowledge source.
    FRESHDESK_API_URL: 'https://acme.freshdesk.com',
    FRESHDESK_API_KEY: 'freshdesk-key',
    // ...and its tools call the shop's API.
    SHOP_API_URL: 'https://shop.acme.com/api',
    SHOP_API_TOKEN: 'shop-token',
  };

  it('leaves the example settings\' tools out, with one warning naming their variables, when the shop is not set', () => {
    const { SHOP_API_URL: _url, SHOP_API_TOKEN: _token, ...withoutShop } = goodWorkerEnv;
    const startup = loadWorkerStartup(withoutShop);
    expect(startup.settings.tools).to.deep.equal([]);
    expect(startup.warnings).to.have.length(1);
    expect(startup.warnings[0]!.message).to.include('SHOP_API_URL').and.include('SHOP_API_TOKEN').and.include('refund_order').and.include('order_status');
    expect(loadWorkerStartup(goodWorkerEnv).settings.tools.map((t) => t.name)).to.deep.equal(['refund_order', 'order_status']);
  });

  it("refuses an operator's own settings file whose tools name unset variables, naming each", () => {
    // A copy of the example beside it (its knowledge paths are relative to its folder).
    const path = join(repoRoot, `.own-settings-${process.pid}.yaml`);
    copyFileSync(join(repoRoot, 'settings.example.yaml'), path);
    const { SHOP_API_TOKEN: _token, ...withoutToken } = goodWorkerEnv;
    let error: Error;
    try {
      error = errorOf(() => loadWorkerStartup({ ...withoutToken, ASSISTANT_SETTINGS: path }));
    } finally {
      rmSync(path, { force: true });
    }
    expect(error.message).to.include('tools[0] (refund_order): SHOP_API_TOKEN is not set').and.include('tools[1] (order_status): SHOP_API_TOKEN is not set');
    expect(error.message).to.not.include('SHOP_API_URL');
  });

  it('accepts a complete production environment with the example settings file', () => {
    const startup = loadWorkerStartup(goodWorkerEnv);
    expect(startup.env.FRESHCHAT_ROUTING_MODE).to.equal('auto');
    expect(startup.env.TEMPORAL_TASK_QUEUE).to.equal('freshchat-ai');
    expect(startup.aiProvider).to.deep.equal({ provider: 'faq' });
    expect(startup.encryptionKeys?.[0]?.id).to.equal('k1');
    expect(startup.contactIdSecret).to.equal(contactIdSecret);
    expect(startup.warnings).to.deep.equal([]);
  });

  it('without FRESHDESK_API_URL warns once for the example settings: its freshdesk source and its sitemap path both read the account', () => {
    const { FRESHDESK_API_URL: _, ...withoutAccount } = goodWorkerEnv;
    const messages = loadWorkerStartup(withoutAccount).warnings.map((w) => w.message);
    expect(messages.filter((m) => m.startsWith('FRESHDESK_API_URL'))).to.deep.equal([
      'FRESHDESK_API_URL must be the Freshdesk account URL (e.g. https://acme.freshdesk.com) when the settings name a freshdesk knowledge source or a sitemap by its path',
    ]);
  });

  describe('CONTACT_ID_SECRET', () => {
    const { CONTACT_ID_SECRET: _, ...withoutSecret } = goodWorkerEnv;

    it('production without it fails, naming it and saying how to generate one, with the other problems', () => {
      for (const unset of [withoutSecret, { ...withoutSecret, CONTACT_ID_SECRET: '   ' }]) {
        const error = errorOf(() => loadWorkerStartup({ ...unset, FRESHCHAT_API_TOKEN: '' }));
        expect(error.problems.filter((p) => p.includes('CONTACT_ID_SECRET'))).to.have.length(1);
        expect(error.message).to.include('CONTACT_ID_SECRET').and.include('NODE_ENV=production').and.include('openssl rand -base64 32');
        expect(error.message).to.include('FRESHCHAT_API_TOKEN');
      }
    });

    it('fails when shorter than 32 characters, in production or not, without echoing it', () => {
      const short = 'x'.repeat(20) + 'SHORTSECRET'; // 31 characters
      for (const nodeEnv of ['production', 'development']) {
        const error = errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, NODE_ENV: nodeEnv, CONTACT_ID_SECRET: short }));
        expect(error.message).to.include('CONTACT_ID_SECRET must be at least 32 characters');
        expect(error.message).not.to.include('SHORTSECRET');
      }
      expect(loadWorkerStartup({ ...goodWorkerEnv, CONTACT_ID_SECRET: `${short}x` }).contactIdSecret).to.equal(`${short}x`);
    });

    it('fails when it equals a payload encryption key: the whole id:key entry or the key text, of any entry', () => {
      const secondKeyText = Buffer.alloc(32, 2).toString('base64');
      const keys = `${key}, k0:${secondKeyText}`;
      const cases: Array<[string, string]> = [
        [key, 'entry 1'],
        [keyText, 'entry 1'],
        [`k0:${secondKeyText}`, 'entry 2'],
        [secondKeyText, 'entry 2'],
        [`  ${secondKeyText}  `, 'entry 2'],
        [keys, 'entry 1'],
      ];
      for (const [secret, entry] of cases) {
        for (const nodeEnv of ['production', 'development']) {
          const error = errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, NODE_ENV: nodeEnv, PAYLOAD_ENCRYPTION_KEYS: keys, CONTACT_ID_SECRET: secret }));
          const [problem, ...more] = error.problems.filter((p) => p.includes('CONTACT_ID_SECRET'));
          expect(problem, secret).to.include('must not equal a payload encryption key').and.include(entry);
          expect(error.message).not.to.include(keyText).and.not.include(secondKeyText);
          if (secret === keys) expect(more).to.have.length(1); // both entries named
        }
      }
    });

    it('production refuses the public development secret', () => {
      const error = errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, CONTACT_ID_SECRET: DEVELOPMENT_CONTACT_ID_SECRET }));
      expect(error.message).to.include('CONTACT_ID_SECRET is the public development secret');
    });

    it('outside production a missing secret falls back to the development secret, with a warning', () => {
      for (const nodeEnv of [undefined, 'development', 'test', 'Production ']) {
        const startup = loadWorkerStartup({ ...withoutSecret, NODE_ENV: nodeEnv });
        expect(startup.contactIdSecret, String(nodeEnv)).to.equal(DEVELOPMENT_CONTACT_ID_SECRET);
        expect(startup.warnings).to.have.length(1);
        expect(startup.warnings[0]!.setting).to.equal('CONTACT_ID_SECRET');
        expect(startup.warnings[0]!.message).to.include('CONTACT_ID_SECRET is not set').and.include('openssl rand -base64 32');
        expect(contactIdFor({ email: 'jane.doe@example.com' }, startup.contactIdSecret)).to.match(/^ct_[0-9a-f]{24}$/);
      }
    });
  });

  it('names every wrong setting in one message: environment and settings file together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-startup-'));
    const settingsPath = join(dir, 'settings.yaml');
    writeFileSync(settingsPath, 'knowledgeBase: missing.yaml\nhandoff:\n  minConfidence: 3\n');
    const error = errorOf(() =>
      loadWorkerStartup({
        FRESHCHAT_API_URL: 'not a url',
        FRESHCHAT_ROUTING_MODE: 'sometimes',
        AI_PROVIDER: 'openai',
        ASSISTANT_SETTINGS: settingsPath,
      }),
    );
    for (const named of ['FRESHCHAT_API_URL', 'FRESHCHAT_API_TOKEN', 'FRESHCHAT_AI_AGENT_EMAIL', 'FRESHCHAT_ROUTING_MODE', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'OPENAI_BASE_URL', 'PAYLOAD_ENCRYPTION_KEYS', 'handoff.minConfidence']) {
      expect(error.message).to.include(named);
    }
  });

  it('refuses to run keyless unless encryption is turned off explicitly', () => {
    const { PAYLOAD_ENCRYPTION_KEYS: _, ...keyless } = goodWorkerEnv;
    expect(errorOf(() => loadWorkerStartup(keyless)).message).to.include('PAYLOAD_ENCRYPTION_KEYS');
    expect(loadWorkerStartup({ ...keyless, PAYLOAD_ENCRYPTION: 'off' }).encryptionKeys).to.equal(null);
  });

  it('without WORKER_MAX_CACHED_WORKFLOWS the sticky cache is 4 MB a workflow of the heap limit less 200 MB (the SDK default of 600 per GB ran out of heap), at least 10', () => {
    expect(defaultMaxCachedWorkflows(4144)).to.equal(986);
    expect(defaultMaxCachedWorkflows(8192)).to.equal(1998);
    expect(defaultMaxCachedWorkflows(128)).to.equal(10);
    expect(defaultMaxCachedWorkflows()).to.be.within(10, 1_000_000);
  });

  it('WORKER_MAX_CACHED_WORKFLOWS sizes the sticky cache: unset (or empty) = the default; not a whole number >= 0 is refused by name', () => {
    expect(loadWorkerStartup(goodWorkerEnv).env.WORKER_MAX_CACHED_WORKFLOWS).to.equal(undefined);
    expect(loadWorkerStartup({ ...goodWorkerEnv, WORKER_MAX_CACHED_WORKFLOWS: '' }).env.WORKER_MAX_CACHED_WORKFLOWS).to.equal(undefined);
    expect(loadWorkerStartup({ ...goodWorkerEnv, WORKER_MAX_CACHED_WORKFLOWS: '500' }).env.WORKER_MAX_CACHED_WORKFLOWS).to.equal(500);
    expect(loadWorkerStartup({ ...goodWorkerEnv, WORKER_MAX_CACHED_WORKFLOWS: '0' }).env.WORKER_MAX_CACHED_WORKFLOWS).to.equal(0);
    for (const bad of ['-1', '1.5', 'lots']) {
      expect(errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, WORKER_MAX_CACHED_WORKFLOWS: bad })).message).to.include('WORKER_MAX_CACHED_WORKFLOWS must be');
    }
  });

  describe('METRICS_PORT and METRICS_HOST (the worker\'s Prometheus exporter)', () => {
    it('are off by default and listen on loopback when only the port is given', () => {
      const defaults = loadWorkerStartup(goodWorkerEnv).env;
      expect(defaults.METRICS_PORT).to.equal(undefined);
      expect(defaults.METRICS_HOST).to.equal('127.0.0.1');
      expect(loadWorkerStartup({ ...goodWorkerEnv, METRICS_PORT: '9464' }).env).to.include({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' });
    });

    it('take any IP address, IPv6 in brackets or not, bound as host:port', () => {
      expect(loadWorkerStartup({ ...goodWorkerEnv, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).env.METRICS_HOST).to.equal('0.0.0.0');
      expect(hostPort(loadWorkerStartup({ ...goodWorkerEnv, METRICS_HOST: '::' }).env.METRICS_HOST, 9464)).to.equal('[::]:9464');
      expect(hostPort(loadWorkerStartup({ ...goodWorkerEnv, METRICS_HOST: '[::1]' }).env.METRICS_HOST, 9464)).to.equal('[::1]:9464');
      expect(hostPort('10.0.0.5', 9464)).to.equal('10.0.0.5:9464');
    });

    it('name a wrong port and a host that is not an IP address in the one start-up message, with the other problems', () => {
      const { FRESHCHAT_API_TOKEN: _, ...noToken } = goodWorkerEnv;
      const error = errorOf(() => loadWorkerStartup({ ...noToken, METRICS_PORT: '70000', METRICS_HOST: 'metrics.internal' }));
      expect(error.problems.some((p) => p.startsWith('METRICS_PORT'))).to.equal(true);
      expect(error.problems).to.include('METRICS_HOST must be an IP address such as 127.0.0.1, 0.0.0.0 or ::');
      expect(error.message).to.include('FRESHCHAT_API_TOKEN');
      expect(errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, METRICS_PORT: 'ninety' })).message).to.include('METRICS_PORT must be a port number');
      expect(errorOf(() => loadWorkerStartup({ ...goodWorkerEnv, METRICS_HOST: '127.0.0.1:9464' })).message).to.include('METRICS_HOST');
    });
  });

  it('checks the API: webhook key and port', () => {
    const error = errorOf(() => loadApiStartup({ FRESHCHAT_WEBHOOK_PUBLIC_KEY: '-----BEGIN RSA PUBLIC KEY----- nope -----END RSA PUBLIC KEY-----', PORT: 'eighty', PAYLOAD_ENCRYPTION_KEYS: key }));
    expect(error.message).to.include('FRESHCHAT_WEBHOOK_PUBLIC_KEY');
    expect(error.message).to.include('PORT');
  });
});

/** `node dist/worker/main.js` as operators run it: only this environment, an empty working directory. */
describe('worker process start-up: CONTACT_ID_SECRET', function () {
  this.timeout(30_000);

  async function baseEnv(): Promise<Record<string, string>> {
    const home = mkdtempSync(join(tmpdir(), 'fc-worker-startup-'));
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      // Nothing listens there: the worker never reaches a Temporal server (nor anyone else's dev server).
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_NAMESPACE: 'default',
      FRESHCHAT_API_URL: 'http://127.0.0.1:9/v2',
      FRESHCHAT_API_TOKEN: 'startup-token',
      FRESHCHAT_AI_AGENT_EMAIL: 'ai-agent@example.com',
      PAYLOAD_ENCRYPTION_KEYS: key,
      LOG_LEVEL: 'info',
    };
  }

  /** Runs the worker until it exits, or until stdout matches `until` (then stops it). */
  function runWorker(env: Record<string, string>, until?: RegExp): Promise<{ code: number | 'stopped'; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'worker', 'main.js')], { cwd: env.HOME, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let stopped = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (until && !stopped && until.test(stdout)) {
          stopped = true;
          child.kill('SIGKILL');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: stopped ? 'stopped' : (code ?? -1), stdout, stderr });
      });
    });
  }

  it('with NODE_ENV=production and no secret, exits 1 with one message naming it and how to generate one', async () => {
    const outcome = await runWorker({ ...(await baseEnv()), NODE_ENV: 'production' });
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr.match(/Invalid settings/g)).to.have.length(1);
    expect(outcome.stderr).to.include('CONTACT_ID_SECRET').and.include('openssl rand -base64 32');
    expect(outcome.stderr).not.to.match(/\n\s+at /); // a message, not a stack trace
    expect(outcome.stdout).not.to.include('worker started');
  });

  it('outside production, without a secret, logs one warning line naming it before connecting', async () => {
    const outcome = await runWorker(await baseEnv(), /CONTACT_ID_SECRET/);
    expect(outcome.code).to.equal('stopped');
    const warning = outcome.stdout
      .split('\n')
      .filter((line) => line.includes('CONTACT_ID_SECRET'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warning).to.have.length(1);
    expect(warning[0]).to.include({ level: 'warn', component: 'worker', setting: 'CONTACT_ID_SECRET' });
    expect(warning[0]!.msg).to.include('CONTACT_ID_SECRET is not set').and.include('development secret');
  });

  it('with a secret set, logs no such warning', async () => {
    const outcome = await runWorker({ ...(await baseEnv()), NODE_ENV: 'production', CONTACT_ID_SECRET: contactIdSecret }, /Temporal not reachable yet/);
    expect(outcome.stderr).not.to.include('Invalid settings');
    // It got past the settings: what holds it is the missing Temporal server, which it waits for.
    expect(outcome.code).to.equal('stopped');
    expect(outcome.stdout).to.match(/"msg":"Temporal not reachable yet: trying again in 2 s"/);
    expect(outcome.stdout).not.to.include('CONTACT_ID_SECRET');
    expect(outcome.stdout).not.to.include(contactIdSecret);
  });
});
