/**
 * Runs one Freshchat sandbox on its own: `node dist/sandbox/main.js`.
 *
 * Environment: SANDBOX_PORT (default 4100), SANDBOX_HOST (default 127.0.0.1),
 * SANDBOX_WEBHOOK_URL (where webhooks go; none = deliveries are recorded as 'skipped'),
 * SANDBOX_API_TOKEN (default 'sandbox-token'), SANDBOX_AI_AGENT_EMAIL (default
 * FRESHCHAT_AI_AGENT_EMAIL or ai@sandbox.test), SANDBOX_AGENTS_COUNT (filler agents, default 60),
 * SANDBOX_FRESHDESK_API_KEY (the help center's Freshdesk API key, default 'sandbox-freshdesk-key'),
 * SANDBOX_SHOP_API_TOKEN (the sample shop API's Bearer token, default 'sandbox-shop-token').
 */
import { z } from 'zod';
import { startSandbox } from './server.js';

const environmentSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_WEBHOOK_URL: z.url().optional(),
  SANDBOX_API_TOKEN: z.string().min(1).default('sandbox-token'),
  SANDBOX_AI_AGENT_EMAIL: z.string().min(1).optional(),
  FRESHCHAT_AI_AGENT_EMAIL: z.string().min(1).optional(),
  SANDBOX_AGENTS_COUNT: z.coerce.number().int().min(0).default(60),
  SANDBOX_FRESHDESK_API_KEY: z.string().min(1).optional(),
  SANDBOX_SHOP_API_TOKEN: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const parsed = environmentSchema.safeParse(
    Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')),
  );
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n  ');
    console.error(`Invalid sandbox settings:\n  ${problems}`);
    process.exit(2);
  }
  const env = parsed.data;
  const sandbox = await startSandbox({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    apiToken: env.SANDBOX_API_TOKEN,
    webhookUrl: env.SANDBOX_WEBHOOK_URL,
    aiAgentEmail: env.SANDBOX_AI_AGENT_EMAIL ?? env.FRESHCHAT_AI_AGENT_EMAIL ?? 'ai@sandbox.test',
    agentsCount: env.SANDBOX_AGENTS_COUNT,
    freshdeskApiKey: env.SANDBOX_FRESHDESK_API_KEY,
    shopApiToken: env.SANDBOX_SHOP_API_TOKEN,
  });

  console.log(
    [
      'Freshchat sandbox is running.',
      `  page:          ${sandbox.baseUrl}/`,
      `  API base URL:  ${sandbox.apiUrl}   (FRESHCHAT_API_URL)`,
      `  API token:     ${env.SANDBOX_API_TOKEN}   (FRESHCHAT_API_TOKEN)`,
      `  webhooks to:   ${env.SANDBOX_WEBHOOK_URL ?? '(none yet: deliveries are recorded as skipped)'}`,
      `  AI agent:      ${sandbox.aiAgentId}`,
      `  public key:    ${sandbox.publicKeyOneLine}   (FRESHCHAT_WEBHOOK_PUBLIC_KEY)`,
      `  help center:   ${sandbox.freshdeskApiUrl}   (Freshdesk API, Basic auth: key ${sandbox.freshdeskApiKey}, password X)`,
      `  help website:  ${sandbox.baseUrl}/support/solutions   (sitemap ${sandbox.baseUrl}/sitemap.xml)`,
      `  shop API:      ${sandbox.shopApiUrl}   (Bearer ${sandbox.shopApiToken}; orders 1234 to 1237)`,
    ].join('\n'),
  );

  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
