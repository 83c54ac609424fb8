import { join } from 'node:path';
import dotenv from 'dotenv';
import { parseEncryptionKeys, EncryptionKeyError, type EncryptionKey } from '../codec/encryption-keys.js';
import { createAiProvider, type AiProviderConfig } from '../ai/create-provider.js';
import { parseWebhookPublicKey, WebhookKeyError } from '../freshchat/webhook-signature.js';
import { defaultSettingsPath, loadAssistantSettings, SettingsError, type AssistantSettings } from '../settings/assistant-settings.js';
import { knowledgeSourcesOf } from '../settings/schema.js';
import { envReferencesOf } from '../settings/tool-schema.js';
import { knowledgeSourceEnvProblems } from '../knowledge/sources/index.js';
import type { EmbeddingsConfig } from '../knowledge/embeddings.js';
import { CONTACT_ID_SECRET_HINT, CONTACT_ID_SECRET_SETTING, DEVELOPMENT_CONTACT_ID_SECRET } from './contact-id-secret.js';
import { ConfigError, loadApiEnv, loadWorkerEnv, type ApiEnv, type Env, type WorkerEnv } from './env.js';
import type { KeyObject } from 'node:crypto';

/** What `npm start` generated for the local system (sandbox, keys), for the parts run on their own. */
export const localEnvPath = join('.data', 'local.env');

/**
 * `.env` in the working directory, then `.data/local.env` (written by `npm start`), if present;
 * real environment variables win over both, `.env` over the local one. `npm start` itself reads
 * only `.env`: it generates the local values afresh.
 */
export function loadDotEnv(options: { local: boolean } = { local: true }): void {
  dotenv.config({ quiet: true });
  if (options.local) dotenv.config({ path: localEnvPath, quiet: true });
}

export interface WorkerStartup {
  env: WorkerEnv;
  settings: AssistantSettings;
  settingsPath: string;
  encryptionKeys: EncryptionKey[] | null;
  aiProvider: AiProviderConfig;
  /** The HMAC key of contact ids: for the activities only, never in workflow inputs or history. */
  contactIdSecret: string;
  /** Settings left unset that have a development fallback: the process logs each as a warning. */
  warnings: StartupWarning[];
  /** Hybrid retrieval's embeddings endpoint, when EMBEDDINGS_MODEL is set. */
  embeddings?: EmbeddingsConfig;
}

export interface StartupWarning {
  setting: string;
  message: string;
}

export interface ApiStartup {
  env: ApiEnv;
  webhookKey: KeyObject;
  encryptionKeys: EncryptionKey[] | null;
}

