/**
 * Articles become chunks at their headings: a customer's question is usually answered by one
 * section, and a section is what a prompt can afford to carry. HTML becomes Markdown-like
 * text with html-to-text (headings kept as `##` lines), never with regular expressions.
 */
import { compile, type FormatCallback, type HtmlToTextOptions } from 'html-to-text';
import type { KnowledgeChunk, SourceArticle } from './types.js';

/** A section longer than this is split at paragraph breaks. */
export const maxChunkChars = 2000;

const headingLine = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/** The article's chunks: one per section (text before the first heading is the first), long ones split. */
export function chunkArticle(article: SourceArticle, source: string): KnowledgeChunk[] {
  const articleId = `${source}:${article.externalId}`;
  const sections: Array<{ heading?: string; lines: string[] }> = [{ lines: [] }];
  for (const line of article.body.split(/\r?\n/)) {
    const heading = headingLine.exec(line);
    if (heading) sections.push({ heading: heading[2]!, lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  const chunks: KnowledgeChunk[] = [];
  for (const section of sections) {
    const text = section.lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
    if (!text) continue;
    // A heading that repeats the title says nothing new.
    const title = section.heading && section.heading.trim().toLowerCase() !== article.title.trim().toLowerCase() ? `${article.title} — ${section.heading.trim()}` : article.title;
    for (const part of splitLong(text)) {
      chunks.push({ id: `${articleId}#${chunks.length}`, articleId, source, ordinal: chunks.length, title, articleTitle: article.title, url: article.url, language: article.language, topic: article.topic, text: part });
    }
  }
  return chunks;
}

function splitLong(text: string): string[] {
  if (text.length <= maxChunkChars) return [text];
  const parts: string[] = [];
  let current = '';
  for (const paragraph of text.split(/\n\n/)) {
    if (current && current.length + paragraph.length + 2 > maxChunkChars) {
      parts.push(current);
      current = '';
    }
    // A single paragraph over the limit is cut at the limit (rare: a wall of text).
    for (let start = 0; start < paragraph.length; start += maxChunkChars) {
      const piece = paragraph.slice(start, start + maxChunkChars);
      current = current ? `${current}\n\n${piece}` : piece;
      if (current.length >= maxChunkChars) {
        parts.push(current);
        current = '';
      }
    }
  }
  if (current) parts.push(current);
  return parts;
}

const markdownHeading: FormatCallback = (elem, walk, builder, formatOptions) => {
  const level = Number(elem.name?.slice(1)) || 2;
  builder.openBlock({ leadingLineBreaks: formatOptions.leadingLineBreaks ?? 2 });
  builder.addLiteral(`${'#'.repeat(level)} `);
  walk(elem.children ?? [], builder);
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks ?? 1 });
};

const headingSelectors = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, format: 'markdownHeading' }));

const baseOptions: HtmlToTextOptions = {
  wordwrap: false,
  formatters: { markdownHeading },
  selectors: [
    ...headingSelectors,
    // Links keep their text; the URL would only be noise in a chunk.
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
  ],
};

// Compiled once: `convert` compiles its options on every call, which was 90 % of the cost of
// converting an article (10,000 articles: 2.3 s with `convert`, 0.2 s compiled; BENCHMARKS.md).
const articleText = compile(baseOptions);
const mainSelectors = ['main', 'article', '[role=main]'];
const mainElementText = mainSelectors.map((selector) => compile({ ...baseOptions, baseElements: { selectors: [selector], returnDomByDefault: false } }));
const bodyText = compile({
  ...baseOptions,
  baseElements: { selectors: ['body'] },
  selectors: [...baseOptions.selectors!, ...['nav', 'header', 'footer', 'script', 'style'].map((selector) => ({ selector, format: 'skip' }))],
});

/** An article body in HTML (Freshdesk's `description`) as Markdown-like text. */
export function htmlToText(html: string): string {
  return articleText(html).trim();
}

/**
 * A web page's main text: the `main` or `article` element when the page has one (navigation,
 * header and footer are boilerplate), else the body.
 */
export function pageMainText(html: string): string {
  for (const convertMain of mainElementText) {
    const text = convertMain(html).trim();
    if (text) return text;
  }
  return bodyText(html).trim();
}

/** The first Markdown heading of a text, for pages and files without a title of their own. */
export function firstHeading(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const heading = headingLine.exec(line);
    if (heading) return heading[2]!.trim();
  }
  return undefined;
}
