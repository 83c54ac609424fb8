import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevSecretFile {
  /** The file's content, trimmed. */
  value: string;
  created: boolean;
  path: string;
}

/**
 * For local `npm start` only: a secret kept in `<dir>/<fileName>`, created (mode 0600, directory
 * 0700) with `generate()` the first time and reused afterwards, so that what earlier runs wrote
 * with it stays readable (history, contact ids).
 *
 * The file is created with O_EXCL, so two processes starting at once agree on one value.
 *
 * @param check throws when the content is not usable (a damaged file), with a message naming `path`
 */
export async function loadOrCreateDevSecretFile(
  dir: string,
  fileName: string,
  generate: () => string,
  check: (value: string, path: string) => void,
): Promise<DevSecretFile> {
  const path = join(dir, fileName);
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const value = generate();
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${value}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    return { value, created: true, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }

  return { value: await readDevSecretFile(path, check), created: false, path };
}

async function readDevSecretFile(path: string, check: (value: string, path: string) => void): Promise<string> {
  // Another process may have created the file a moment ago and not written it yet.
  for (let attempt = 0; ; attempt++) {
    const value = (await readFile(path, 'utf8')).trim();
    if (value !== '' || attempt >= 20) {
      check(value, path);
      return value;
    }
    await sleep(50);
  }
}
