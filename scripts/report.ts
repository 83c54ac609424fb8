import { parseArgs } from 'node:util';
import { loadDotEnv } from '../config/startup.js';
import { parseReportRange } from '../store/report-range.js';
import { sessionReport, type SessionReport } from '../store/reports.js';
import { openStore } from '../store/store.js';

/**
 * `npm run report -- --from 2026-11-01 --to 2026-12-01 [--json|--csv] [--reopened-within-days N]`:
 * the numbers of `GET /reports`, from the store the worker writes (DATABASE_URL or
 * SQLITE_PATH, `.env` included). A table by default; --json prints exactly the endpoint's
 * answer, --csv one `metric,value` line per figure. Exit code 2 with the reason on bad input,
 * 1 when the store is unavailable.
 */

const usage = 'usage: npm run report -- --from <date|ISO time> --to <date|ISO time> [--json|--csv] [--reopened-within-days N]';

export async function runReport(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'reopened-within-days': { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`report: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.json && values.csv) {
    process.stderr.write(`report: choose one of --json and --csv\n${usage}\n`);
    return 2;
  }
  const parsed = parseReportRange({ from: values.from, to: values.to, reopenedWithinDays: values['reopened-within-days'] });
  if (!parsed.ok) {
    // The reason names the HTTP parameter; say which flag that is.
    process.stderr.write(`report: ${parsed.error.replace(/^reopenedWithinDays\b/, '--reopened-within-days').replace(/^(from|to)\b/, '--$1')}\n${usage}\n`);
    return 2;
  }
  const store = openStore(env);
  try {
    await store.ready();
    const report = await sessionReport(store.db, parsed.range);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : values.csv ? reportCsv(report) : reportTable(report));
    return 0;
  } catch (error) {
    process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** The report's figures as [metric, value] pairs, in the order of the JSON answer. */
function figuresOf(report: SessionReport): Array<[string, string | number | null]> {
  return [
    ['from', report.from],
    ['to', report.to],
    ['sessions', report.sessions],
    ['ai_touched', report.aiTouched],
    ['outcome_ai_confirmed', report.outcomes.aiConfirmed],
    ['outcome_ai_assumed', report.outcomes.aiAssumed],
    ['outcome_rep', report.outcomes.rep],
    ['outcome_ops', report.outcomes.ops],
    ['outcome_open', report.outcomes.open],
    ['escalated', report.escalated.total],
    ...Object.entries(report.escalated.byRule).map(([rule, n]): [string, number] => [`escalated_${rule}`, n]),
    ['reopened_within_days', report.reopened.withinDays],
    ['reopened', report.reopened.count],
    ['ai_resolution_rate', report.aiResolutionRate],
    ['durable_ai_resolution_rate', report.durableAiResolutionRate],
  ];
}

function reportCsv(report: SessionReport): string {
  const field = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return ['metric,value', ...figuresOf(report).map(([metric, value]) => `${field(metric)},${field(value)}`)].join('\n') + '\n';
}

function reportTable(report: SessionReport): string {
  const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);
  const rows: Array<[string, string | number]> = [
    ['sessions', report.sessions],
    ['AI touched', report.aiTouched],
    ['  resolved by the AI, confirmed', report.outcomes.aiConfirmed],
    ['  resolved by the AI, assumed', report.outcomes.aiAssumed],
    ['  resolved by a rep', report.outcomes.rep],
    ['  resolved by ops', report.outcomes.ops],
    ['  open', report.outcomes.open],
    ['escalated', report.escalated.total],
    ...Object.entries(report.escalated.byRule).map(([rule, n]): [string, number] => [`  ${rule}`, n]),
    [`reopened within ${report.reopened.withinDays} days`, report.reopened.count],
    ['AI resolution rate', percent(report.aiResolutionRate)],
    ['durable AI resolution rate', percent(report.durableAiResolutionRate)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length));
  return [
    `Sessions started in [${report.from}, ${report.to})`,
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${String(value).padStart(valueWidth)}`),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  loadDotEnv();
  runReport(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`report failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
