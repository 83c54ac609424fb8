import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

/** How long a connection may take: a client that never finishes must not hold a socket for good. */
export interface ListenerTimeouts {
  /** Until the request's headers are complete. */
  headersMs: number;
  /** Until the whole request, body included, is received. */
  requestMs: number;
  /** A socket with no traffic at all (also before the first byte). */
  idleMs: number;
  /** A kept-alive socket between requests. */
  keepAliveMs: number;
}

/** Webhook bodies are small and Freshchat sends them at once. */
export const webhookListenerTimeouts: ListenerTimeouts = { headersMs: 10_000, requestMs: 15_000, idleMs: 30_000, keepAliveMs: 5_000 };
/** Codec requests carry pages of history (up to 4 MB) from a browser. */
export const opsListenerTimeouts: ListenerTimeouts = { headersMs: 10_000, requestMs: 60_000, idleMs: 120_000, keepAliveMs: 5_000 };

export interface ListenOptions {
  port: number;
  host?: string;
  timeouts: ListenerTimeouts;
}

/** Starts an HTTP server for `app` with every timeout set; resolves once it listens. */
export function listen(app: RequestListener, options: ListenOptions): Promise<Server> {
  const { timeouts } = options;
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // Node checks the header and request timeouts at this interval (default 30 s).
      connectionsCheckingInterval: Math.min(1000, timeouts.headersMs, timeouts.requestMs),
    },
    app,
  );
  // With no 'timeout' listener, Node destroys a socket that stays idle this long.
  server.setTimeout(timeouts.idleMs);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
}
