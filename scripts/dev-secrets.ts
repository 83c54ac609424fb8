import { loadOrCreateDevEncryptionKey } from '../codec/dev-key.js';
import { loadOrCreateDevContactIdSecret } from '../config/contact-id-secret.js';
import { isProduction, type Env } from '../config/env.js';

/**
 * For `npm start`: the secrets a laptop run needs and has not been given, kept in `dataDir`
 * (created once, mode 0600, reused) and put into `env`. Returns one line per secret for the
 * start-up banner; the lines name files, never secret material.
 */
export async function applyDevSecrets(env: Env, dataDir: string): Promise<string[]> {
  const lines: string[] = [];
  // A real cluster's history must not be encrypted with a key only this machine has.
  if (!env.PAYLOAD_ENCRYPTION_KEYS && env.PAYLOAD_ENCRYPTION !== 'off' && !env.TEMPORAL_ADDRESS) {
    const devKey = await loadOrCreateDevEncryptionKey(dataDir);
    env.PAYLOAD_ENCRYPTION_KEYS = devKey.setting;
    lines.push(`Payload encryption: development key ${devKey.created ? 'generated' : 'loaded'} at ${devKey.path} (set PAYLOAD_ENCRYPTION_KEYS in production)`);
  }
  // Better than the worker's public fallback secret; production must be given its own, so none is made there.
  if (!env.CONTACT_ID_SECRET?.trim() && !isProduction(env)) {
    const devSecret = await loadOrCreateDevContactIdSecret(dataDir);
    env.CONTACT_ID_SECRET = devSecret.value;
    lines.push(`Contact ids: development secret ${devSecret.created ? 'generated' : 'loaded'} at ${devSecret.path} (set CONTACT_ID_SECRET in production; it never rotates)`);
  }
  return lines;
}
