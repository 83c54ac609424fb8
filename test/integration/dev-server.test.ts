import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Connection } from '@temporalio/client';
import { startDevServer } from '../../scripts/dev-server.js';
import { searchAttributeDefinitions } from '../../workflows/search-attributes.js';

describe('the dev-server script (what `npm start` runs)', function () {
  this.timeout(180_000);

  it('starts a persistent dev server with the Web UI and registers every search attribute, again after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fc-devserver-'));
    for (let start = 1; start <= 2; start++) {
      const server = await startDevServer({ dataDir, port: 17633, uiPort: 18633, log: () => undefined });
      try {
        const connection = await Connection.connect({ address: server.address });
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const { name } of searchAttributeDefinitions) expect(Object.keys(customAttributes ?? {}), `start ${start}`).to.include(name);
        await connection.close();
        const ui = await fetch(server.uiUrl);
        expect(ui.status).to.equal(200);
      } finally {
        await server.stop();
      }
    }
  });
});
