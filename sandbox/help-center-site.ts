/**
 * The help center as a public website, the way a Freshdesk customer portal serves it: one page
 * per published, customer-visible article at /support/solutions/articles/<id>, an index at
 * /support/solutions, /sitemap.xml and /robots.txt. Pages wrap the article in header, nav and
 * footer boilerplate, so that a crawler's main-text extraction has something to strip.
 *
 * One trap for crawlers: robots.txt disallows the drafts preview, and the sitemap still lists
 * one page there (a draft). A crawler that respects robots.txt never fetches it.
 */
import express, { type Router } from 'express';
import { faultMiddleware, type FaultRegistry } from './faults.js';
import { compareIds, type HelpCenterArticle } from './help-center.js';
import type { HelpCenterStore } from './help-center-store.js';
import { escapeHtml } from './markdown.js';

export interface HelpCenterSiteContext {
  helpCenter: HelpCenterStore;
  faults: FaultRegistry;
  baseUrl: () => string;
}

export const ARTICLE_PAGE_PATH = '/support/solutions/articles';
/** Disallowed in robots.txt; the sitemap lists one page under it anyway. */
export const DRAFTS_PREVIEW_PATH = '/support/solutions/articles/drafts-preview';

export const articlePagePath = (id: string) => `${ARTICLE_PAGE_PATH}/${id}`;
export const draftPreviewPath = (id: string) => `${DRAFTS_PREVIEW_PATH}/${id}`;

/** The draft whose preview the sitemap lists: the first draft by id, if any is left. */
export function listedDraftPreview(helpCenter: HelpCenterStore): HelpCenterArticle | undefined {
  return helpCenter.listArticles().find((article) => article.status === 'draft');
}

function sitemapXml(helpCenter: HelpCenterStore, baseUrl: string): string {
  const entry = (path: string, lastmod: string) =>
    `  <url><loc>${escapeHtml(new URL(path, baseUrl).href)}</loc><lastmod>${lastmod}</lastmod></url>`;
  const pages = helpCenter.customerVisibleArticles().map((article) => entry(articlePagePath(article.id), article.updatedAt));
  const draft = listedDraftPreview(helpCenter);
  if (draft) pages.push(entry(draftPreviewPath(draft.id), draft.updatedAt));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ...pages,
    '</urlset>',
    '',
  ].join('\n');
}

function robotsTxt(baseUrl: string): string {
  return [
    'User-agent: *',
    `Disallow: ${DRAFTS_PREVIEW_PATH}/`,
    'Disallow: /sandbox/',
    'Disallow: /api/',
    'Disallow: /v2/',
    '',
    `Sitemap: ${new URL('/sitemap.xml', baseUrl).href}`,
    '',
  ].join('\n');
}

/** Header, navigation and footer around `main`: the same boilerplate on every page. */
function portalPage(options: { title: string; language: string; main: string }): string {
  return `<!doctype html>
<html lang="${escapeHtml(options.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} : Pinecone Goods Help Center</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2a24; }
header, footer { background: #1f4d3a; color: #fff; padding: 1rem 2rem; }
header a, footer a { color: #fff; }
nav ul { list-style: none; display: flex; gap: 1.5rem; padding: 0; margin: .5rem 0 0; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }
.breadcrumbs, .article-meta { color: #5a6b63; font-size: .9rem; }
</style>
</head>
<body>
<header>
  <a class="logo" href="/support/solutions">Pinecone Goods · Help Center</a>
  <nav aria-label="Main">
    <ul>
      <li><a href="/support/solutions">All topics</a></li>
      <li><a href="/support/solutions/articles/5000100005">Track my order</a></li>
      <li><a href="/support/solutions/articles/5000100022">Start a return</a></li>
      <li><a href="/support/solutions/articles/5000100071">Contact us</a></li>
    </ul>
  </nav>
  <form class="search" action="/support/search" role="search"><input name="term" placeholder="Search the help center"></form>
</header>
<main>
${options.main}
</main>
<footer>
  <p>Pinecone Goods GmbH · Zapfenweg 7 · 10999 Berlin · Home and outdoor gear since 2019</p>
  <p><a href="/support/solutions">Help Center</a> · Imprint · Privacy policy · Terms and conditions · Cookie settings</p>
  <p>Was this article helpful? Rate it and help us improve our answers.</p>
</footer>
</body>
</html>
`;
}

