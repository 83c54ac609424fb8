import express, { type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createCodecRouter } from '../codec/codec-server.js';
import { tokenAuth } from '../lib/token-auth.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';
import { searchAttributes } from '../workflows/search-attributes.js';
import type { ApiMetrics } from './metrics.js';
import { createReportsRouter } from './reports-router.js';

export interface OpsAppOptions {
  client: Client;
  logger: Logger;
  /** OPS_AUTH_TOKEN: when set, every ops request needs it as a bearer token. */
  authToken?: string;
  /** The codec server for the Web UI and the CLI; absent when payload encryption is off. */
  codec?: { codec: PayloadCodec; codecAuthToken?: string; allowedOrigins: string[] };
  /** The session store the reports read. */
  store: Store;
  /** The API's metrics (shared with the webhook app), served at /metrics for Prometheus. */
  metrics: ApiMetrics;
  /** The Temporal Web UI (TEMPORAL_UI_URL) and the client's namespace: the dashboard links each session to its trace. */
  temporalUi?: { baseUrl: string; namespace: string };
}

/**
 * The ops listener (OPS_PORT, loopback by default): what only operators may reach — the
 * codec server, which decrypts customer messages, the contacts lookup, the reports and
 * dashboard over the session store, and the metrics Prometheus scrapes. Freshchat never calls
 * it, so it is never exposed with the webhook.
 */
export function createOpsApp(options: OpsAppOptions): express.Express {
  const { client, logger } = options;
  const app = express();
  app.disable('x-powered-by');

  // The codec answers CORS preflights itself, before authentication (browsers send no credentials on them).
  if (options.codec) {
    app.use(
      createCodecRouter({
        codec: options.codec.codec,
        authTokens: [options.authToken, options.codec.codecAuthToken],
        allowedOrigins: options.codec.allowedOrigins,
        logger,
      }),
    );
  }
  app.use(tokenAuth([options.authToken], 'ops', 'OPS_AUTH_TOKEN'));

  app.get('/metrics', async (_req, res) => {
    const { registry } = options.metrics;
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });

  app.get('/contacts/:contactId/conversations', async (req, res) => {
    const contactId = req.params.contactId;
    if (!/^ct_[0-9a-f]{24}$/.test(contactId)) return res.status(400).json({ error: 'contact ids look like ct_ followed by 24 hex digits' });
    try {
      const conversations = [];
      for await (const wf of client.workflow.list({ query: `ContactId = '${contactId}'` })) {
        conversations.push({
          workflowId: wf.workflowId,
          conversationId: wf.typedSearchAttributes.get(searchAttributes.conversationId),
          state: wf.typedSearchAttributes.get(searchAttributes.state),
          session: wf.typedSearchAttributes.get(searchAttributes.session),
          status: wf.status.name,
        });
        if (conversations.length >= 500) break;
      }
      return res.json({ contactId, conversations });
    } catch {
      return res.status(503).json({ error: 'Temporal is unreachable; retry later' });
    }
  });

  app.use(createReportsRouter({ store: options.store, logger, temporalUi: options.temporalUi }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'no such ops endpoint' });
  });
  app.use((error: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ error: error.type ?? 'unknown' }, 'ops request failed');
    res.status(error.status && error.status < 500 ? error.status : 500).json({ error: 'request failed' });
  });
  return app;
}
