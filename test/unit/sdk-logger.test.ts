import { expect } from 'chai';
import { createLogger } from '../../lib/logger.js';
import { PinoSdkLogger } from '../../lib/sdk-logger.js';

describe('the SDK logger bridge', () => {
  function capture() {
    const lines: string[] = [];
    const sdk = new PinoSdkLogger(createLogger('worker', { write: (line: string) => void lines.push(line) }));
    return { lines, sdk };
  }

  it('keeps a many-line report (the bundler summary at start-up) off the info log: no huge JSON line', () => {
    const { lines, sdk } = capture();
    const summary = ['asset workflow-bundle.js 3.78 MiB [emitted]', 'orphan modules 474 KiB', 'webpack 5 compiled successfully in 1136 ms'].join('\n');
    sdk.info(summary, { sdkComponent: 'worker' });
    sdk.info('Workflow bundle created', { size: '3.76MB' });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.include({ msg: 'Workflow bundle created', size: '3.76MB', level: 'info' });
  });

  it('keeps warnings and errors of many lines at their level', () => {
    const { lines, sdk } = capture();
    sdk.warn('first line\nsecond line');
    sdk.error('failure\nstack');
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).to.deep.equal(['warn', 'error']);
  });
});
