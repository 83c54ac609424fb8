import { randomBytes } from 'node:crypto';
import { loadOrCreateDevSecretFile, type DevSecretFile } from '../lib/dev-secret-file.js';

/**
 * CONTACT_ID_SECRET: the HMAC key of contact ids (`ct_…`). Contact ids sit in search attributes,
 * which anyone with Web UI access reads; unkeyed, an id would confirm a guessed email. The
 * secret never rotates: a new one gives every customer a new contact id, and their earlier
 * conversations are no longer found.
 */
export const CONTACT_ID_SECRET_SETTING = 'CONTACT_ID_SECRET';
export const CONTACT_ID_SECRET_MIN_LENGTH = 32;
export const CONTACT_ID_SECRET_HINT = 'generate one with `openssl rand -base64 32`';

/**
 * Used outside production when CONTACT_ID_SECRET is unset. It is public (it is in the source), so
 * ids keyed with it protect nothing: the worker says so at start-up, and production refuses it.
 */
export const DEVELOPMENT_CONTACT_ID_SECRET = 'freshchat-ai-agent-development-contact-id-secret-not-for-production';

export const DEV_CONTACT_ID_SECRET_FILE_NAME = 'contact-id-secret';

/** A damaged development secret file. The message names the file, never its content. */
export class ContactIdSecretError extends Error {
  override readonly name = 'ContactIdSecretError';
}

/** 32 random bytes from the OS CSPRNG in base64: what `openssl rand -base64 32` prints. */
export function generateContactIdSecret(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Why `secret` may not be used, given the PAYLOAD_ENCRYPTION_KEYS text: one key must not serve
 * two purposes (a leaked codec key would also unmask contact ids, and rotating it would change
 * them). Entries are compared as written, whole (`id:key`) and by their key text. Messages name
 * entries by position only, never key material.
 */
export function contactIdSecretProblems(secret: string, options: { production: boolean; encryptionKeys?: string }): string[] {
  const problems: string[] = [];
  if (secret.length < CONTACT_ID_SECRET_MIN_LENGTH) {
    problems.push(`${CONTACT_ID_SECRET_SETTING} must be at least ${CONTACT_ID_SECRET_MIN_LENGTH} characters; ${CONTACT_ID_SECRET_HINT}`);
  }
  if (options.production && secret === DEVELOPMENT_CONTACT_ID_SECRET) {
    problems.push(`${CONTACT_ID_SECRET_SETTING} is the public development secret, which production refuses; ${CONTACT_ID_SECRET_HINT}`);
  }
  const entries = (options.encryptionKeys ?? '').split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '') return;
    const colon = entry.indexOf(':');
    const keyText = colon === -1 ? entry : entry.slice(colon + 1).trim();
    // Containing a key counts too (e.g. the whole PAYLOAD_ENCRYPTION_KEYS value pasted); short texts are not keys.
    if (secret === entry || secret === keyText || (keyText.length >= 16 && secret.includes(keyText))) {
      problems.push(
        `${CONTACT_ID_SECRET_SETTING} must not equal a payload encryption key (it matches PAYLOAD_ENCRYPTION_KEYS entry ${index + 1}); ` +
          `use a separate secret: ${CONTACT_ID_SECRET_HINT}`,
      );
    }
  });
  return problems;
}

/**
 * For local `npm start` only: a random CONTACT_ID_SECRET kept in `<dir>/contact-id-secret` (mode
 * 0600), created once and reused, so that a contact keeps their id from one run to the next.
 */
export function loadOrCreateDevContactIdSecret(dir: string): Promise<DevSecretFile> {
  return loadOrCreateDevSecretFile(dir, DEV_CONTACT_ID_SECRET_FILE_NAME, generateContactIdSecret, (value, path) => {
    if (value.length < CONTACT_ID_SECRET_MIN_LENGTH) {
      throw new ContactIdSecretError(
        `${path}: the development ${CONTACT_ID_SECRET_SETTING} is shorter than ${CONTACT_ID_SECRET_MIN_LENGTH} characters; ` +
          'delete the file to generate a new one (contact ids of earlier local runs change then)',
      );
    }
  });
}
