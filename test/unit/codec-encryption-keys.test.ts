import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  EncryptionKeyError,
  generateEncryptionKeySetting,
  parseEncryptionKeys,
} from '../../codec/encryption-keys.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyABase64 = keyA.toString('base64');

/** Runs parseEncryptionKeys expecting an EncryptionKeyError; returns its message. */
function parseError(value: string): string {
  try {
    parseEncryptionKeys(value);
  } catch (error) {
    expect(error).to.be.instanceOf(EncryptionKeyError);
    return (error as Error).message;
  }
  expect.fail(`parseEncryptionKeys accepted ${JSON.stringify(value)}`);
}

describe('parseEncryptionKeys', () => {
  it('parses a list of id:base64key entries in order', () => {
    const keys = parseEncryptionKeys(` k2:${keyB.toString('base64')} , k1.old_v-1:${keyABase64}`);
    expect(keys.map((k) => k.id)).to.deep.equal(['k2', 'k1.old_v-1']);
    expect(keys[0]!.key.equals(keyB)).to.equal(true);
    expect(keys[1]!.key.equals(keyA)).to.equal(true);
  });

  it('accepts URL-safe base64 without padding and ignores a trailing comma', () => {
    const urlSafe = keyA.toString('base64url');
    const [key] = parseEncryptionKeys(`a:${urlSafe},`);
    expect(key!.key.equals(keyA)).to.equal(true);
  });

  it('rejects an empty value', () => {
    expect(parseError('  ')).to.match(/^PAYLOAD_ENCRYPTION_KEYS: is empty/);
  });

  it('rejects an entry without an id separator, without echoing it', () => {
    const message = parseError(keyABase64);
    expect(message).to.include('PAYLOAD_ENCRYPTION_KEYS').and.include("entry 1 has no ':'");
    expect(message).not.to.include(keyABase64);
  });

  it('rejects an empty id', () => {
    const message = parseError(`:${keyABase64}`);
    expect(message).to.include('PAYLOAD_ENCRYPTION_KEYS').and.include('entry 1 has an empty key id');
    expect(message).not.to.include(keyABase64);
  });

  it('rejects an id with characters outside [A-Za-z0-9._-], without echoing the id', () => {
    const keyLikeId = keyB.toString('base64').slice(0, 20) + '+/';
    const message = parseError(`ok:${keyABase64},${keyLikeId}:${keyABase64}`);
    expect(message).to.include('entry 2 has a key id with characters outside [A-Za-z0-9._-]');
    expect(message).not.to.include(keyLikeId);
    expect(message).not.to.include(keyABase64);
  });

  it('rejects bad base64', () => {
    const badKey = `${keyABase64.slice(0, 20)}!!${keyABase64.slice(22)}`;
    const message = parseError(`prod:${badKey}`);
    expect(message).to.include('entry 1 (key id "prod") is not valid base64');
    expect(message).not.to.include(badKey);
    expect(message).not.to.include(keyABase64.slice(0, 20));
  });

  it('rejects a key of the wrong length and says how long it is', () => {
    const shortKey = randomBytes(16).toString('base64');
    const message = parseError(`prod:${shortKey}`);
    expect(message).to.include('PAYLOAD_ENCRYPTION_KEYS').and.include('16 bytes').and.include('needs 32');
    expect(message).not.to.include(shortKey);
  });

  it('rejects an entry with an empty key', () => {
    expect(parseError('prod:')).to.include('entry 1 (key id "prod") has an empty key');
  });

  it('rejects a duplicate id', () => {
    const message = parseError(`same:${keyABase64},same:${keyB.toString('base64')}`);
    expect(message).to.include('key id "same" appears more than once');
    expect(message).not.to.include(keyABase64);
    expect(message).not.to.include(keyB.toString('base64'));
  });

  it('names another source when asked (e.g. the dev key file)', () => {
    expect(() => parseEncryptionKeys('', '/tmp/some-file')).to.throw(EncryptionKeyError, /^\/tmp\/some-file: /);
  });
});

describe('generateEncryptionKeySetting', () => {
  it('makes a setting that parses back to a fresh 32-byte key', () => {
    const first = generateEncryptionKeySetting('dev');
    const second = generateEncryptionKeySetting('dev');
    expect(first).to.match(/^dev:[A-Za-z0-9+/]{43}=$/);
    expect(first).not.to.equal(second);
    const [key] = parseEncryptionKeys(first);
    expect(key!.id).to.equal('dev');
    expect(key!.key).to.have.length(32);
  });

  it('refuses an id the parser would refuse', () => {
    expect(() => generateEncryptionKeySetting('no spaces')).to.throw(EncryptionKeyError);
    expect(() => generateEncryptionKeySetting('')).to.throw(EncryptionKeyError);
  });
});
