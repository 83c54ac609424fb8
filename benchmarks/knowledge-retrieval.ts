/**
 * `npm run bench:knowledge`: what knowledge costs at scale.
 *
 * (a) Retrieval: p50/p95 of `KnowledgeIndex.search(question, 5)` and the memory the index
 *     adds (heapUsed and RSS before vs after building it, each after a GC: the npm script
 *     runs node with --expose-gc) at 1k, 10k and 50k chunks. The chunks are the real help
 *     center's (142) plus generated shop-like ones (products, concerns, policies, in varied
 *     words); the queries are the 175 labelled questions. The baseline, in the same process
 *     on the same chunks, is a linear scan that scores every chunk by counting the query's
 *     words in it (chunks tokenized once in advance, so the scan measures scoring only).
 *     Targets at 50k: p95 ≤ 20 ms, index memory ≤ 300 MB.
 * (b) Sync: 10,000 generated articles in the sandbox's Freshdesk (control API), a full
 *     `syncSource` through the freshdesk source into a SQLite store, then a second sync with
 *     nothing changed (every article read again, none written).
 *
 * `--only retrieval` or `--only sync` runs one part. BENCH_SIZES (e.g. "1000,10000") and
 * BENCH_SYNC_ARTICLES change the sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KnowledgeIndex } from '../knowledge/knowledge-index.js';
import { storedHashes } from '../knowledge/knowledge-store.js';
import { searchTerm, wordsOf } from '../knowledge/search-terms.js';
import { chunkArticle, htmlToText } from '../knowledge/sections.js';
import { freshdeskSource } from '../knowledge/sources/freshdesk-source.js';
import { syncSource } from '../knowledge/sync.js';
import type { KnowledgeChunk } from '../knowledge/types.js';
import { customerVisibleArticles, loadHelpCenter } from '../sandbox/help-center.js';
import { startSandbox } from '../sandbox/server.js';
import { Store } from '../store/store.js';
import { freshdeskIdOf, helpCenterSourceName, quietLogger } from '../evaluation/evaluate.js';
import { acceptedArticleIds, loadQuestionSet } from '../evaluation/question-set.js';
import { seededRandom } from '../lib/seeded-random.js';

const targetP95Ms = 20;
const targetIndexMb = 300;
const topK = 5;

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const only = argument('--only');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const syncArticles = Number(process.env.BENCH_SYNC_ARTICLES ?? 10_000);

// ---------------------------------------------------------------------------------------------
// Shop-like chunks. A seeded generator: every run indexes the same text.


const products = [
  'tent', 'backpack', 'rain jacket', 'sleeping bag', 'camping stove', 'water bottle', 'hiking boots', 'headlamp', 'picnic blanket',
  'cast-iron pan', 'hammock', 'trekking poles', 'cooler box', 'folding chair', 'wool sweater', 'lantern', 'sleeping mat', 'down vest',
  'rain trousers', 'gaiters', 'bivvy bag', 'tarp', 'camping table', 'cook set', 'pocket knife', 'compass', 'dry bag', 'daypack',
  'softshell jacket', 'merino socks', 'beanie', 'gloves', 'sun hat', 'thermos', 'fire steel', 'first aid kit', 'tent pegs', 'guy lines',
];
const adjectives = ['ultralight', 'family', 'winter', 'summer', 'classic', 'compact', 'waterproof', 'recycled', 'trail', 'alpine', 'urban', 'coastal', 'kids', 'expedition', 'travel'];
const concerns = [
  'Sizing', 'Cleaning and care', 'Storage', 'Repairs', 'Spare parts', 'Delivery', 'Assembly', 'Materials', 'Packing tips', 'Warranty claims',
  'Colour options', 'Weight', 'Set-up', 'Returns', 'Safety', 'Compatibility', 'Fit', 'Availability',
];
const sentences = [
  'The {adj} {product} comes in {n} sizes; measure {part} before you order and pick the larger size if you are between two.',
  'Wash the {product} at {temp} degrees with a mild detergent, never with fabric softener, and let it dry {dry}.',
  'Store the {product} loosely in a dry place; a compressed {product} loses its loft over the {season}.',
  'Spare {spare} for the {adj} {product} are sold separately and ship within {days} working days.',
  'If a seam or zip of your {product} fails within {years} years, send us photos and your order number and we repair or replace it.',
  'The {product} weighs {grams} g and packs down to the size of a {thing}.',
  'Our {product} is made of {material}; the {colour} version uses recycled {material2}.',
  'Assembly takes about {minutes} minutes: start with the {part2}, then attach the {spare}.',
  'For {season} trips we recommend the {adj} {product} together with a {product2}.',
  'The {colour} {product} is back in stock in {month}; you can ask to be notified on the product page.',
  'Check the label inside the {product} for the model number, it starts with PG-{code}.',
  'Customers who bought the {product} often ask whether it fits the {product2}: it does, with the {spare} adapter.',
  'Do not dry the {product} on a radiator or in direct sun, the {material} can shrink or crack.',
  'Use a {tool} to reproof the {product} once a {period}, after washing it.',
];
const fills: Record<string, string[]> = {
  part: ['your chest', 'your foot in the evening', 'your height', 'your waist', 'the inside leg', 'your back length'],
  temp: ['30', '40', '20'],
  dry: ['on a line', 'flat on a towel', 'in the tumble dryer on low with two tennis balls', 'in the shade'],
  season: ['winter', 'summer', 'autumn', 'spring', 'off-season'],
  spare: ['buckles', 'poles', 'pegs', 'straps', 'zip pullers', 'seals', 'burner heads', 'hip belts', 'lids', 'laces'],
  years: ['2', '3', '5'],
  days: ['2', '3', '5', '7'],
  grams: ['340', '780', '1200', '2450', '95', '560'],
  thing: ['water bottle', 'loaf of bread', 'football', 'shoe box', 'coffee mug'],
  material: ['ripstop nylon', 'polyester', 'merino wool', 'cotton canvas', 'aluminium', 'stainless steel', 'goose down'],
  material2: ['polyester', 'nylon', 'down', 'aluminium'],
  colour: ['green', 'blue', 'red', 'black', 'sand', 'orange', 'grey', 'olive'],
  minutes: ['5', '10', '15', '20', '30'],
  part2: ['inner tent', 'frame', 'base', 'shoulder straps', 'burner', 'legs'],
  month: ['January', 'March', 'May', 'July', 'September', 'November'],
  tool: ['wash-in proofer', 'spray-on proofer', 'wax bar', 'soft brush'],
  period: ['season', 'year', 'few months'],
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** The n-th generated chunk: a product's section, 3–8 sentences. */
function generatedChunk(n: number): KnowledgeChunk {
  const random = seededRandom(n * 7919 + 17);
  const product = pick(random, products);
  const adj = pick(random, adjectives);
  const concern = pick(random, concerns);
  const count = 3 + Math.floor(random() * 6);
  const text = Array.from({ length: count }, () =>
    pick(random, sentences).replace(/\{(\w+)\}/g, (_, key: string) => {
      if (key === 'product') return product;
      if (key === 'product2') return pick(random, products);
      if (key === 'adj') return adj;
      if (key === 'n') return String(3 + Math.floor(random() * 5));
      if (key === 'code') return String(10000 + Math.floor(random() * 90000));
      return pick(random, fills[key]!);
    }),
  ).join(' ');
  const articleId = `generated:${n}`;
  const articleTitle = `${adj[0]!.toUpperCase()}${adj.slice(1)} ${product}`;
  return { id: `${articleId}#0`, articleId, source: 'generated', ordinal: 0, title: `${articleTitle} — ${concern}`, articleTitle, language: 'en', text };
}

