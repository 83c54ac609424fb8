import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { tokenAuth } from '../lib/token-auth.js';
import { createLogger, type Logger } from '../lib/logger.js';

export interface CodecRouterOptions {
  /** The codec the workers use (normally an AesGcmPayloadCodec). */
  codec: PayloadCodec;
  /**
   * When any is set, every request except a CORS preflight needs `Authorization: Bearer <token>`
   * with one of them (the ops listener passes OPS_AUTH_TOKEN and CODEC_AUTH_TOKEN).
   */
  authTokens?: Array<string | undefined>;
  /** Browser origins (e.g. the Web UI's `http://localhost:8233`) allowed to call the codec endpoints. */
  allowedOrigins: string[];
  /** When set, only requests whose X-Namespace header is in this list are served. */
  allowedNamespaces?: string[];
  logger?: Logger;
}

export const CODEC_ENCODE_PATH = '/codec/encode';
export const CODEC_DECODE_PATH = '/codec/decode';
/** Payloads are capped at 2 MB by the server by default; a page of history holds several. */
export const CODEC_BODY_LIMIT = '4mb';

const CODEC_PATHS = [CODEC_ENCODE_PATH, CODEC_DECODE_PATH];
const MAX_REPORTED_NAMESPACE_LENGTH = 64;

/** Protobuf JSON writes bytes as base64 (standard or URL-safe, padding optional). */
const base64Bytes = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
/** `temporal.api.common.v1.Payloads` in protobuf JSON form; protobuf JSON omits an empty list (the CLI sends `{}`). */
const payloadsBodySchema = z.strictObject({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64Bytes).nullish(),
      data: base64Bytes.nullish(),
    }),
  ).default([]),
});
type JsonPayload = z.infer<typeof payloadsBodySchema>['payloads'][number];

/**
 * Temporal's codec-server protocol, for the Web UI (`--ui-codec-endpoint <base>/codec`) and the CLI
 * (`temporal ... --codec-endpoint <base>/codec`): `POST /codec/encode` and `POST /codec/decode` take and return
 * `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`.
 *
 * Mount it at the app root (`app.use(createCodecRouter(...))`). It parses its own JSON bodies (up to 4 MB),
 * so it does not depend on the app's body parser.
 *
 * The Web UI calls it from the browser, so CORS matters: only `allowedOrigins` get the allow-origin header,
 * and preflights are answered without authentication (browsers never send credentials on them).
 */
export function createCodecRouter(options: CodecRouterOptions): Router {
  const { codec } = options;
  const logger = options.logger ?? createLogger('codec-server');
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));
  const allowedNamespaces = options.allowedNamespaces ? new Set(options.allowedNamespaces) : undefined;

  const router = express.Router();

  const isAllowedOrigin = (origin: string | undefined): origin is string =>
    origin !== undefined && allowedOrigins.has(normalizeOrigin(origin));

  router.options(CODEC_PATHS, (req, res) => {
    res.vary('Origin');
    const origin = req.get('Origin');
    if (isAllowedOrigin(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'content-type, x-namespace, authorization',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '600',
      });
    }
    // Without the allow-origin header the browser refuses the actual request: no body needed either way.
    res.status(204).end();
  });

  // Added before authentication so that the Web UI can read 401/403/400 answers too.
  const allowOrigin = (req: Request, res: Response, next: NextFunction): void => {
    res.vary('Origin');
    const origin = req.get('Origin');
    if (isAllowedOrigin(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    }
    next();
  };

  const authenticate = tokenAuth(options.authTokens ?? [], 'codec', 'OPS_AUTH_TOKEN or CODEC_AUTH_TOKEN');

  const checkNamespace = (req: Request, res: Response, next: NextFunction): void => {
    if (allowedNamespaces === undefined) return next();
    const namespace = req.get('X-Namespace');
    if (namespace !== undefined && allowedNamespaces.has(namespace)) return next();
    sendError(
      res,
      403,
      namespace === undefined
        ? 'the X-Namespace header is required'
        : `namespace ${describe(namespace, MAX_REPORTED_NAMESPACE_LENGTH)} is not served by this codec server`,
    );
  };

  const requireJson = (req: Request, res: Response, next: NextFunction): void => {
    // Insisting on JSON also means a cross-origin page cannot skip the CORS preflight with a "simple" request.
    if (req.is('application/json')) return next();
    sendError(res, 415, 'the body must be JSON (Content-Type: application/json)');
  };

  const parseJson = express.json({ limit: CODEC_BODY_LIMIT, type: 'application/json' });

  const runCodec = (operation: 'encode' | 'decode') => async (req: Request, res: Response): Promise<void> => {
    const body = payloadsBodySchema.safeParse(req.body);
    if (!body.success) {
      // Zod's messages name the path and the expected type, never the offending value.
      const reason = body.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
        .join('; ');
      sendError(res, 400, `the body must be { payloads: [{ metadata, data }] } in protobuf JSON form (${reason})`);
      return;
    }

    const payloads = body.data.payloads.map(fromJsonPayload);
    let converted: Payload[];
    try {
      converted = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (operation === 'decode') {
        // Our codec's messages name key ids only, never payload content; the caller needs them to act.
        logger.warn({ operation, namespace: req.get('X-Namespace'), reason: message }, 'codec request failed');
        sendError(res, 400, message);
      } else {
        logger.error({ operation, namespace: req.get('X-Namespace'), reason: message }, 'codec request failed');
        sendError(res, 500, 'encoding failed');
      }
      return;
    }
    res.json({ payloads: converted.map(toJsonPayload) });
  };

  const pipeline = [allowOrigin, authenticate, checkNamespace, requireJson, parseJson];
  router.post(CODEC_ENCODE_PATH, ...pipeline, runCodec('encode'));
  router.post(CODEC_DECODE_PATH, ...pipeline, runCodec('decode'));

  // Body-parser errors (too large, not JSON) carry their own status; anything else is ours.
  router.use(CODEC_PATHS, (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const { status, type } = (error ?? {}) as { status?: number; type?: string };
    if (type === 'entity.too.large' || status === 413) {
      sendError(res, 413, `the body is larger than ${CODEC_BODY_LIMIT}`);
    } else if (type === 'entity.parse.failed') {
      sendError(res, 400, 'the body is not valid JSON');
    } else if (status !== undefined && status >= 400 && status < 500) {
      sendError(res, status, 'the request body could not be read');
    } else {
      logger.error({ err: error }, 'codec server error');
      sendError(res, 500, 'internal error');
    }
  });

  return router;
}

function fromJsonPayload({ metadata, data }: JsonPayload): Payload {
  const payload: Payload = {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
  };
  if (data != null) payload.data = Buffer.from(data, 'base64');
  return payload;
}

function toJsonPayload({ metadata, data }: Payload): { metadata: Record<string, string>; data?: string } {
  const json: { metadata: Record<string, string>; data?: string } = {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([key, value]) => [key, base64(value)]),
    ),
  };
  // Protobuf JSON leaves out empty bytes fields.
  if (data != null && data.length > 0) json.data = base64(data);
  return json;
}

function base64(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : '';
}

function sendError(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

/** Origins compare without a trailing slash, as browsers send them. */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function describe(value: string, maxLength: number): string {
  return JSON.stringify(value.length > maxLength ? `${value.slice(0, maxLength)}…` : value);
}
