import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateEncryptionKeySetting, parseEncryptionKeys } from './encryption-keys.js';

export const DEV_KEY_FILE_NAME = 'payload-encryption-key';

/**
 * For local `npm start` only: the PAYLOAD_ENCRYPTION_KEYS value kept in `<dir>/payload-encryption-key`,
 * created (mode 0600) with a fresh `dev` key the first time. Reusing the file keeps the history of earlier
 * runs readable, which a key generated per run would not.
 *
 * The file is created with O_EXCL, so two processes starting at once agree on one key.
 */
export async function loadOrCreateDevEncryptionKey(
  dir: string,
): Promise<{ setting: string; created: boolean; path: string }> {
  const path = join(dir, DEV_KEY_FILE_NAME);
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const setting = generateEncryptionKeySetting('dev');
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${setting}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    return { setting, created: true, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }

  return { setting: await readDevKeyFile(path), created: false, path };
}

async function readDevKeyFile(path: string): Promise<string> {
  // Another process may have created the file a moment ago and not written it yet.
  for (let attempt = 0; ; attempt++) {
    const setting = (await readFile(path, 'utf8')).trim();
    if (setting !== '' || attempt >= 20) {
      parseEncryptionKeys(setting, path); // a damaged file fails here with a message naming it
      return setting;
    }
    await sleep(50);
  }
}
