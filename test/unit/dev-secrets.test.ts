import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ContactIdSecretError, loadOrCreateDevContactIdSecret } from '../../config/contact-id-secret.js';
import { loadWorkerStartup } from '../../config/startup.js';
import type { Env } from '../../config/env.js';
import { applyDevSecrets } from '../../scripts/dev-secrets.js';

describe('development secrets of `npm start`', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-secrets-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('loadOrCreateDevContactIdSecret', () => {
    it('creates the secret file once (mode 0600) with 32 random bytes in base64, and reuses it afterwards', async () => {
      const dataDir = join(dir, 'nested', '.data');
      const first = await loadOrCreateDevContactIdSecret(dataDir);
      expect(first.created).to.equal(true);
      expect(first.path).to.equal(join(dataDir, 'contact-id-secret'));
      expect(first.value).to.match(/^[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(first.value, 'base64')).to.have.length(32);
      expect((await readFile(first.path, 'utf8')).trim()).to.equal(first.value);
      if (process.platform !== 'win32') expect((await stat(first.path)).mode & 0o777).to.equal(0o600);

      const second = await loadOrCreateDevContactIdSecret(dataDir);
      expect(second).to.deep.equal({ value: first.value, created: false, path: first.path });
    });

    it('agrees on one secret when called concurrently', async () => {
      const results = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateDevContactIdSecret(dir)));
      expect(results.filter((r) => r.created)).to.have.length(1);
      expect(new Set(results.map((r) => r.value)).size).to.equal(1);
    });

    it('fails with a message naming the file, not its content, when it is damaged', async () => {
      const path = join(dir, 'contact-id-secret');
      await writeFile(path, 'TOOSHORT\n', { mode: 0o600 });
      try {
        await loadOrCreateDevContactIdSecret(dir);
        expect.fail('a damaged secret file was accepted');
      } catch (error) {
        expect(error).to.be.instanceOf(ContactIdSecretError);
        expect((error as Error).message).to.include(path).and.include('CONTACT_ID_SECRET').and.not.include('TOOSHORT');
      }
    });
  });

  describe('applyDevSecrets', () => {
    const workerSettings = {
      FRESHCHAT_API_URL: 'https://acme.freshchat.com/v2',
      FRESHCHAT_API_TOKEN: 'token',
      FRESHCHAT_AI_AGENT_EMAIL: 'ai@acme.com',
      FRESHDESK_API_URL: 'https://acme.freshdesk.com',
      FRESHDESK_API_KEY: 'freshdesk-key',
      SHOP_API_URL: 'https://shop.acme.com/api',
      SHOP_API_TOKEN: 'shop-token',
    };

    it('generates the encryption key and the contact id secret beside it, says so, and the worker accepts them', async () => {
      const env: Env = { CONTACT_ID_SECRET: '' }; // as a .env copied from .env.example leaves it
      const lines = await applyDevSecrets(env, dir);
      expect(lines).to.deep.equal([
        `Payload encryption: development key generated at ${join(dir, 'payload-encryption-key')} (set PAYLOAD_ENCRYPTION_KEYS in production)`,
        `Contact ids: development secret generated at ${join(dir, 'contact-id-secret')} (set CONTACT_ID_SECRET in production; it never rotates)`,
      ]);
      expect(env.CONTACT_ID_SECRET).to.equal((await readFile(join(dir, 'contact-id-secret'), 'utf8')).trim());
      expect(lines.join('\n')).not.to.include(env.CONTACT_ID_SECRET!);
      const startup = loadWorkerStartup({ ...workerSettings, ...env });
      expect(startup.contactIdSecret).to.equal(env.CONTACT_ID_SECRET);
      expect(startup.warnings).to.deep.equal([]);

      const again: Env = {};
      expect(await applyDevSecrets(again, dir)).to.deep.equal([
        `Payload encryption: development key loaded at ${join(dir, 'payload-encryption-key')} (set PAYLOAD_ENCRYPTION_KEYS in production)`,
        `Contact ids: development secret loaded at ${join(dir, 'contact-id-secret')} (set CONTACT_ID_SECRET in production; it never rotates)`,
      ]);
      expect(again).to.deep.equal(env);
    });

    it('leaves a configured secret alone, and makes none in production (where the worker must be given one)', async () => {
      const configured: Env = { CONTACT_ID_SECRET: 'configured-secret-0123456789abcdefghij', PAYLOAD_ENCRYPTION: 'off' };
      expect(await applyDevSecrets(configured, dir)).to.deep.equal([]);
      expect(configured.CONTACT_ID_SECRET).to.equal('configured-secret-0123456789abcdefghij');

      const production: Env = { NODE_ENV: 'production', PAYLOAD_ENCRYPTION: 'off' };
      expect(await applyDevSecrets(production, dir)).to.deep.equal([]);
      expect(production.CONTACT_ID_SECRET).to.equal(undefined);
    });

    it('makes the contact id secret against a configured Temporal cluster too (the encryption key is not made there)', async () => {
      const env: Env = { TEMPORAL_ADDRESS: 'temporal.internal:7233' };
      const lines = await applyDevSecrets(env, dir);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^Contact ids: development secret generated/);
      expect(env.PAYLOAD_ENCRYPTION_KEYS).to.equal(undefined);
      expect(env.CONTACT_ID_SECRET).to.have.length(44);
    });
  });
});
