import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { firstHeading, htmlToText } from '../sections.js';
import type { SourceArticle } from '../types.js';
import type { KnowledgeSource } from './source.js';

const textExtensions = new Set(['.md', '.markdown', '.html', '.htm', '.txt']);

/**
 * A folder of Markdown, HTML and text files (subfolders too): one article per file, titled by
 * its front matter's `title`, else its first heading, else its file name. Markdown front
 * matter may also give `language` and `topic`.
 */
export function filesSource(name: string, folder: string, language: string): KnowledgeSource {
  return {
    name,
    type: 'files',
    async *articles(signal): AsyncIterable<SourceArticle> {
      for (const path of filesUnder(folder)) {
        signal.throwIfAborted();
        const raw = readFileSync(path, 'utf8');
        const extension = extname(path).toLowerCase();
        const { meta, content } = extension === '.md' || extension === '.markdown' ? frontMatterOf(raw) : { meta: {}, content: raw };
        const body = extension === '.html' || extension === '.htm' ? htmlToText(content) : content;
        const externalId = relative(folder, path).split(sep).join('/');
        yield {
          externalId,
          title: stringOf(meta.title) ?? firstHeading(body) ?? externalId.replace(/\.[^.]+$/, ''),
          language: stringOf(meta.language) ?? language,
          topic: stringOf(meta.topic),
          updatedAt: statSync(path).mtime.toISOString(),
          body,
        };
      }
    },
  };
}

function filesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (textExtensions.has(extname(entry.name).toLowerCase())) found.push(path);
  }
  return found;
}

function frontMatterOf(raw: string): { meta: Record<string, unknown>; content: string } {
  if (!raw.startsWith('---\n') && !raw.startsWith('---\r\n')) return { meta: {}, content: raw };
  const end = raw.indexOf('\n---', 4);
  if (end < 0) return { meta: {}, content: raw };
  const parsed: unknown = parseYaml(raw.slice(4, end));
  const meta = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  return { meta, content: raw.slice(raw.indexOf('\n', end + 1) + 1) };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : typeof value === 'number' ? String(value) : undefined;
}
