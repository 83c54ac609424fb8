/**
 * The sample shop's own HTTP API under /shop/api ("Pinecone Goods"): what the product's tools
 * call in the sample settings and in tests. An order lookup and a refund that honours an
 * `Idempotency-Key` header, behind a Bearer token, with plain `{ "error": "<code>" }` bodies
 * (a company's API, not Freshchat's). Faults come from the same registry as /v2, so a test can
 * make a refund take effect and still answer 500, and check that the retry refunds nothing more.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { faultMiddleware, type FaultRegistry } from './faults.js';
import type { RefundOutcome, ShopStore } from './shop-store.js';

export interface ShopApiContext {
  shop: ShopStore;
  faults: FaultRegistry;
  apiToken: string;
  logger: Logger;
}

export const DEFAULT_SHOP_API_TOKEN = 'sandbox-shop-token';

/**
 * Both fields may be left out or null (a model filling an optional field often sends null);
 * fields the shop does not know are ignored, so a tool may send all of its arguments.
 */
const refundBodySchema = z.object({
  amount: z.number().positive().finite().nullish(),
  reason: z.string().max(1000).nullish(),
});

/** Answered as `{ "error": code }`, with a `message` when there is more to say. */
class ShopError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail?: string,
  ) {
    super(detail ?? code);
    this.name = 'ShopError';
  }
}

function shopErrorBody(code: string, message?: string) {
  return message === undefined ? { error: code } : { error: code, message };
}

/** The body an injected failure answers with here: the shop's error shape, not Freshchat's. */
function faultErrorBody(status: number, message: string) {
  const code = status === 429 ? 'rate_limited' : status >= 500 ? 'service_unavailable' : 'request_failed';
  return shopErrorBody(code, message);
}

/** How each refund outcome that is not a refund answers. */
const refusedRefunds: Record<Exclude<RefundOutcome['outcome'], 'refunded' | 'replayed'>, { status: number; message?: string }> = {
  order_not_found: { status: 404 },
  already_refunded: { status: 409 },
  idempotency_key_reused: { status: 422, message: 'This Idempotency-Key was used for a refund of another order' },
  amount_exceeds_total: { status: 400, message: 'amount is more than the order total' },
  amount_required: { status: 400, message: 'this order has no total: give an amount' },
};

function requireBearerToken(apiToken: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization')?.trim() ?? '');
    if (!match || match[1] !== apiToken) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(401).json(shopErrorBody('unauthorized'));
      return;
    }
    next();
  };
}

const idempotencyKeyOf = (value: string | undefined) => value?.trim() || undefined;

export function createShopApi(context: ShopApiContext): Router {
  const { shop } = context;
  const router = express.Router();

  router.use(requireBearerToken(context.apiToken));
  // Recorded before a fault can answer, with the status the client finally got (a fault's too).
  router.use((req, res, next) => {
    const idempotencyKey = idempotencyKeyOf(req.get('idempotency-key'));
    const answered = shop.recordRequest({ method: req.method, path: req.originalUrl, ...(idempotencyKey ? { idempotencyKey } : {}) });
    res.on('finish', () => answered(res.statusCode));
    next();
  });
  router.use(faultMiddleware(context.faults, faultErrorBody));
  router.use(express.json({ limit: '100kb' }));

  router.get('/orders/:orderNumber', (req, res) => {
    const order = shop.findOrder(req.params.orderNumber);
    if (!order) throw new ShopError(404, 'order_not_found');
    res.json(order);
  });

  router.post('/orders/:orderNumber/refund', (req, res) => {
    const idempotencyKey = idempotencyKeyOf(req.get('idempotency-key'));
    if (!idempotencyKey) throw new ShopError(400, 'idempotency_key_required');
    const parsed = refundBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const reasons = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
      throw new ShopError(400, 'invalid_body', reasons);
    }
    const result = shop.refund(req.params.orderNumber, idempotencyKey, {
      amount: parsed.data.amount ?? undefined,
      reason: parsed.data.reason ?? undefined,
    });
    if (result.outcome === 'refunded' || result.outcome === 'replayed') {
      res.json(result.answer);
      return;
    }
    const refused = refusedRefunds[result.outcome];
    throw new ShopError(refused.status, result.outcome, refused.message);
  });

  router.use((_req, _res, next) => next(new ShopError(404, 'not_found')));
  router.use(shopErrorHandler(context.logger));
  return router;
}

/** Every failure leaves in the shop's shape, malformed JSON and oversized bodies included. */
function shopErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ShopError) {
      res.status(err.status).json(shopErrorBody(err.code, err.detail));
      return;
    }
    if (err?.type === 'entity.parse.failed') {
      res.status(400).json(shopErrorBody('invalid_body', 'Malformed JSON body'));
      return;
    }
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status >= 400 && status < 500) {
      res.status(status).json(shopErrorBody('bad_request', String(err?.message ?? 'Bad request')));
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'sandbox shop request failed');
    res.status(500).json(shopErrorBody('internal_error'));
  };
}
