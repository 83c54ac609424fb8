import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadOrCreateDevEncryptionKey } from '../../codec/dev-key.js';
import { EncryptionKeyError, parseEncryptionKeys } from '../../codec/encryption-keys.js';

describe('loadOrCreateDevEncryptionKey', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codec-dev-key-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the key file once (mode 0600) and reuses it afterwards', async () => {
    const keyDir = join(dir, 'nested', '.local');
    const first = await loadOrCreateDevEncryptionKey(keyDir);

    expect(first.created).to.equal(true);
    expect(first.path).to.equal(join(keyDir, 'payload-encryption-key'));
    const [key] = parseEncryptionKeys(first.setting);
    expect(key!.id).to.equal('dev');
    expect(key!.key).to.have.length(32);
    expect((await readFile(first.path, 'utf8')).trim()).to.equal(first.setting);
    if (process.platform !== 'win32') {
      expect((await stat(first.path)).mode & 0o777).to.equal(0o600);
    }

    const second = await loadOrCreateDevEncryptionKey(keyDir);
    expect(second).to.deep.equal({ setting: first.setting, created: false, path: first.path });
  });

  it('agrees on one key when called concurrently', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateDevEncryptionKey(dir)));
    expect(results.filter((r) => r.created)).to.have.length(1);
    expect(new Set(results.map((r) => r.setting)).size).to.equal(1);
  });

  it('fails with a message naming the file when it is damaged', async () => {
    const path = join(dir, 'payload-encryption-key');
    await writeFile(path, 'dev:not-a-32-byte-key\n', { mode: 0o600 });
    try {
      await loadOrCreateDevEncryptionKey(dir);
      expect.fail('a damaged key file was accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(EncryptionKeyError);
      expect((error as Error).message).to.include(path);
    }
  });
});
