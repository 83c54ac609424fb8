/**
 * What `npm run simulate` prints: a pass/fail table, then for each failure the transcript and
 * the decision records; and the same results as JUnit XML for CI (`--junit out.xml`).
 */
import { basename } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { describeDecision } from './expectations.js';
import type { ScenarioResult } from './run-scenario.js';

export function resultsTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => [r.skipped ? 'skip' : r.passed ? 'pass' : 'FAIL', r.scenario.name, basename(r.scenario.file), `${(r.durationMs / 1000).toFixed(1)} s`, r.failure ? whereOf(r.failure.step) : '']);
  const header = ['result', 'scenario', 'file', 'time', 'failed at'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const passed = results.filter((r) => r.passed && !r.skipped).length;
  const skipped = results.filter((r) => r.skipped).length;
  const summary = `${passed} of ${results.length} scenarios passed${skipped ? `, ${skipped} skipped` : ''}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', summary].join('\n');
}

/** The failure, the conversation as Freshchat has it, and every decision the AI made. */
export function failureDetails(result: ScenarioResult, uiUrl?: string, namespace?: string): string {
  const lines = [`✗ ${result.scenario.name} (${basename(result.scenario.file)})`, `  ${whereOf(result.failure?.step ?? 0)}: ${result.failure?.message}`];
  if (result.workflowId && uiUrl && namespace) lines.push(`  trace: ${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(result.workflowId)}`);
  lines.push('  transcript:');
  if (result.transcript.length === 0) lines.push('    (no messages)');
  for (const t of result.transcript) lines.push(`    ${t.at.slice(11, 19)} ${t.who}: ${t.text.replace(/\n/g, '\n      ')}`);
  lines.push('  decisions:');
  if (result.decisions.length === 0) lines.push('    (none)');
  for (const d of result.decisions) {
    const sources = d.sources.length > 0 ? `; sources ${d.sources.join(', ')}` : '';
    lines.push(`    session ${d.session} turn ${d.turn}: ${describeDecision(d)}${sources}`);
  }
  return lines.join('\n');
}

/** JUnit XML: one test suite, one test case per scenario, the failure with its transcript. */
export function junitXml(results: ScenarioResult[]): string {
  const failures = results.filter((r) => !r.passed).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, suppressEmptyNode: true });
  return builder.build({
    '?xml': { '@version': '1.0', '@encoding': 'UTF-8' },
    testsuites: {
      '@name': 'simulations',
      '@tests': results.length,
      '@failures': failures,
      testsuite: {
        '@name': 'simulations',
        '@tests': results.length,
        '@failures': failures,
        '@skipped': results.filter((r) => r.skipped).length,
        '@time': seconds(results.reduce((sum, r) => sum + r.durationMs, 0)),
        testcase: results.map((r) => ({
          '@name': r.scenario.name,
          '@classname': basename(r.scenario.file),
          '@time': seconds(r.durationMs),
          ...(r.skipped ? { skipped: { '@message': r.skipped } } : r.passed ? {} : { failure: { '@message': `${whereOf(r.failure?.step ?? 0)}: ${r.failure?.message}`, '#text': failureDetails(r) } }),
        })),
      },
    },
  }) as string;
}

/** Step 0 is what comes before the steps: the scenario's own system, the simulated customer's conversation. */
const whereOf = (step: number) => (step === 0 ? 'before the steps' : `step ${step}`);
