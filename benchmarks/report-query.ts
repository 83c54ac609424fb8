import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import { parseReportRange, type ReportRange } from '../store/report-range.js';
import { dashboardData, sessionReport } from '../store/reports.js';
import { sessionOutcomes, type NewSessionRow } from '../store/schema.js';
import { Store, type StoreDialect } from '../store/store.js';

/**
 * `npm run bench:reports`: the report query (store/reports.ts) over BENCH_SESSIONS (default
 * 100,000) seeded sessions, on SQLite (a temp file) and PostgreSQL (a throwaway database on
 * BENCH_DATABASE_URL's server, default the local one; skipped when unreachable). Reported as a
 * ratio to a baseline measured in the same process on the same rows: a bare
 * `select count(*)` over the same range, the least any report over that range must do (an
 * index-only scan). For scale, a second baseline reads one column of every row in the range,
 * `select sum(ai_touched)`: what any figure that is not a plain count costs.
 *
 * Sessions spread evenly over 2026 (about 274 a day). Two ranges: the whole year (every row)
 * and November (30 days, about 8,200 rows). Each case: 3 warm-up runs, then BENCH_RUNS
 * (default 15) runs of each query, alternating baselines / report / dashboard (the
 * /reports/dashboard query) so drift hits all alike; the median is printed. ANALYZE runs after seeding, as autovacuum would.
 */

const sessionCount = Number(process.env.BENCH_SESSIONS ?? 100_000);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const warmups = 3;
const batchSize = 500;
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const year = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2027-01-01T00:00:00Z') };
const ranges: Array<{ name: string; from: string; to: string }> = [
  { name: '2026 (365 days)', from: '2026-01-01', to: '2027-01-01' },
  { name: 'November (30 days)', from: '2026-11-01', to: '2026-12-01' },
];
const rules = ['handoff_phrase', 'topic_policy', 'sentiment', 'confidence_floor', 'ai_failure', 'office_hours'];
const topics = ['orders', 'shipping', 'returns', 'account', 'billing', null];
const sentiments = ['very_negative', 'negative', 'neutral', 'positive', null];

interface BenchStore {
  store: Store;
  dispose(): Promise<void>;
}

