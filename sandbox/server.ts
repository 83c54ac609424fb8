/**
 * A local stand-in for one Freshchat account: the REST API v2 under /v2, signed webhooks to
 * a configurable URL, a control API under /sandbox and a page at / to play customer and rep.
 * Also the account's Freshdesk help center: its solutions API under /api/v2 and its public
 * website (/support/..., /sitemap.xml, /robots.txt); and the sample shop's own API under
 * /shop/api, which the product's tools call.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { createLogger, type Logger } from '../lib/logger.js';
import { ConversationActions } from './conversation-actions.js';
import { createControlApi } from './control-api.js';
import { FaultRegistry } from './faults.js';
import { createFreshdeskApi, DEFAULT_FRESHDESK_API_KEY } from './freshdesk-api.js';
import { loadHelpCenter } from './help-center.js';
import { createHelpCenterSite } from './help-center-site.js';
import { HelpCenterStore } from './help-center-store.js';
import { renderSandboxPage } from './page.js';
import { createRestApi } from './rest-api.js';
import { createShopApi, DEFAULT_SHOP_API_TOKEN } from './shop-api.js';
import { ShopStore } from './shop-store.js';
import { generateSigningKeys } from './signing.js';
import { SandboxStore } from './store.js';
import { WebhookSender } from './webhook-sender.js';

export interface SandboxOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The Bearer token /v2 requires (401 otherwise). */
  apiToken: string;
  /** Where webhooks go; may be set later with setWebhookUrl. */
  webhookUrl?: string;
  /** An agent with this email exists (first_name 'AI', last_name 'Assistant'). */
  aiAgentEmail: string;
  /** Default: two reps, alice@sandbox.test and bob@sandbox.test. */
  reps?: Array<{ email: string; first_name: string; last_name?: string }>;
  /** Extra filler agents so paging is exercised (default 60: agents span 2 pages of 50). */
  agentsCount?: number;
  /** The Freshdesk API key /api/v2 requires as the Basic user name (password `X`); default 'sandbox-freshdesk-key'. */
  freshdeskApiKey?: string;
  /** The Bearer token the sample shop's API (/shop/api) requires; default 'sandbox-shop-token'. */
  shopApiToken?: string;
  /** The help center's files (folders.yaml, articles/*.md); default sandbox/help-center in the source tree. */
  helpCenterDir?: string;
  /** Where its log lines go (default: stdout, as JSON lines). */
  logger?: Logger;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** baseUrl + '/v2' */
  apiUrl: string;
  /** baseUrl + '/api/v2': Freshdesk's API base URL, for the help center. */
  freshdeskApiUrl: string;
  /** The key /api/v2 accepts. */
  freshdeskApiKey: string;
  /** baseUrl + '/shop/api': the sample shop's API, for the product's tools. */
  shopApiUrl: string;
  /** The Bearer token /shop/api accepts. */
  shopApiToken: string;
  /** Standard SPKI PEM. */
  publicKeyPem: string;
  /** As Freshchat shows it: '-----BEGIN RSA PUBLIC KEY----- <base64 SPKI DER> -----END RSA PUBLIC KEY-----'. */
  publicKeyOneLine: string;
  aiAgentId: string;
  reps: Array<{ id: string; email: string }>;
  setWebhookUrl(url: string): void;
  /** Resolves when every queued webhook delivery has been attempted to completion (success or retries exhausted). */
  drainWebhooks(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_REPS = [
  { email: 'alice@sandbox.test', first_name: 'Alice', last_name: 'Rep' },
  { email: 'bob@sandbox.test', first_name: 'Bob', last_name: 'Rep' },
];

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const logger = options.logger ?? createLogger('freshchat-sandbox');
  const keys = await generateSigningKeys();
  const store = new SandboxStore({
    aiAgentEmail: options.aiAgentEmail,
    reps: options.reps ?? DEFAULT_REPS,
    agentsCount: options.agentsCount ?? 60,
  });
  const webhooks = new WebhookSender({ privateKey: keys.privateKey, logger, webhookUrl: options.webhookUrl });
  const actions = new ConversationActions(store, webhooks);
  const faults = new FaultRegistry();
  const helpCenter = new HelpCenterStore(loadHelpCenter(options.helpCenterDir));
  const freshdeskApiKey = options.freshdeskApiKey ?? DEFAULT_FRESHDESK_API_KEY;
  const shop = new ShopStore();
  const shopApiToken = options.shopApiToken ?? DEFAULT_SHOP_API_TOKEN;

  let baseUrl = '';
  const app = express();
  app.disable('x-powered-by');
  app.use('/v2', createRestApi({ store, actions, faults, apiToken: options.apiToken, baseUrl: () => baseUrl, logger }));
  app.use('/api/v2', createFreshdeskApi({ helpCenter, faults, apiKey: freshdeskApiKey, baseUrl: () => baseUrl, logger }));
  app.use('/shop/api', createShopApi({ shop, faults, apiToken: shopApiToken, logger }));
  app.use(
    '/sandbox',
    createControlApi({
      store, actions, webhooks, faults, helpCenter, shop, publicKeyOneLine: keys.publicKeyOneLine, baseUrl: () => baseUrl, logger,
    }),
  );
  app.use(createHelpCenterSite({ helpCenter, faults, baseUrl: () => baseUrl }));
  app.get('/', (_req, res) => {
    res.type('html').send(renderSandboxPage());
  });

  const server = createServer(app);
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.debug({ baseUrl }, 'Freshchat sandbox listening');

  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    apiUrl: `${baseUrl}/v2`,
    freshdeskApiUrl: `${baseUrl}/api/v2`,
    freshdeskApiKey,
    shopApiUrl: `${baseUrl}/shop/api`,
    shopApiToken,
    publicKeyPem: keys.publicKeyPem,
    publicKeyOneLine: keys.publicKeyOneLine,
    aiAgentId: store.aiAgent.id,
    reps: store.reps.map((rep) => ({ id: rep.id, email: rep.email })),
    setWebhookUrl: (url) => webhooks.setWebhookUrl(url),
    drainWebhooks: () => webhooks.drain(),
    close: () => {
      closing ??= (async () => {
        await webhooks.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
