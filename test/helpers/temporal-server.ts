import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { encryptedFailureConverterPath } from '../../codec/data-converter.js';
import { devServerDynamicConfig } from '../../scripts/dev-server.js';
import { findOrBuildTemporalCli } from '../../scripts/temporal-cli.js';
import { freePort } from '../../lib/free-port.js';
import { quietBundlerLogger, workflowsPath } from '../../worker/create-worker.js';
import { searchAttributes } from '../../workflows/search-attributes.js';

/**
 * One real Temporal dev server for the whole test run (the `temporal` CLI obtained by the
 * project's own script), and one workflow bundle. Continue-as-new is suggested early so
 * that long-conversation tests cross it for real.
 */
export interface TestServer {
  env: TestWorkflowEnvironment;
  cliPath: string;
  address: string;
  namespace: string;
  uiUrl: string;
  bundle: WorkflowBundleWithSourceMap;
}

export const suggestContinueAsNewAfterEvents = 400;

let server: Promise<TestServer> | undefined;

/** A real dev server from the project's own CLI, with the Web UI and the product's search attributes. */
export async function startLocalTestEnvironment(extraArgs: string[]): Promise<{ env: TestWorkflowEnvironment; cliPath: string; uiUrl: string }> {
  const cli = await findOrBuildTemporalCli();
  if (!cli.path) throw new Error('the tests need the temporal CLI (Go or TEMPORAL_CLI_PATH)');
  const uiPort = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      searchAttributes: Object.values(searchAttributes),
      extraArgs: [...devServerDynamicConfig, ...extraArgs, '--log-level', 'error'],
    },
  });
  return { env, cliPath: cli.path, uiUrl: `http://localhost:${uiPort}` };
}

export function testServer(): Promise<TestServer> {
  server ??= (async () => {
    const { env, cliPath, uiUrl } = await startLocalTestEnvironment([
      '--dynamic-config-value',
      `limit.historyCount.suggestContinueAsNew=${suggestContinueAsNewAfterEvents}`,
    ]);
    const bundle = await bundleWorkflowCode({ workflowsPath, failureConverterPath: encryptedFailureConverterPath, logger: quietBundlerLogger });
    return { env, cliPath, address: env.address, namespace: env.namespace ?? 'default', uiUrl, bundle };
  })();
  return server;
}

export async function stopTestServer(): Promise<void> {
  if (!server) return;
  const s = await server;
  await s.env.teardown();
}

export { freePort };
export { quietBundlerLogger };