/** A deterministic pseudo-random sequence, so every run seeds the same rows. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sessionRow(i: number, random: () => number): NewSessionRow {
  const started = year.from + Math.floor(((year.to - year.from) * (i + random())) / sessionCount);
  const outcome = sessionOutcomes[Math.floor(random() * sessionOutcomes.length)]!;
  const ended = outcome === 'open' ? null : started + Math.floor(random() * 3_600_000);
  const aiTouched = outcome.startsWith('ai_') || random() < 0.6;
  const escalated = outcome === 'rep' || (outcome === 'open' && random() < 0.3);
  // About one resolved session in eight is reopened, after 0 to 20 days.
  const reopened = ended !== null && random() < 0.125 ? ended + Math.floor(random() * 20 * 86_400_000) : null;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  return {
    conversation_id: `bench-${i}`,
    session_number: 1,
    workflow_id: `freshchat-conversation-bench-${i}`,
    contact_id: null,
    started_at: iso(started)!,
    first_ai_reply_at: aiTouched ? iso(started + 5_000) : null,
    ended_at: iso(ended),
    state: outcome === 'open' ? pick(['waiting', 'ai_active', 'escalated', 'human']) : 'resolved',
    outcome,
    resolved_by: outcome === 'open' ? null : outcome.startsWith('ai_') ? 'ai' : (outcome as 'rep' | 'ops'),
    resolution_kind: outcome === 'ai_confirmed' ? 'confirmed' : outcome === 'ai_assumed' ? 'assumed' : null,
    ai_touched: aiTouched ? 1 : 0,
    escalated: escalated ? 1 : 0,
    escalation_rule: escalated ? pick(rules) : null,
    escalation_reason: null,
    escalated_at: escalated ? iso(started + 60_000) : null,
    topic: pick(topics),
    sentiment: pick(sentiments),
    ai_replies: aiTouched ? 1 + Math.floor(random() * 4) : 0,
    ai_decisions: aiTouched ? 1 + Math.floor(random() * 4) : 0,
    customer_messages: 1 + Math.floor(random() * 6),
    reopened_at: iso(reopened),
    freshchat_url: `https://example.freshchat.com/a/1/inbox/open/0/conversation/bench-${i}`,
    revision: 1,
    updated_at: iso(ended ?? started)!,
  };
}

async function seed(store: Store): Promise<number> {
  await store.ready();
  const random = mulberry32(20261201);
  const started = performance.now();
  for (let first = 0; first < sessionCount; first += batchSize) {
    const rows: NewSessionRow[] = [];
    for (let i = first; i < Math.min(first + batchSize, sessionCount); i++) rows.push(sessionRow(i, random));
    await store.db.insertInto('sessions').values(rows).execute();
  }
  await sql`analyze`.execute(store.db);
  return performance.now() - started;
}

async function openSqlite(): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), 'fcai-bench-reports-'));
  const store = new Store({ sqlitePath: join(dir, 'bench.sqlite') });
  return { store, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

async function openPostgres(): Promise<BenchStore | string> {
  const name = `fcai_bench_${process.pid}`;
  try {
    await admin(`create database ${name}`);
  } catch (error) {
    return `PostgreSQL at ${serverUrl} is not reachable (${(error as Error).message}): skipped`;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const store = new Store({ databaseUrl: url.toString(), sqlitePath: '' });
  return { store, dispose: async () => { await store.close(); await admin(`drop database if exists ${name} with (force)`); } };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function rangeOf(from: string, to: string): ReportRange {
  const parsed = parseReportRange({ from, to });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.range;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface CaseResult {
  dialect: StoreDialect;
  range: string;
  rows: number;
  baselineMs: number;
  scanMs: number;
  reportMs: number;
  dashboardMs: number;
}

async function measure(dialect: StoreDialect, store: Store): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const r of ranges) {
    const range = rangeOf(r.from, r.to);
    const baseline = () =>
      store.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('started_at', '>=', range.from.toISOString())
        .where('started_at', '<', range.to.toISOString())
        .executeTakeFirstOrThrow();
    const scan = () =>
      store.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.sum<number | string>('ai_touched').as('n'))
        .where('started_at', '>=', range.from.toISOString())
        .where('started_at', '<', range.to.toISOString())
        .executeTakeFirstOrThrow();
    const report = () => sessionReport(store.db, range);
    const dashboard = () => dashboardData(store.db, range);
    const rows = Number((await baseline()).n);
    const expected = (await report()).sessions;
    if (expected !== rows) throw new Error(`the report counted ${expected} sessions, count(*) ${rows}`);
    for (let i = 0; i < warmups; i++) {
      await baseline();
      await scan();
      await report();
      await dashboard();
    }
    const samples = { baseline: [] as number[], scan: [] as number[], report: [] as number[], dashboard: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.baseline.push(await timed(baseline));
      samples.scan.push(await timed(scan));
      samples.report.push(await timed(report));
      samples.dashboard.push(await timed(dashboard));
    }
    results.push({ dialect, range: r.name, rows, baselineMs: median(samples.baseline), scanMs: median(samples.scan), reportMs: median(samples.report), dashboardMs: median(samples.dashboard) });
  }
  return results;
}

function printTable(results: CaseResult[]): void {
  const header = ['dialect', 'range', 'rows', 'count(*) ms', 'sum() ms', 'report ms', 'report/count', 'report/sum', 'dashboard ms', 'dashboard/count'];
  const lines = results.map((r) => [
    r.dialect,
    r.range,
    String(r.rows),
    r.baselineMs.toFixed(2),
    r.scanMs.toFixed(2),
    r.reportMs.toFixed(2),
    (r.reportMs / r.baselineMs).toFixed(2),
    (r.reportMs / r.scanMs).toFixed(2),
    r.dashboardMs.toFixed(2),
    (r.dashboardMs / r.baselineMs).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  console.log(`report query benchmark: ${sessionCount} sessions, median of ${runs} runs, ${cpus().length} CPUs, Node ${process.version}`);
  const results: CaseResult[] = [];
  const opened: Array<[StoreDialect, () => Promise<BenchStore | string>]> = [
    ['sqlite', openSqlite],
    ['postgres', openPostgres],
  ];
  for (const [dialect, open] of opened) {
    const bench = await open();
    if (typeof bench === 'string') {
      console.log(`${dialect}: ${bench}`);
      continue;
    }
    try {
      const seedMs = await seed(bench.store);
      console.log(`${dialect}: seeded ${sessionCount} sessions in ${(seedMs / 1000).toFixed(1)} s (batches of ${batchSize}, then ANALYZE)`);
      results.push(...(await measure(dialect, bench.store)));
    } finally {
      await bench.dispose();
    }
  }
  console.log('');
  printTable(results);
}

main().catch((error) => {
  process.stderr.write(`bench:reports failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
