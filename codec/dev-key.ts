import { loadOrCreateDevSecretFile } from '../lib/dev-secret-file.js';
import { generateEncryptionKeySetting, parseEncryptionKeys } from './encryption-keys.js';

export const DEV_KEY_FILE_NAME = 'payload-encryption-key';

/**
 * For local `npm start` only: the PAYLOAD_ENCRYPTION_KEYS value kept in `<dir>/payload-encryption-key`,
 * created (mode 0600) with a fresh `dev` key the first time. Reusing the file keeps the history of earlier
 * runs readable, which a key generated per run would not.
 */
export async function loadOrCreateDevEncryptionKey(
  dir: string,
): Promise<{ setting: string; created: boolean; path: string }> {
  const { value, created, path } = await loadOrCreateDevSecretFile(
    dir,
    DEV_KEY_FILE_NAME,
    () => generateEncryptionKeySetting('dev'),
    (setting, file) => void parseEncryptionKeys(setting, file), // a damaged file fails with a message naming it
  );
  return { setting: value, created, path };
}
