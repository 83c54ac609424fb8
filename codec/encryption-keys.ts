import { randomBytes } from 'node:crypto';

/** One AES-256 key and the id written next to every payload it encrypts. */
export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** A wrong PAYLOAD_ENCRYPTION_KEYS (or dev key file). The message never contains key material. */
export class EncryptionKeyError extends Error {
  override readonly name = 'EncryptionKeyError';
}

export const ENCRYPTION_KEYS_SETTING = 'PAYLOAD_ENCRYPTION_KEYS';
export const KEY_LENGTH_BYTES = 32;

/** Key ids travel in payload metadata and in error messages, so they stay short and printable. */
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const MAX_KEY_ID_LENGTH = 64;
/** Standard or URL-safe base64, padding optional: what `openssl rand -base64 32` and friends print. */
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

const FORMAT_HINT =
  'expected comma-separated `id:base64key` entries with 32-byte keys, the first one encrypts ' +
  '(generate a key with `openssl rand -base64 32`)';

/**
 * Parses PAYLOAD_ENCRYPTION_KEYS: comma-separated `id:base64key` entries (32-byte keys). The first key
 * encrypts new payloads; all of them decrypt, so a key can be rotated by putting the new one first and
 * keeping the old one until no history needs it.
 *
 * Errors name the setting and the entry by position (and by id once the id is known to be valid); they
 * never repeat the key, nor anything that might be a mis-pasted key.
 *
 * @param source what to call the value in error messages (the setting name, or a file path)
 */
export function parseEncryptionKeys(value: string, source: string = ENCRYPTION_KEYS_SETTING): EncryptionKey[] {
  const fail = (reason: string): never => {
    throw new EncryptionKeyError(`${source}: ${reason}; ${FORMAT_HINT}`);
  };

  // Empty entries are tolerated so that a trailing comma or line break does not stop the process.
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) fail('is empty');

  const keys: EncryptionKey[] = [];
  entries.forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon === -1) fail(`${position} has no ':' between the key id and the key`);

    const id = entry.slice(0, colon).trim();
    const encodedKey = entry.slice(colon + 1).trim();
    if (id === '') fail(`${position} has an empty key id`);
    if (!KEY_ID_PATTERN.test(id)) {
      // The id is not echoed: a string with '+', '/' or '=' in it is often key material pasted in the wrong place.
      fail(`${position} has a key id with characters outside [A-Za-z0-9._-]`);
    }
    if (id.length > MAX_KEY_ID_LENGTH) fail(`${position} has a key id longer than ${MAX_KEY_ID_LENGTH} characters`);

    const label = `${position} (key id "${id}")`;
    if (encodedKey === '') fail(`${label} has an empty key`);
    if (!BASE64_PATTERN.test(encodedKey)) fail(`${label} is not valid base64`);
    const key = Buffer.from(encodedKey, 'base64');
    if (key.length !== KEY_LENGTH_BYTES) {
      fail(`${label} is ${key.length} bytes long after base64 decoding, AES-256 needs ${KEY_LENGTH_BYTES}`);
    }
    if (keys.some((existing) => existing.id === id)) fail(`key id "${id}" appears more than once`);

    keys.push({ id, key });
  });
  return keys;
}

/** A fresh `id:base64key` entry for PAYLOAD_ENCRYPTION_KEYS (32 random bytes from the OS CSPRNG). */
export function generateEncryptionKeySetting(id: string): string {
  if (!KEY_ID_PATTERN.test(id) || id.length > MAX_KEY_ID_LENGTH) {
    throw new EncryptionKeyError(
      `key id "${id}" must be 1-${MAX_KEY_ID_LENGTH} characters from [A-Za-z0-9._-]`,
    );
  }
  return `${id}:${randomBytes(KEY_LENGTH_BYTES).toString('base64')}`;
}