function helpCenterChunks(): KnowledgeChunk[] {
  return customerVisibleArticles(loadHelpCenter()).flatMap((article) =>
    chunkArticle({ externalId: article.id, title: article.title, language: article.language, body: htmlToText(article.html) }, helpCenterSourceName),
  );
}

// ---------------------------------------------------------------------------------------------
// The baseline: score every chunk by how many of the query's words it contains.

interface ScannedChunk {
  chunk: KnowledgeChunk;
  terms: string[];
}

const termsOf = (text: string) => wordsOf(text).map(searchTerm).filter((t): t is string => t !== null);

function linearScan(scanned: ScannedChunk[], query: string, k: number): KnowledgeChunk[] {
  const wanted = new Set(termsOf(query));
  const best: Array<{ chunk: KnowledgeChunk; score: number }> = [];
  for (const { chunk, terms } of scanned) {
    let score = 0;
    for (const term of terms) if (wanted.has(term)) score++;
    if (score === 0 || (best.length === k && score <= best[k - 1]!.score)) continue;
    best.push({ chunk, score });
    best.sort((a, b) => b.score - a.score);
    if (best.length > k) best.pop();
  }
  return best.map((b) => b.chunk);
}

// ---------------------------------------------------------------------------------------------

const gc = (globalThis as { gc?: () => void }).gc;
function settledMemory(): NodeJS.MemoryUsage {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage();
}
const mb = (bytes: number) => bytes / 1024 / 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function timed<T>(samples: number[], work: () => T): T {
  const started = performance.now();
  const result = work();
  samples.push(performance.now() - started);
  return result;
}

