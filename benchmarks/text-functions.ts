import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { detectLanguage } from '../lib/language-detection.js';
import { matchHandoffPhrase } from '../workflow-safe/handoff-rules.js';
import { boundCustomerText, foldText } from '../workflow-safe/text.js';

/**
 * `npm run bench:text`: what the workflow's text functions cost on one long run of non-space
 * characters (a pasted base64 image), against the baseline of the pattern language detection
 * used before (`\S+@\S+|https?:\/\/\S+|[\p{N}_]+`), run in the same process on the same inputs.
 * The workflow task dies past 5 s; the old pattern is quadratic in the run's length, so it is
 * measured only up to 80,000 characters.
 */
const earlierPattern = (text: string) => text.replace(/\S+@\S+|https?:\/\/\S+|[\p{N}_]+/gu, ' ');
const phrases = ['talk to a human', 'real person', 'agent'];

function bestOf(runs: number, work: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

const base64 = randomBytes(800_000).toString('base64'); // > 1 MB of base64 text
const rows: string[][] = [];
for (const length of [10_000, 20_000, 40_000, 80_000, 1_000_000]) {
  const text = base64.slice(0, length);
  const earlier = length <= 80_000 ? bestOf(3, () => earlierPattern(text)) : undefined;
  const detect = bestOf(5, () => detectLanguage(text, 'en'));
  const handoff = bestOf(5, () => matchHandoffPhrase(text, phrases));
  const fold = bestOf(5, () => foldText(text));
  const bound = bestOf(5, () => boundCustomerText(text));
  rows.push([
    length.toLocaleString('en'),
    earlier === undefined ? '(not run)' : earlier.toFixed(1),
    detect.toFixed(2),
    earlier === undefined ? '' : `${(earlier / detect).toFixed(0)}×`,
    handoff.toFixed(2),
    fold.toFixed(2),
    bound.toFixed(3),
  ]);
}

const header = ['chars', 'earlier pattern ms', 'detectLanguage ms', 'speed-up', 'matchHandoffPhrase ms', 'foldText ms', 'boundCustomerText ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
process.stdout.write(`node ${process.version}, best of 3 (earlier) or 5 runs, one base64 run without spaces\n`);
