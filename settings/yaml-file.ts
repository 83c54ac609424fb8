import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatIssuePath, settingsIssueMessage } from './schema.js';

export type YamlFileResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Reads a YAML file and validates it with a zod schema. Every problem comes back as one line
 * that names where it is ("handoff.minConfidence: must be <= 1", or a YAML syntax error with
 * its line), so that one run shows everything that is wrong with the file, not the first thing.
 * `prepare` changes the parsed data before it is validated (a scenario's overrides).
 */
export function readYamlFile<S extends z.ZodType>(path: string, schema: S, prepare: (data: unknown) => unknown = (data) => data): YamlFileResult<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problems: [code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`] };
  }

  const document = parseDocument(text);
  if (document.errors.length > 0) {
    return { ok: false, problems: document.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`) };
  }
  const data: unknown = document.toJS();
  if (data === null || data === undefined) return { ok: false, problems: ['the file is empty'] };

  const result = schema.safeParse(prepare(data), { error: settingsIssueMessage });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const where = formatIssuePath(issue.path);
      return where ? `${where}: ${issue.message}` : issue.message;
    }),
  };
}