interface RetrievalRow {
  chunks: number;
  buildMs: number;
  heapMb: number;
  rssMb: number;
  p50: number;
  p95: number;
  scanP50: number;
  scanP95: number;
  hitAt5: number;
  scanHitAt5: number;
}

function benchRetrieval(): RetrievalRow[] {
  const questions = loadQuestionSet();
  const real = helpCenterChunks();
  const rows: RetrievalRow[] = [];
  for (const size of sizes) {
    const chunks = [...real, ...Array.from({ length: Math.max(0, size - real.length) }, (_, i) => generatedChunk(i + 1))];
    const before = settledMemory();
    const buildStarted = performance.now();
    let index: KnowledgeIndex | undefined = new KnowledgeIndex(chunks);
    const buildMs = performance.now() - buildStarted;
    const after = settledMemory();

    const hitOf = (found: KnowledgeChunk[], question: (typeof questions)[number]) =>
      found.some((chunk) => chunk.source === helpCenterSourceName && acceptedArticleIds(question).includes(freshdeskIdOf(chunk.articleId)));
    const articleQuestions = questions.filter((q) => q.expect !== 'escalate');

    for (const question of questions) index.search(question.q, topK); // warm-up
    const samples: number[] = [];
    let hits = 0;
    for (let pass = 0; pass < 3; pass++) {
      for (const question of questions) {
        const found = timed(samples, () => index!.search(question.q, topK));
        if (pass === 0 && question.expect !== 'escalate' && hitOf(found, question)) hits++;
      }
    }
    index = undefined;

    const scanned = chunks.map((chunk) => ({ chunk, terms: termsOf(`${chunk.title} ${chunk.text}`) }));
    const scanSamples: number[] = [];
    let scanHits = 0;
    for (const question of questions) {
      const found = timed(scanSamples, () => linearScan(scanned, question.q, topK));
      if (question.expect !== 'escalate' && hitOf(found, question)) scanHits++;
    }
    samples.sort((a, b) => a - b);
    scanSamples.sort((a, b) => a - b);
    rows.push({
      chunks: chunks.length,
      buildMs,
      heapMb: mb(after.heapUsed - before.heapUsed),
      rssMb: mb(after.rss - before.rss),
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      scanP50: percentile(scanSamples, 50),
      scanP95: percentile(scanSamples, 95),
      hitAt5: hits / articleQuestions.length,
      scanHitAt5: scanHits / articleQuestions.length,
    });
    process.stderr.write(`  ${chunks.length} chunks done\n`);
  }
  return rows;
}

