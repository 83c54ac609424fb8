import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Worker } from '@temporalio/worker';
import { createDataConverter } from '../../codec/data-converter.js';
import { parseEncryptionKeys } from '../../codec/encryption-keys.js';
import { repoRoot, testEncryptionKeySetting } from '../helpers/system.js';
import { testServer } from '../helpers/temporal-server.js';

/**
 * Workflows keep running while a new version of the worker is deployed: a worker that picks
 * one up replays its history with the new code, and a command the old code did not issue in
 * the same place fails the task for good. These histories were recorded with the code before
 * the hardening (`temporal workflow show -o json`, commit 239ad75; payloads encrypted with the
 * tests' fixed key, test texts only): the new code must replay them unchanged.
 */
const fixtures = join(repoRoot, 'test', 'fixtures', 'histories');
const recorded = {
  'answer, "still there?" nudge, resolution as inactive': 'history-inactive-resolution.json',
  'answer, then a handoff phrase': 'history-handoff-phrase.json',
};

describe('replay of histories recorded by the previous version', function () {
  this.timeout(120_000);

  for (const [name, file] of Object.entries(recorded)) {
    it(`replays without a nondeterminism error: ${name}`, async function () {
      this.timeout(600_000);
      const { bundle } = await testServer();
      const history = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { events: unknown[] };
      expect(history.events.length).to.be.greaterThan(30);
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: createDataConverter(parseEncryptionKeys(testEncryptionKeySetting)) }, history);
    });
  }
});

describe('the workflow bundle', () => {
  it('leaves language detection and zod out: every new or replayed workflow evaluates the bundle again', async function () {
    this.timeout(600_000);
    const { bundle } = await testServer();
    const packages = new Set([...bundle.code.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]));
    expect(packages).to.include('@temporalio/workflow'); // the check sees packages at all
    for (const heavy of ['franc-min', 'iso-639-3', 'trigram-utils', 'zod']) expect([...packages]).not.to.include(heavy);
  });
});
