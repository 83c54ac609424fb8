import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The settings `npm start` may generate; those it did generate this run go to `.data/local.env`. */
export const generatedSettingNames = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'FRESHCHAT_API_URL',
  'FRESHCHAT_API_TOKEN',
  'FRESHCHAT_AI_AGENT_EMAIL',
  'FRESHCHAT_WEBHOOK_PUBLIC_KEY',
  'FRESHDESK_API_URL',
  'FRESHDESK_API_KEY',
  'SHOP_API_URL',
  'SHOP_API_TOKEN',
  'PAYLOAD_ENCRYPTION_KEYS',
  'CONTACT_ID_SECRET',
] as const;

/**
 * Writes what `npm start` generated (and was not given) where `npm run doctor|worker|api` find
 * it, so they see the local system as `npm start` runs it. Rewritten at every start, so nothing
 * of an earlier run lingers; mode 0600 (it holds the development keys).
 */
export async function writeLocalEnv(path: string, given: Record<string, string | undefined>, now: Record<string, string | undefined>): Promise<string[]> {
  const generated = generatedSettingNames.filter((name) => !given[name] && now[name]);
  const lines = [
    '# Written by `npm start` for the local system it runs (dev server, Freshchat sandbox, development keys).',
    '# `npm run doctor`, `npm run worker` and `npm run api` read it after .env; real environment variables win.',
    '# Rewritten at every `npm start`; delete it to forget it. Never use these values in production.',
    ...generated.map((name) => `${name}=${JSON.stringify(now[name])}`),
  ];
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return generated;
}
