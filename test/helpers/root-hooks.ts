import { Runtime } from '@temporalio/worker';
import { createLogger } from '../../lib/logger.js';
import { PinoSdkLogger } from '../../lib/sdk-logger.js';
import { capturedLogs } from './log-capture.js';
import { stopTestServer } from './temporal-server.js';

/** The Temporal Runtime may be installed once per process, before any connection exists. */
export const mochaHooks = {
  beforeAll(): void {
    Runtime.install({ logger: new PinoSdkLogger(createLogger('worker', capturedLogs)) });
  },
  async afterAll(): Promise<void> {
    await stopTestServer();
  },
};