function articlePage(helpCenter: HelpCenterStore, article: HelpCenterArticle): string {
  const folder = helpCenter.findFolder(article.folderId);
  const category = helpCenter.findCategory(article.categoryId);
  const main = `<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/support/solutions">Home</a> › ${escapeHtml(category?.name ?? '')} › ${escapeHtml(folder?.name ?? '')}</nav>
<article id="article-${article.id}">
<h1>${escapeHtml(article.title)}</h1>
<p class="article-meta">Modified on: <time datetime="${article.updatedAt}">${article.updatedAt.slice(0, 10)}</time></p>
${article.html}
</article>`;
  return portalPage({ title: article.title, language: article.language, main });
}

function indexPage(helpCenter: HelpCenterStore): string {
  const visible = helpCenter.customerVisibleArticles();
  const sections = helpCenter.folders
    .map((folder) => {
      const articles = visible.filter((article) => article.folderId === folder.id).sort((a, b) => compareIds(a.id, b.id));
      if (!articles.length) return '';
      const links = articles
        .map((article) => `<li><a href="${articlePagePath(article.id)}">${escapeHtml(article.title)}</a></li>`)
        .join('\n');
      return `<section><h2>${escapeHtml(folder.name)}</h2>\n<ul>\n${links}\n</ul></section>`;
    })
    .filter(Boolean)
    .join('\n');
  return portalPage({ title: 'Help Center', language: 'en', main: `<h1>How can we help?</h1>\n${sections}` });
}

function notFoundPage(): string {
  return portalPage({
    title: 'Page not found',
    language: 'en',
    main: '<h1>Page not found</h1>\n<p>The page you were looking for doesn\'t exist or is no longer available.</p>',
  });
}

/** `<id>` or Freshdesk's `<id>-<title-slug>`. */
const articleIdOf = (param: string): string | undefined => /^(\d+)(?:-[\w-]*)?$/.exec(param)?.[1];

export function createHelpCenterSite(context: HelpCenterSiteContext): Router {
  const { helpCenter } = context;
  const router = express.Router();
  // Only on the site's paths: this router sits at the root, in front of the sandbox's own page.
  router.use(['/robots.txt', '/sitemap.xml', '/support'], faultMiddleware(context.faults));

  router.get('/robots.txt', (_req, res) => {
    res.type('text/plain').send(robotsTxt(context.baseUrl()));
  });

  router.get('/sitemap.xml', (_req, res) => {
    res.type('application/xml').send(sitemapXml(helpCenter, context.baseUrl()));
  });

  router.get(['/support', '/support/solutions'], (_req, res) => {
    res.type('html').send(indexPage(helpCenter));
  });

  router.get('/support/solutions/articles/drafts-preview/:id', (req, res) => {
    const article = helpCenter.findArticle(req.params.id);
    if (!article || article.status !== 'draft') return res.status(404).type('html').send(notFoundPage());
    // No robots meta tag on purpose: robots.txt alone is what should keep a crawler out.
    res.type('html').send(articlePage(helpCenter, article));
  });

  router.get('/support/solutions/articles/:idAndSlug', (req, res) => {
    const id = articleIdOf(req.params.idAndSlug);
    const article = id ? helpCenter.findArticle(id) : undefined;
    // Drafts, agent-only articles and deleted ones are all simply not there for the public.
    if (!article || !helpCenter.isCustomerVisible(article)) return res.status(404).type('html').send(notFoundPage());
    res.type('html').send(articlePage(helpCenter, article));
  });

  return router;
}
