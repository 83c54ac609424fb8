import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { listen, opsListenerTimeouts, urlOf } from '../../api/listen.js';
import { createApiMetrics } from '../../api/metrics.js';
import { createOpsApp } from '../../api/ops-app.js';
import { createLogger } from '../../lib/logger.js';
import type { Store } from '../../store/store.js';
import { capturedLogs } from './log-capture.js';

export const testTemporalUi = { baseUrl: 'http://localhost:8233', namespace: 'default' };

export interface OpsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The real ops app on a loopback port, for tests of what needs no Temporal (reports, the
 * dashboard, auth): its client is lazy and never connects. startSystem builds the same app
 * against a real server.
 */
export async function startOpsListener(options: { store: Store; authToken?: string }): Promise<OpsListener> {
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createOpsApp({ client, logger: createLogger('api', capturedLogs), store: options.store, metrics: createApiMetrics(), authToken: options.authToken, temporalUi: testTemporalUi });
  const server: Server = await listen(app, { port: 0, host: '127.0.0.1', timeouts: opsListenerTimeouts });
  return {
    url: urlOf(server),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
