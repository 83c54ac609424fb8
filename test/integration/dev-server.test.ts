import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Connection } from '@temporalio/client';
import { devServerOptionsFrom, startDevServer } from '../../scripts/dev-server.js';
import { searchAttributeDefinitions } from '../../workflows/search-attributes.js';

describe('the dev-server script (what `npm start` runs)', function () {
  this.timeout(180_000);

  it('starts a persistent dev server with the Web UI and registers every search attribute, again after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fc-devserver-'));
    for (let start = 1; start <= 2; start++) {
      const uiCodecEndpoint = 'http://localhost:3001/codec';
      const server = await startDevServer({ dataDir, port: 17633, uiPort: 18633, uiCodecEndpoint, log: () => undefined });
      try {
        const connection = await Connection.connect({ address: server.address });
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const { name } of searchAttributeDefinitions) expect(Object.keys(customAttributes ?? {}), `start ${start}`).to.include(name);
        await connection.close();
        const ui = await fetch(server.uiUrl);
        expect(ui.status).to.equal(200);
        // The Web UI decodes payloads through the codec endpoint it was given.
        const settings = (await (await fetch(`${server.uiUrl}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
        expect(settings.Codec?.Endpoint).to.equal(uiCodecEndpoint);
      } finally {
        await server.stop();
      }
    }
  });

  it('`npm run dev-server` gives the Web UI the ops listener\'s codec endpoint, as `npm start` does', () => {
    expect(devServerOptionsFrom({}, '/app')).to.deep.equal({ dataDir: '/app/.data/temporal', uiCodecEndpoint: 'http://localhost:3001/codec' });
    expect(devServerOptionsFrom({ PORT: '4000' }, '/app').uiCodecEndpoint).to.equal('http://localhost:4001/codec');
    expect(devServerOptionsFrom({ PORT: '4000', OPS_PORT: '5000' }, '/app').uiCodecEndpoint).to.equal('http://localhost:5000/codec');
    expect(devServerOptionsFrom({ PAYLOAD_ENCRYPTION: 'off' }, '/app').uiCodecEndpoint).to.equal(undefined);
  });
});
