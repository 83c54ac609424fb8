import { Runtime } from '@temporalio/worker';
import type { Context } from 'mocha';
import { createLogger } from '../../lib/logger.js';
import { PinoSdkLogger } from '../../lib/sdk-logger.js';
import { capturedLogs } from './log-capture.js';
import { stopTestServer } from './temporal-server.js';

/** How many of a failed test's own log lines are printed with its failure. */
const logLinesShownOnFailure = 80;
let logsAtTestStart = 0;

/** The Temporal Runtime may be installed once per process, before any connection exists. */
export const mochaHooks = {
  beforeAll(): void {
    Runtime.install({ logger: new PinoSdkLogger(createLogger('worker', capturedLogs)) });
  },
  beforeEach(): void {
    logsAtTestStart = capturedLogs.lines.length;
  },
  /**
   * A failure in CI is often only reproducible there: the log lines the API, the worker, the
   * sandbox and the SDK wrote during the failed test go with it (ids and labels only: the
   * product logs no customer text).
   */
  afterEach(this: Context): void {
    if (this.currentTest?.state !== 'failed') return;
    const lines = capturedLogs.lines.slice(logsAtTestStart);
    const shown = lines.slice(-logLinesShownOnFailure).map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line));
    process.stderr.write(
      `\n--- the last ${shown.length} of ${lines.length} log lines of "${this.currentTest.fullTitle()}" ---\n${shown.join('\n')}\n--- end of its log lines ---\n`,
    );
  },
  async afterAll(): Promise<void> {
    await stopTestServer();
  },
};
