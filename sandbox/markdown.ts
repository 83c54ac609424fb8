/**
 * The little Markdown the sample help center is written in, rendered to the HTML and plain
 * text Freshdesk stores for an article (`description`, `description_text`). No Markdown
 * package is installed, and the articles need only this subset:
 * `##`/`###` headings, paragraphs, `-`/`*` and `1.` lists, **bold**, *italic*, `code`, [links](url).
 * Anything else is kept as paragraph text, escaped.
 */

type Block =
  | { kind: 'heading'; level: 2 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] };

const headingLine = /^(#{1,4})\s+(.*?)\s*#*\s*$/;
const bulletLine = /^\s*[-*]\s+(.*)$/;
const numberedLine = /^\s*\d+[.)]\s+(.*)$/;

function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | undefined;

  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: paragraph.join(' ') });
    if (list) blocks.push({ kind: 'list', ...list });
    paragraph = [];
    list = undefined;
  };

  for (const rawLine of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.trimEnd();
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = headingLine.exec(line);
    if (heading) {
      flush();
      // A `#` title inside the body would compete with the article's own title: read it as h2.
      const level = Math.max(2, heading[1]!.length) as 2 | 3 | 4;
      blocks.push({ kind: 'heading', level, text: heading[2]! });
      continue;
    }
    const bullet = bulletLine.exec(line);
    const numbered = bullet ? undefined : numberedLine.exec(line);
    const item = bullet ?? numbered;
    if (item) {
      const ordered = !!numbered;
      if (paragraph.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push(item[1]!);
      continue;
    }
    if (list && /^\s{2,}\S/.test(rawLine)) {
      // An indented line continues the list item above it.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    if (list) flush();
    paragraph.push(line.trim());
  }
  flush();
  return blocks;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Inline markup to HTML; the text is escaped first, so nothing in an article becomes markup by accident. */
function inlineHtml(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_match, label: string, href: string) =>
      /^(https?:|mailto:|\/)/.test(href) ? `<a href="${href}">${label}</a>` : label,
    );
}

function inlineText(text: string): string {
  return text
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1$2')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '$1');
}

export function markdownToHtml(markdown: string): string {
  return blocksOf(markdown)
    .map((block) => {
      if (block.kind === 'heading') return `<h${block.level}>${inlineHtml(block.text)}</h${block.level}>`;
      if (block.kind === 'paragraph') return `<p>${inlineHtml(block.text)}</p>`;
      const tag = block.ordered ? 'ol' : 'ul';
      return `<${tag}>${block.items.map((item) => `<li>${inlineHtml(item)}</li>`).join('')}</${tag}>`;
    })
    .join('\n');
}

/** Plain text as Freshdesk's `description_text`: blocks separated by a blank line, list items one a line. */
export function markdownToText(markdown: string): string {
  return blocksOf(markdown)
    .map((block) => (block.kind === 'list' ? block.items.map(inlineText).join('\n') : inlineText(block.text)))
    .join('\n\n');
}
