import { isIP } from 'node:net';
import { z } from 'zod';
import { defaultSqlitePath } from '../store/store.js';
import { conversationTaskQueueDefault } from '../workflows/messages.js';
import { CONTACT_ID_SECRET_HINT, CONTACT_ID_SECRET_SETTING, contactIdSecretProblems } from './contact-id-secret.js';

/**
 * The product's environment settings (SPEC §7), validated at start-up. A wrong or missing
 * setting stops start-up with ONE message naming every problem.
 *
 * The Temporal connection itself (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*) is read by @temporalio/envconfig; see temporal/connection.ts.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every setting.`);
    this.name = 'ConfigError';
  }
}

// One check, so that a wrong URL is one line of the start-up message, not two.
const url = (name: string, example: string) => z.url({ protocol: /^https?$/, message: `${name} must be an http(s) URL such as ${example}` });
const required = (name: string) => z.string({ message: `${name} is required` }).trim().min(1, `${name} is required`);

const TemporalSchema = z.object({
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default(conversationTaskQueueDefault),
  TEMPORAL_UI_URL: url('TEMPORAL_UI_URL', 'http://localhost:8233').default('http://localhost:8233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
});

const EncryptionSchema = z.object({
  PAYLOAD_ENCRYPTION: z.enum(['on', 'off'], { message: "PAYLOAD_ENCRYPTION must be 'on' or 'off'" }).default('on'),
  PAYLOAD_ENCRYPTION_KEYS: z.string().trim().optional(),
});

/** The session store (store/store.ts): PostgreSQL when DATABASE_URL is set, else a SQLite file. */
const StoreSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), 'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database')
    .optional(),
  SQLITE_PATH: z.string().trim().min(1).default(defaultSqlitePath),
});

const WorkerSchema = z.object({
  ...TemporalSchema.shape,
  ...EncryptionSchema.shape,
  ...StoreSchema.shape,
  FRESHCHAT_API_URL: url('FRESHCHAT_API_URL', 'https://acme.freshchat.com/v2'),
  FRESHCHAT_API_TOKEN: required('FRESHCHAT_API_TOKEN'),
  FRESHCHAT_AI_AGENT_EMAIL: z.email({ message: 'FRESHCHAT_AI_AGENT_EMAIL must be the email of the agent seat the AI posts as' }),
  FRESHCHAT_ROUTING_MODE: z.enum(['auto', 'assigned-only'], { message: "FRESHCHAT_ROUTING_MODE must be 'auto' or 'assigned-only'" }).default('auto'),
  FRESHCHAT_HANDOFF_GROUP_ID: z.string().trim().optional(),
  AI_PROVIDER: z.enum(['faq', 'openai'], { message: "AI_PROVIDER must be 'faq' or 'openai'" }).default('faq'),
  OPENAI_BASE_URL: z.string().trim().optional(),
  OPENAI_API_KEY: z.string().trim().optional(),
  OPENAI_MODEL: z.string().trim().optional(),
  OPENAI_TEMPERATURE: z.coerce.number({ message: 'OPENAI_TEMPERATURE must be a number' }).min(0).max(2).default(0.2),
  ASSISTANT_SETTINGS: z.string().trim().optional(),
  // A freshdesk knowledge source's account and key (checked against the settings file in config/startup.ts).
  FRESHDESK_API_URL: z.string().trim().optional(),
  FRESHDESK_API_KEY: z.string().trim().optional(),
  // Hybrid retrieval: an OpenAI-compatible /embeddings endpoint (defaults: the OPENAI_* endpoint and key).
  EMBEDDINGS_MODEL: z.string().trim().optional(),
  EMBEDDINGS_BASE_URL: z.string().trim().optional(),
  EMBEDDINGS_API_KEY: z.string().trim().optional(),
  // The HMAC key of contact ids: required in production, a development fallback otherwise (config/startup.ts).
  CONTACT_ID_SECRET: z.string().trim().optional(),
  // The SDK's Prometheus exporter (runtime and product metrics): off unless a port is given.
  METRICS_PORT: z.coerce.number({ message: 'METRICS_PORT must be a port number' }).int().min(1).max(65535).optional(),
  METRICS_HOST: z
    .string()
    .trim()
    // The SDK binds a socket address: an IP, not a host name.
    .refine((host) => isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0, 'METRICS_HOST must be an IP address such as 127.0.0.1, 0.0.0.0 or ::')
    .default('127.0.0.1'),
  // The sticky cache: conversations kept in memory between their events (absent = the SDK's default, sized from the heap).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ message: 'WORKER_MAX_CACHED_WORKFLOWS must be a whole number' }).int('WORKER_MAX_CACHED_WORKFLOWS must be a whole number').min(0, 'WORKER_MAX_CACHED_WORKFLOWS must be 0 or more').optional(),
  NODE_ENV: z.string().trim().optional(),
});

const ApiSchema = z.object({
  ...TemporalSchema.shape,
  ...EncryptionSchema.shape,
  ...StoreSchema.shape,
  FRESHCHAT_WEBHOOK_PUBLIC_KEY: required('FRESHCHAT_WEBHOOK_PUBLIC_KEY'),
  PORT: z.coerce.number({ message: 'PORT must be a port number' }).int().min(0).max(65535).default(3000),
  CODEC_AUTH_TOKEN: z.string().trim().optional(),
  OPS_PORT: z.coerce.number({ message: 'OPS_PORT must be a port number' }).int().min(0).max(65535).optional(),
  OPS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  OPS_AUTH_TOKEN: z.string().trim().optional(),
  WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  NODE_ENV: z.string().trim().optional(),
});

