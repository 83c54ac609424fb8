/**
 * `npm run simulate -- <file or folder>... [--junit out.xml] [--concurrency N]`: runs scripted
 * conversations through the real product (workflow, activities, the configured AI provider and
 * settings file) against Freshchat sandboxes of its own, and prints a pass/fail table; for each
 * failure, the transcript and the decision records.
 * Exit code 0 when every scenario ran and passed, 1 when one failed or was skipped, 2 for invalid
 * arguments or files.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@temporalio/worker';
import { ConfigError } from '../config/env.js';
import { loadDotEnv } from '../config/startup.js';
import { createLogger } from '../lib/logger.js';
import { PinoSdkLogger } from '../lib/sdk-logger.js';
import { startSimulationHarness } from '../simulation/harness.js';
import { failureDetails, junitXml, resultsTable } from '../simulation/report.js';
import { runScenario, runScenarios } from '../simulation/run-scenario.js';
import { ScenarioFileError, loadScenarios } from '../simulation/scenario.js';
import { simulatorConfigFrom } from '../simulation/simulated-customer.js';
import { SettingsError, defaultSettingsPath, loadAssistantSettings } from '../settings/assistant-settings.js';

const usage = 'usage: npm run simulate -- <scenario file or folder>... [--junit out.xml] [--concurrency N (1-16, default 4)]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ allowPositionals: true, options: { junit: { type: 'string' }, concurrency: { type: 'string', default: '4' } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const concurrency = Number(args.values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    process.stderr.write(`--concurrency must be a whole number from 1 to 16 (got ${args.values.concurrency})\n${usage}\n`);
    return 2;
  }
  if (args.positionals.length === 0) {
    process.stderr.write(`name at least one scenario file or folder\n${usage}\n`);
    return 2;
  }
  // `.env` only: the values `npm start` generated for its own system are not this run's.
  loadDotEnv({ local: false });
  let scenarios;
  try {
    // Each scenario's settings overrides are checked against the settings file now, with the files.
    const settingsPath = process.env.ASSISTANT_SETTINGS?.trim() || defaultSettingsPath;
    scenarios = loadScenarios(args.positionals, (overrides) => settingsProblems(settingsPath, overrides));
  } catch (error) {
    if (!(error instanceof ScenarioFileError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }

  const logFile = resolve('.data', 'simulate.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const logStream = createWriteStream(logFile);
  const logger = createLogger('simulate', logStream);
  Runtime.install({ logger: new PinoSdkLogger(logger) });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  let harness;
  let simulator;
  try {
    simulator = simulatorConfigFrom(process.env);
    harness = await startSimulationHarness({ env: process.env, logger, say });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  try {
    const { synced, failed } = harness.knowledge;
    say(`Knowledge: ${synced.map((s) => `${s.source} (${s.articles} articles)`).join(', ') || 'none'}${failed.length ? `; FAILED: ${failed.map((f) => `${f.source}: ${f.error}`).join('; ')}` : ''}`);
    say(`Running ${scenarios.length} scenario(s), ${concurrency} at a time, with the ${harness.providerName} provider…`);
    const results = await runScenarios(
      scenarios,
      concurrency,
      (scenario) => runScenario(scenario, { client: harness.client, startScenarioSystem: harness.startScenarioSystem, simulator }),
      (r) => say(`  ${r.skipped ? '-' : r.passed ? '✓' : '✗'} ${r.scenario.name} (${r.skipped ? `skipped: ${r.skipped}` : `${(r.durationMs / 1000).toFixed(1)} s`})`),
    );
    say(`\n${resultsTable(results)}`);
    const failures = results.filter((r) => !r.passed);
    for (const failure of failures) say(`\n${failureDetails(failure, harness.uiUrl, harness.namespace)}`);
    if (failures.length > 0) say(`\nThe product's log lines of this run: ${logFile}`);
    if (args.values.junit) {
      writeFileSync(args.values.junit, junitXml(results));
      say(`JUnit report: ${join(resolve(args.values.junit))}`);
    }
    // A skipped scenario did not pass either: a green run means every scenario ran and passed.
    return failures.length === 0 && results.every((r) => !r.skipped) ? 0 : 1;
  } finally {
    await harness.close();
    await new Promise((r) => logStream.end(r));
  }
}

/** The settings file with a scenario's overrides merged in, as the worker would check it. */
function settingsProblems(settingsPath: string, overrides: Record<string, unknown>): string[] {
  try {
    loadAssistantSettings(settingsPath, overrides);
    return [];
  } catch (error) {
    if (error instanceof SettingsError) return error.problems.length > 0 ? error.problems : [error.message];
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`npm run simulate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