/** Every setting the worker needs, checked together: one error names every problem. */
export function loadWorkerStartup(raw: Env = process.env): WorkerStartup {
  const problems: string[] = [];
  const env = collect(problems, () => loadWorkerEnv(raw));
  const settingsPath = raw.ASSISTANT_SETTINGS?.trim() || defaultSettingsPath;
  const loaded = collect(problems, () => loadAssistantSettings(settingsPath));
  const encryptionKeys = collect(problems, () => encryptionKeysFrom(raw));
  const warnings: StartupWarning[] = [];
  const toolProblems = loaded ? toolEnvProblems(loaded, raw) : [];
  // The sample settings' tools call the sandbox's shop (`npm start` sets its variables): without
  // them those tools are left out, loudly, so the sample runs against any account. An operator's
  // own settings file names variables it needs: those must be set.
  const sampleWithoutShop = toolProblems.length > 0 && settingsPath === defaultSettingsPath;
  if (sampleWithoutShop) {
    warnings.push({ setting: 'SHOP_API_URL', message: `the sample settings' tools are left out: ${toolProblems.join('; ')} (npm start sets them to the sandbox's shop)` });
  } else {
    problems.push(...toolProblems);
  }
  if (problems.length > 0 || !env || !loaded || encryptionKeys === undefined) throw new ConfigError(problems);
  const settings = sampleWithoutShop ? { ...loaded, tools: loaded.tools.filter((tool) => unsetVariablesOf(tool, raw).length === 0) } : loaded;
  const aiProvider: AiProviderConfig =
    env.AI_PROVIDER === 'openai'
      ? { provider: 'openai', baseUrl: env.OPENAI_BASE_URL!, apiKey: env.OPENAI_API_KEY!, model: env.OPENAI_MODEL!, temperature: env.OPENAI_TEMPERATURE }
      : { provider: 'faq' };
  // Production without the secret was refused by loadWorkerEnv; elsewhere the public fallback is used, loudly.
  const contactIdSecret = env.CONTACT_ID_SECRET ?? DEVELOPMENT_CONTACT_ID_SECRET;
  if (!env.CONTACT_ID_SECRET) {
    warnings.push({
      setting: CONTACT_ID_SECRET_SETTING,
      message: `${CONTACT_ID_SECRET_SETTING} is not set: contact ids are keyed with the public development secret; set it before real customers write in (${CONTACT_ID_SECRET_HINT}), production refuses to start without it`,
    });
  }
  // A freshdesk source without its account fails its syncs (doctor and the logs say so); the other sources and the AI go on.
  for (const problem of knowledgeSourceEnvProblems(knowledgeSourcesOf(settings), env)) warnings.push({ setting: 'FRESHDESK_API_URL', message: problem });
  const embeddings = env.EMBEDDINGS_MODEL
    ? { model: env.EMBEDDINGS_MODEL, baseUrl: (env.EMBEDDINGS_BASE_URL ?? env.OPENAI_BASE_URL)!, apiKey: (env.EMBEDDINGS_API_KEY ?? env.OPENAI_API_KEY)! }
    : undefined;
  return { env, settings, settingsPath, encryptionKeys, aiProvider, contactIdSecret, warnings, embeddings };
}

/**
 * Every environment variable a tool's URL or headers name must be set: a tool without its
 * token would fail every call the AI makes, so the worker refuses to start instead. Names
 * only, never a value.
 */
export function toolEnvProblems(settings: Pick<AssistantSettings, 'tools'>, raw: Env): string[] {
  return settings.tools.flatMap((tool, index) =>
    unsetVariablesOf(tool, raw).map((name) => `tools[${index}] (${tool.name}): ${name} is not set (its request names \${${name}})`),
  );
}

/** The environment variables a tool names that are unset or blank. */
function unsetVariablesOf(tool: AssistantSettings['tools'][number], raw: Env): string[] {
  return envReferencesOf(tool).filter((name) => !raw[name]?.trim());
}

export function loadApiStartup(raw: Env = process.env): ApiStartup {
  const problems: string[] = [];
  const env = collect(problems, () => loadApiEnv(raw));
  const webhookKey = raw.FRESHCHAT_WEBHOOK_PUBLIC_KEY?.trim()
    ? collect(problems, () => parseWebhookPublicKey(raw.FRESHCHAT_WEBHOOK_PUBLIC_KEY!))
    : undefined;
  const encryptionKeys = collect(problems, () => encryptionKeysFrom(raw));
  if (problems.length > 0 || !env || !webhookKey || encryptionKeys === undefined) throw new ConfigError(problems);
  return { env, webhookKey, encryptionKeys };
}

export function createProvider(startup: WorkerStartup) {
  return createAiProvider(startup.aiProvider, startup.settings);
}

/** PAYLOAD_ENCRYPTION_KEYS parsed, or null when encryption is off or no keys are set (the env schema reports those). */
export function encryptionKeysFrom(raw: Env): EncryptionKey[] | null {
  if (raw.PAYLOAD_ENCRYPTION?.trim() === 'off') return null;
  const value = raw.PAYLOAD_ENCRYPTION_KEYS?.trim();
  return value ? parseEncryptionKeys(value) : null; // missing keys are reported by the env schema
}

function collect<T>(problems: string[], load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else if (error instanceof SettingsError || error instanceof EncryptionKeyError) problems.push(error.message);
    else if (error instanceof WebhookKeyError) problems.push(`FRESHCHAT_WEBHOOK_PUBLIC_KEY: ${error.message}`);
    else throw error;
    return undefined;
  }
}

/** Start-up failures print one readable message and exit, instead of a stack trace. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