function printRetrieval(rows: RetrievalRow[]): void {
  const header = ['chunks', 'build s', 'heap +MB', 'RSS +MB', 'p50 ms', 'p95 ms', 'scan p50 ms', 'scan p95 ms', 'scan/index p50', 'scan/index p95', 'hit@5', 'scan hit@5'];
  const cells = rows.map((r) => [
    r.chunks.toLocaleString('en'), (r.buildMs / 1000).toFixed(2), r.heapMb.toFixed(1), r.rssMb.toFixed(1), r.p50.toFixed(2), r.p95.toFixed(2),
    r.scanP50.toFixed(2), r.scanP95.toFixed(2), `${(r.scanP50 / r.p50).toFixed(1)}×`, `${(r.scanP95 / r.p95).toFixed(1)}×`, `${(r.hitAt5 * 100).toFixed(1)} %`, `${(r.scanHitAt5 * 100).toFixed(1)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i]!)).join('  ');
  process.stdout.write(`retrieval: search(question, ${topK}) over the 175 labelled questions × 3 passes (scan: 1 pass); memory after GC: ${gc ? 'yes' : 'no (run node with --expose-gc)'}\n`);
  process.stdout.write(`${[line(header), ...cells.map(line)].join('\n')}\n`);
  const largest = rows.at(-1);
  if (largest) {
    const latencyMet = largest.p95 <= targetP95Ms;
    const memoryMet = Math.max(largest.heapMb, largest.rssMb) <= targetIndexMb;
    process.stdout.write(
      `targets at ${largest.chunks.toLocaleString('en')} chunks: p95 ≤ ${targetP95Ms} ms ${latencyMet ? 'met' : 'NOT met'} (${largest.p95.toFixed(2)} ms); ` +
        `index memory ≤ ${targetIndexMb} MB ${memoryMet ? 'met' : 'NOT met'} (heap +${largest.heapMb.toFixed(1)} MB, RSS +${largest.rssMb.toFixed(1)} MB)\n`,
    );
  }
}

async function benchSync(): Promise<void> {
  const sandbox = await startSandbox({ apiToken: 'bench-unused-token', aiAgentEmail: 'ai@sandbox.test', logger: quietLogger('freshchat-sandbox') });
  const dir = mkdtempSync(join(tmpdir(), 'fcai-bench-knowledge-'));
  const store = new Store({ sqlitePath: join(dir, 'knowledge.sqlite') });
  try {
    await store.ready();
    // "Care & repairs" (visibility 1): the generated articles are published and customer-visible.
    const response = await fetch(`${sandbox.baseUrl}/sandbox/help-center/folders/5000001007/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: syncArticles }),
    });
    if (response.status !== 201) throw new Error(`generate answered ${response.status}: ${await response.text()}`);
    const source = freshdeskSource({ name: helpCenterSourceName, accountUrl: sandbox.baseUrl, apiKey: sandbox.freshdeskApiKey, language: 'en', translations: ['de', 'es'] });
    const signal = new AbortController().signal;
    const runs: Array<{ label: string; seconds: number; result: Awaited<ReturnType<typeof syncSource>> }> = [];
    for (const label of ['full (empty store)', 'again, nothing changed']) {
      const started = performance.now();
      const result = await syncSource(store.db, source, { signal });
      runs.push({ label, seconds: (performance.now() - started) / 1000, result });
    }
    const stored = (await storedHashes(store.db, helpCenterSourceName)).size;
    process.stdout.write(`sync: ${syncArticles.toLocaleString('en')} generated + the shipped customer-visible English articles from the sandbox's Freshdesk (per_page 100) into SQLite; ${stored.toLocaleString('en')} articles stored\n`);
    for (const run of runs) {
      const { articles, added, updated, unchanged } = run.result;
      process.stdout.write(
        `  ${run.label.padEnd(24)} ${run.seconds.toFixed(2).padStart(7)} s  ${Math.round(articles / run.seconds).toLocaleString('en').padStart(6)} articles/s  (read ${articles}, added ${added}, updated ${updated}, unchanged ${unchanged})\n`,
      );
    }
    process.stdout.write(`  second sync / full sync: ${(runs[1]!.seconds / runs[0]!.seconds).toFixed(2)} (${(runs[0]!.seconds / runs[1]!.seconds).toFixed(1)}× faster)\n`);
  } finally {
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (only !== 'sync') printRetrieval(benchRetrieval());
if (only !== 'retrieval') await benchSync();
process.stdout.write(`node ${process.version}, ${(await import('node:os')).cpus().length} cores, ${new Date().toISOString().slice(0, 10)}\n`);
