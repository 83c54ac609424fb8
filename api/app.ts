import type { KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createCodecRouter } from '../codec/codec-server.js';
import { knownWebhookActions, toConversationEvent, WebhookPayloadSchema } from '../freshchat/webhook-events.js';
import { isValidWebhookSignature } from '../freshchat/webhook-signature.js';
import type { Logger } from '../lib/logger.js';
import { conversationWorkflowId, conversationWorkflowType, freshchatEventSignal, type ConversationWorkflowInput } from '../workflows/messages.js';
import { searchAttributes } from '../workflows/search-attributes.js';

export interface ApiOptions {
  client: Client;
  taskQueue: string;
  webhookKey: KeyObject;
  maxBodyBytes: number;
  logger: Logger;
  /** The codec server for the Web UI; absent when payload encryption is off. */
  codec?: { codec: PayloadCodec; authToken?: string; allowedOrigins: string[] };
  /** How long a webhook waits for Temporal before answering 503 (Freshchat gives up after ~3 s). */
  temporalDeadlineMs?: number;
}

/**
 * The webhook API. `POST /webhooks/freshchat` only verifies, parses and hands the event to
 * Temporal (signal-with-start), so it answers well inside Freshchat's delivery timeout; it
 * never answers 2xx for an event it did not hand over.
 */
export function createApiApp(options: ApiOptions): express.Express {
  const { client, logger } = options;
  const deadlineMs = options.temporalDeadlineMs ?? 2500;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      await client.withDeadline(Date.now() + deadlineMs, () => client.workflowService.getSystemInfo({}));
      res.json({ status: 'ready', temporal: 'reachable' });
    } catch {
      res.status(503).json({ status: 'not ready', temporal: 'unreachable' });
    }
  });

  app.post('/webhooks/freshchat', express.raw({ type: () => true, limit: options.maxBodyBytes }), async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // The signature is checked over the exact bytes received, before anything else.
    if (!isValidWebhookSignature(raw, req.get('x-freshchat-signature'), options.webhookKey)) {
      logger.warn({ reason: req.get('x-freshchat-signature') ? 'bad signature' : 'missing signature' }, 'webhook rejected');
      return res.status(401).json({ error: 'invalid or missing X-Freshchat-Signature' });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return res.status(400).json({ error: 'body is not valid JSON' });
    }
    const action = (json as { action?: unknown } | null)?.action;
    if (typeof action === 'string' && !knownWebhookActions.includes(action)) {
      logger.info({ action }, 'webhook ignored: unknown action');
      return res.status(202).json({ ignored: `unknown action '${action}'` });
    }
    const parsed = WebhookPayloadSchema.safeParse(json);
    if (!parsed.success) {
      const reason = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      logger.warn({ action, reason }, 'webhook rejected: schema');
      return res.status(400).json({ error: `payload does not match the Freshchat webhook schema: ${reason}` });
    }
    const routed = toConversationEvent(parsed.data);
    if ('ignored' in routed) {
      logger.info({ action, reason: routed.ignored }, 'webhook ignored');
      return res.status(202).json({ ignored: routed.ignored });
    }
    const workflowId = conversationWorkflowId(routed.conversationId);
    try {
      await client.withDeadline(Date.now() + deadlineMs, () =>
        client.workflow.signalWithStart(conversationWorkflowType, {
          workflowId,
          taskQueue: options.taskQueue,
          args: [{ conversationId: routed.conversationId } satisfies ConversationWorkflowInput],
          signal: freshchatEventSignal,
          signalArgs: [routed.event],
          typedSearchAttributes: [
            { key: searchAttributes.conversationId, value: routed.conversationId },
            { key: searchAttributes.state, value: 'waiting' },
            { key: searchAttributes.session, value: 1 },
          ],
        }),
      );
    } catch (error) {
      logger.error({ conversationId: routed.conversationId, action, error: (error as Error).name, detail: (error as Error).message.slice(0, 300) }, 'webhook not handed to Temporal');
      return res.status(503).set('retry-after', '5').json({ error: 'Temporal is unreachable; retry later' });
    }
    logger.info({ conversationId: routed.conversationId, action, kind: routed.event.kind, eventId: routed.event.eventId, workflowId }, 'webhook accepted');
    return res.status(200).json({ accepted: true, workflowId });
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

  if (options.codec) app.use(createCodecRouter(options.codec));

  // Body-parser errors (oversized, aborted) in Freshchat-friendly JSON.
  app.use((error: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') return res.status(413).json({ error: `body larger than ${options.maxBodyBytes} bytes` });
    logger.error({ error: error.type ?? 'unknown' }, 'request failed');
    return res.status(error.status && error.status < 500 ? error.status : 500).json({ error: 'request failed' });
  });
  return app;
}