export type Env = Record<string, string | undefined>;
export type WorkerEnv = z.infer<typeof WorkerSchema>;
type ApiSettings = z.infer<typeof ApiSchema>;
/** OPS_PORT is always resolved (default PORT + 1). */
export type ApiEnv = ApiSettings & { OPS_PORT: number };

export function loadWorkerEnv(env: Env = process.env): WorkerEnv {
  return parse(WorkerSchema, env, (value, problems) => {
    if (value.AI_PROVIDER === 'openai') {
      for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL'] as const) {
        if (!value[name]) problems.push(`${name} is required when AI_PROVIDER=openai`);
      }
      if (value.OPENAI_BASE_URL && !URL.canParse(value.OPENAI_BASE_URL)) problems.push('OPENAI_BASE_URL must be a URL');
    }
    if (value.EMBEDDINGS_MODEL) {
      const baseUrl = value.EMBEDDINGS_BASE_URL ?? value.OPENAI_BASE_URL;
      if (!baseUrl || !URL.canParse(baseUrl)) problems.push('EMBEDDINGS_BASE_URL (or OPENAI_BASE_URL) must be a URL when EMBEDDINGS_MODEL is set');
      if (!(value.EMBEDDINGS_API_KEY ?? value.OPENAI_API_KEY)) problems.push('EMBEDDINGS_API_KEY (or OPENAI_API_KEY) is required when EMBEDDINGS_MODEL is set');
    }
    checkEncryption(value, problems);
    checkContactIdSecret(value, problems);
  });
}

/** True when NODE_ENV=production: settings that have a development fallback become required. */
export function isProduction(env: { NODE_ENV?: string }): boolean {
  return env.NODE_ENV?.trim() === 'production';
}

export function loadApiEnv(env: Env = process.env): ApiEnv {
  const parsed = parse(ApiSchema, env, (value, problems) => {
    checkEncryption(value, problems);
    checkOpsListener(value, problems);
  });
  return { ...parsed, OPS_PORT: opsPortOf(parsed) };
}

/** The ops listener's port: OPS_PORT, else the one after PORT (PORT=0, tests: any free port). */
function opsPortOf(value: Pick<ApiSettings, 'PORT' | 'OPS_PORT'>): number {
  return value.OPS_PORT ?? (value.PORT === 0 ? 0 : value.PORT + 1);
}

/**
 * Where this machine reaches the codec server: the ops listener (OPS_PORT, default PORT + 1).
 * The local Web UI (`npm start`, `npm run dev-server`) and the CLI hints use it.
 */
export function opsCodecEndpoint(env: Env): string {
  const port = opsPortOf({ PORT: Number(env.PORT?.trim() || 3000), OPS_PORT: env.OPS_PORT?.trim() ? Number(env.OPS_PORT) : undefined });
  const host = env.OPS_HOST?.trim() || '127.0.0.1';
  const reachable = host === '0.0.0.0' || host === '::' || host === '127.0.0.1' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}/codec`;
}

/** `host:port` for a listener: IPv6 addresses in brackets. */
export function hostPort(host: string, port: number): string {
  const h = host.trim().replace(/^\[|\]$/g, '');
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The ops listener decrypts customer messages: beyond loopback in production, only with a token. */
function checkOpsListener(value: Partial<ApiSettings>, problems: string[]): void {
  const port = value.PORT ?? 3000;
  if (value.OPS_PORT !== undefined && value.OPS_PORT !== 0 && value.OPS_PORT === port) {
    problems.push(`OPS_PORT must differ from PORT (both are ${port}): the ops listener is separate from the webhook`);
  }
  const host = value.OPS_HOST ?? '127.0.0.1';
  if (isProduction(value) && !isLoopbackHost(host) && !value.OPS_AUTH_TOKEN) {
    problems.push(
      `OPS_AUTH_TOKEN is required in production when OPS_HOST (${host}) is not a loopback address: the ops listener serves the codec, which decrypts customer messages`,
    );
  }
}

function checkEncryption(value: z.infer<typeof EncryptionSchema>, problems: string[]): void {
  if ((value.PAYLOAD_ENCRYPTION ?? 'on') === 'on' && !value.PAYLOAD_ENCRYPTION_KEYS) {
    problems.push('PAYLOAD_ENCRYPTION_KEYS is required (id:base64key,...), or set PAYLOAD_ENCRYPTION=off to run without encrypting customer data in Temporal');
  }
}

function checkContactIdSecret(value: WorkerEnv, problems: string[]): void {
  const production = isProduction(value);
  const secret = value.CONTACT_ID_SECRET?.trim();
  if (!secret) {
    if (production) problems.push(`${CONTACT_ID_SECRET_SETTING} is required when NODE_ENV=production (the key of contact ids; it never rotates): ${CONTACT_ID_SECRET_HINT}`);
    return;
  }
  problems.push(...contactIdSecretProblems(secret, { production, encryptionKeys: value.PAYLOAD_ENCRYPTION_KEYS }));
}

function parse<S extends z.ZodObject>(schema: S, env: Env, check: (value: z.infer<S>, problems: string[]) => void): z.infer<S> {
  // Empty strings from a .env template mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(cleaned);
  const problems = result.success ? [] : result.error.issues.map((issue) => issue.message.includes(String(issue.path[0])) ? issue.message : `${String(issue.path[0])}: ${issue.message}`);
  // Cross-field checks run on whatever parsed, so one message names every problem.
  check((result.success ? result.data : cleaned) as z.infer<S>, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data as z.infer<S>;
}
