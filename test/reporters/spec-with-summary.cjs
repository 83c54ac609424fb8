'use strict';
/**
 * Mocha's spec reporter, then one plain last line counted from mocha's own result:
 * `N passed, N failed`. A run that executed no test says `0 passed, 0 failed`, so CI logs show it.
 * With MOCHA_SUMMARY_FILE set, the counts are also written there as JSON.
 * CommonJS because mocha loads reporters with require().
 */
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0 } = runner.stats ?? {};
      process.stdout.write(`${passes} passed, ${failures} failed\n`);
      // .ci/run adds up the runs (Node 20 and Node 24) into its own last line.
      if (process.env.MOCHA_SUMMARY_FILE) require('node:fs').writeFileSync(process.env.MOCHA_SUMMARY_FILE, JSON.stringify({ passes, failures }));
    });
  }
}

module.exports = SpecWithSummary;
