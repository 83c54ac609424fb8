import type { KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { knownWebhookActions, toConversationEvent, WebhookPayloadSchema } from '../freshchat/webhook-events.js';
import { isValidWebhookSignature } from '../freshchat/webhook-signature.js';
import type { Logger } from '../lib/logger.js';
import { conversationWorkflowId, conversationWorkflowType, freshchatEventSignal, type ConversationWorkflowInput } from '../workflows/messages.js';
import { searchAttributes } from '../workflows/search-attributes.js';
import type { ApiMetrics, WebhookOutcome } from './metrics.js';
import { callTemporalWithin } from './temporal-call.js';

export interface WebhookAppOptions {
  client: Client;
  taskQueue: string;
  webhookKey: KeyObject;
  maxBodyBytes: number;
  logger: Logger;
  /** Shared with the ops app, which serves them at /metrics. */
  metrics: ApiMetrics;
  /** How long a webhook waits for Temporal before answering 503 (Freshchat gives up after ~3 s). */
  temporalDeadlineMs?: number;
}

/** Freshchat gives up on a delivery after about 3 s: the 503 must reach it before that. */
export const defaultTemporalDeadlineMs = 2000;
/** An unknown action is echoed and logged only this long: it comes from outside. */
const maxEchoedActionChars = 64;

/**
 * The public listener: `POST /webhooks/freshchat`, `/healthz` and `/readyz`, nothing else
 * (ops pages live on the ops listener, api/ops-app.ts). The webhook only verifies, parses
 * and hands the event to Temporal (signal-with-start), so it answers well inside Freshchat's
 * delivery timeout; it never answers 2xx for an event it did not hand over.
 */
export function createWebhookApp(options: WebhookAppOptions): express.Express {
  const { client, logger, metrics } = options;
  const deadlineMs = options.temporalDeadlineMs ?? defaultTemporalDeadlineMs;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const outcome = await callTemporalWithin(client, deadlineMs, () => client.workflowService.getSystemInfo({}));
    if (outcome.ok) res.json({ status: 'ready', temporal: 'reachable' });
    else res.status(503).json({ status: 'not ready', temporal: 'unreachable' });
  });

  /** Counts every webhook once it is answered, by action and outcome, and times the answer. */
  const countWebhook = (_req: Request, res: Response, next: NextFunction): void => {
    const tally: WebhookTally = { action: 'unknown', outcome: 'failed' };
    res.locals.webhook = tally;
    const stopTimer = metrics.webhookAckSeconds.startTimer();
    res.once('close', () => {
      stopTimer();
      metrics.webhooks.inc({ action: tally.action, outcome: tally.outcome });
    });
    next();
  };

  /**
   * The signature covers the bytes Freshchat sent. A compressed body would have to be
   * verified before inflating and parsed after; Freshchat does not compress webhooks, so
   * any Content-Encoding but identity is refused instead of inflated (no decompression bombs).
   */
  const refuseEncodedBodies = (req: Request, res: Response, next: NextFunction): void => {
    const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding === 'identity' || encoding === '') return next();
    settle(res, 'unsupported');
    res.status(415).json({ error: 'Content-Encoding is not supported: send the body uncompressed' });
  };

  app.post(
    '/webhooks/freshchat',
    countWebhook,
    refuseEncodedBodies,
    express.raw({ type: () => true, limit: options.maxBodyBytes, inflate: false }),
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // The signature is checked over the exact bytes received, before anything else.
      if (!isValidWebhookSignature(raw, req.get('x-freshchat-signature'), options.webhookKey)) {
        logger.warn({ reason: req.get('x-freshchat-signature') ? 'bad signature' : 'missing signature' }, 'webhook rejected');
        settle(res, 'rejected_signature');
        return res.status(401).json({ error: 'invalid or missing X-Freshchat-Signature' });
      }
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        settle(res, 'bad_request');
        return res.status(400).json({ error: 'body is not valid JSON' });
      }
      const action = (json as { action?: unknown } | null)?.action;
      if (typeof action === 'string' && !knownWebhookActions.includes(action)) {
        const shown = action.length > maxEchoedActionChars ? `${action.slice(0, maxEchoedActionChars)}…` : action;
        logger.info({ action: shown, actionLength: action.length }, 'webhook ignored: unknown action');
        settle(res, 'ignored_action');
        return res.status(202).json({ ignored: `unknown action '${shown}'` });
      }
      // Only known actions become label values: anything else comes from outside.
      const known = typeof action === 'string' ? action : 'unknown';
      const parsed = WebhookPayloadSchema.safeParse(json);
      if (!parsed.success) {
        // Zod's messages name the path and the expectation, never the offending value.
        const reason = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        logger.warn({ action, reason }, 'webhook rejected: schema');
        settle(res, 'bad_request', known);
        return res.status(400).json({ error: `payload does not match the Freshchat webhook schema: ${reason}` });
      }
      const routed = toConversationEvent(parsed.data);
      if ('ignored' in routed) {
        logger.info({ action, reason: routed.ignored }, 'webhook ignored');
        settle(res, 'ignored', known);
        return res.status(202).json({ ignored: routed.ignored });
      }
      const workflowId = conversationWorkflowId(routed.conversationId);
      const outcome = await callTemporalWithin(client, deadlineMs, () =>
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
      if (!outcome.ok) {
        logger.error({ conversationId: routed.conversationId, action, failure: outcome.failure, grpcCode: outcome.grpcCode }, 'webhook not handed to Temporal');
        metrics.temporalHandoverFailures.inc({ reason: outcome.failure });
        if (outcome.failure === 'rejected') {
          // Temporal refused the request itself: a retry would be refused again.
          settle(res, 'temporal_rejected', known);
          return res.status(400).json({ error: `Temporal rejected the event: ${outcome.reason}` });
        }
        settle(res, 'temporal_unavailable', known);
        return res.status(503).set('retry-after', '5').json({ error: 'Temporal is unreachable; retry later' });
      }
      logger.info({ conversationId: routed.conversationId, action, kind: routed.event.kind, eventId: routed.event.eventId, workflowId }, 'webhook accepted');
      settle(res, 'accepted', known);
      return res.status(200).json({ accepted: true, workflowId });
    },
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found: this listener serves POST /webhooks/freshchat, /healthz and /readyz' });
  });
  // Body-parser errors (oversized, aborted) in Freshchat-friendly JSON.
  app.use((error: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') {
      settle(res, 'too_large');
      return res.status(413).json({ error: `body larger than ${options.maxBodyBytes} bytes` });
    }
    logger.error({ error: error.type ?? 'unknown' }, 'request failed');
    return res.status(error.status && error.status < 500 ? error.status : 500).json({ error: 'request failed' });
  });
  return app;
}

/** What the metrics count of one webhook, filled in by whichever step answers it. */
interface WebhookTally {
  action: string;
  outcome: WebhookOutcome;
}

/** Records how the webhook being answered ends; requests other than webhooks are not counted. */
function settle(res: Response, outcome: WebhookOutcome, action?: string): void {
  const tally = res.locals.webhook as WebhookTally | undefined;
  if (!tally) return;
  tally.outcome = outcome;
  if (action) tally.action = action;
}
