import { XMLParser } from 'fast-xml-parser';
import robotsParserModule from 'robots-parser';
import { retryAfterMsOf } from '../../lib/retry-after.js';
import { firstHeading, pageMainText } from '../sections.js';
import type { SourceArticle } from '../types.js';
import { KnowledgeSourceError, type KnowledgeSource } from './source.js';

// robots-parser is CommonJS: its module.exports is the function its types call `default`.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** How the product introduces itself to a help center's robots.txt. */
export const crawlerUserAgent = 'FreshchatAiAgent';
const maxSitemapsFollowed = 20;

/**
 * The pages a public help center lists in its sitemap.xml (a sitemap index is followed one
 * level), as its robots.txt allows them to crawlerUserAgent. The main text of each page is
 * extracted with html-to-text (its `main` or `article` element); the title is its first heading.
 */
export function sitemapSource(name: string, sitemapUrl: string, language: string, timeoutMs = 20_000): KnowledgeSource {
  const xml = new XMLParser({ ignoreAttributes: true, isArray: (tag) => tag === 'url' || tag === 'sitemap' });

  async function fetchText(url: string, signal: AbortSignal, optional = false): Promise<string | undefined> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { 'user-agent': crawlerUserAgent }, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (error) {
      signal.throwIfAborted();
      throw new KnowledgeSourceError(`${new URL(url).host} is unreachable: ${(error as Error).message}`, true);
    }
    if (optional && res.status === 404) return undefined;
    if (!res.ok) throw new KnowledgeSourceError(`${url} answered ${res.status}`, res.status === 429 || res.status >= 500, retryAfterMsOf(Object.fromEntries(res.headers)));
    return res.text();
  }

  async function pageUrls(signal: AbortSignal): Promise<Array<{ loc: string; lastmod?: string }>> {
    const pages: Array<{ loc: string; lastmod?: string }> = [];
    if (!URL.canParse(sitemapUrl)) throw new KnowledgeSourceError(`the sitemap ${sitemapUrl} is a path: FRESHDESK_API_URL must name the Freshdesk account whose site it is on`, false);
    const queue = [sitemapUrl];
    for (let followed = 0; queue.length > 0 && followed < maxSitemapsFollowed; followed++) {
      const doc = xml.parse((await fetchText(queue.shift()!, signal))!) as { urlset?: { url?: Array<{ loc?: unknown; lastmod?: unknown }> }; sitemapindex?: { sitemap?: Array<{ loc?: unknown }> } };
      for (const entry of doc.urlset?.url ?? []) if (typeof entry.loc === 'string') pages.push({ loc: entry.loc.trim(), lastmod: typeof entry.lastmod === 'string' ? entry.lastmod : undefined });
      for (const entry of doc.sitemapindex?.sitemap ?? []) if (typeof entry.loc === 'string') queue.push(entry.loc.trim());
    }
    return pages;
  }

  return {
    name,
    type: 'sitemap',
    async *articles(signal): AsyncIterable<SourceArticle> {
      const robotsUrl = new URL('/robots.txt', sitemapUrl).toString();
      const robots = robotsParser(robotsUrl, (await fetchText(robotsUrl, signal, true)) ?? '');
      for (const page of await pageUrls(signal)) {
        if (robots.isDisallowed(page.loc, crawlerUserAgent)) continue;
        const html = await fetchText(page.loc, signal, true);
        if (html === undefined) continue; // listed but gone: not an article any more
        const body = pageMainText(html);
        if (!body) continue;
        yield { externalId: page.loc, title: firstHeading(body) ?? new URL(page.loc).pathname, url: page.loc, language, updatedAt: page.lastmod, body };
      }
    },
  };
}
