import { Writable } from 'node:stream';

/** Collects every JSON log line the API, the worker and the SDK write during the tests. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export const capturedLogs = new LogCapture();
