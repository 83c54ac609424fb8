/**
 * Freshdesk's knowledge-base API (solution articles) under /api/v2, as a Freshdesk account
 * holding the sample help center would answer: Basic auth with the API key as user name and
 * `X` as password, Freshdesk's JSON shapes and error bodies, `page`/`per_page` paging with a
 * `Link: <…>; rel="next"` header. Faults come from the same registry as the Freshchat routes.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { faultMiddleware, type FaultRegistry } from './faults.js';
import type { HelpCenterArticle, HelpCenterCategory, HelpCenterFolder } from './help-center.js';
import type { HelpCenterStore } from './help-center-store.js';
import { pageOf } from './paging.js';

export interface FreshdeskApiContext {
  helpCenter: HelpCenterStore;
  faults: FaultRegistry;
  apiKey: string;
  /** Known only once the server listens, hence a function. */
  baseUrl: () => string;
  logger: Logger;
}

export const DEFAULT_FRESHDESK_API_KEY = 'sandbox-freshdesk-key';
export const FRESHDESK_DEFAULT_PER_PAGE = 30;
export const FRESHDESK_MAX_PER_PAGE = 100;
/** The account's primary language: folder listings without a language suffix show these articles. */
export const PRIMARY_LANGUAGE = 'en';
/** The agent every sample article is attributed to. */
const AUTHOR_AGENT_ID = 5000000001;
const PORTAL_ID = 5000000001;

interface FreshdeskErrorItem {
  field?: string;
  message: string;
  code: string;
}

/** Freshdesk's error body: `{"description": "...", "errors": [{field, message, code}]}`. */
export function freshdeskErrorBody(description: string, errors: FreshdeskErrorItem[] = []) {
  return { description, errors };
}

class FreshdeskError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly errors: FreshdeskErrorItem[] = [],
  ) {
    super(description);
  }
}

const notFoundError = (what: string) =>
  new FreshdeskError(404, 'Resource not found', [{ message: `${what} does not exist`, code: 'not_found' }]);

/** The body a fault answers with on these routes, so that an injected 429 looks like Freshdesk's. */
function faultErrorBody(status: number, message: string) {
  const code = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'service_unavailable' : 'invalid_value';
  return freshdeskErrorBody(message, [{ message, code }]);
}

const pagingQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(FRESHDESK_MAX_PER_PAGE).default(FRESHDESK_DEFAULT_PER_PAGE),
});

/** Freshdesk's ids are numbers in JSON; the sample's ids stay below 2^53, so nothing rounds. */
const idNumber = (id: string) => Number(id);

export function categoryJson(category: HelpCenterCategory) {
  return {
    id: idNumber(category.id),
    name: category.name,
    description: category.description,
    created_at: category.createdAt,
    updated_at: category.updatedAt,
    visible_in_portals: [PORTAL_ID],
  };
}

export function folderJson(folder: HelpCenterFolder) {
  return {
    id: idNumber(folder.id),
    name: folder.name,
    description: folder.description,
    visibility: folder.visibility,
    category_id: idNumber(folder.categoryId),
    ...(folder.parentFolderId ? { parent_folder_id: idNumber(folder.parentFolderId) } : {}),
    created_at: folder.createdAt,
    updated_at: folder.updatedAt,
  };
}

export function articleJson(article: HelpCenterArticle) {
  return {
    id: idNumber(article.id),
    type: 1,
    category_id: idNumber(article.categoryId),
    folder_id: idNumber(article.folderId),
    title: article.title,
    description: article.html,
    description_text: article.text,
    status: article.status === 'published' ? 2 : 1,
    agent_id: AUTHOR_AGENT_ID,
    tags: [] as string[],
    seo_data: { meta_title: article.title, meta_description: article.text.slice(0, 160) },
    hits: 0,
    thumbs_up: 0,
    thumbs_down: 0,
    created_at: article.createdAt,
    updated_at: article.updatedAt,
  };
}

/** `Authorization: Basic base64("<key>:X")`: the key is the user name, the password is `X`. */
function requireApiKey(apiKey: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization')?.trim() ?? '');
    const credentials = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    if (credentials !== `${apiKey}:X`) {
      res.status(401).json(
        freshdeskErrorBody('Authentication failed', [
          { message: 'You have to be logged in to perform this action.', code: 'invalid_credentials' },
        ]),
      );
      return;
    }
    next();
  };
}

/** Freshdesk's rate-limit headers on every authenticated answer; the sandbox has no real limit. */
const rateLimitHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-RateLimit-Total', '1000');
  res.setHeader('X-RateLimit-Remaining', '999');
  res.setHeader('X-RateLimit-Used-CurrentRequest', '1');
  next();
};

function parseQuery<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new FreshdeskError(
    400,
    'Validation failed',
    result.error.issues.map((issue) => ({
      field: issue.path.join('.'),
      message: issue.path[0] === 'per_page' ? `It should be a Number between 1 and ${FRESHDESK_MAX_PER_PAGE}` : 'It should be a positive Number',
      code: 'invalid_value',
    })),
  );
}

export function createFreshdeskApi(context: FreshdeskApiContext): Router {
  const { helpCenter } = context;
  const router = express.Router();

  const categoryOr404 = (id: string) => helpCenter.findCategory(id) ?? throwError(notFoundError(`Category ${id}`));
  const folderOr404 = (id: string) => helpCenter.findFolder(id) ?? throwError(notFoundError(`Folder ${id}`));
  const articleOr404 = (id: string) => helpCenter.findArticle(id) ?? throwError(notFoundError(`Article ${id}`));

  /** One page of a listing, with `Link: <absolute next-page URL>; rel="next"` while more pages exist. */
  const sendPage = <T>(res: Response, path: string, all: T[], query: unknown, toJson: (item: T) => unknown) => {
    const paging = parseQuery(pagingQuerySchema, query);
    const page = pageOf(all, paging.page, paging.per_page);
    if (page.hasNext) {
      const next = new URL(path, context.baseUrl());
      next.searchParams.set('page', String(page.page + 1));
      next.searchParams.set('per_page', String(page.itemsPerPage));
      res.setHeader('Link', `<${next.href}>; rel="next"`);
    }
    res.json(page.items.map(toJson));
  };

  router.use(requireApiKey(context.apiKey));
  router.use(faultMiddleware(context.faults, faultErrorBody));
  router.use(rateLimitHeaders);

  router.get('/solutions/categories', (_req, res) => {
    res.json(helpCenter.categories.map(categoryJson));
  });

  router.get('/solutions/categories/:id', (req, res) => {
    res.json(categoryJson(categoryOr404(req.params.id)));
  });

  // A category lists its top-level folders; subfolders are listed by their parent folder.
  router.get('/solutions/categories/:id/folders', (req, res) => {
    const category = categoryOr404(req.params.id);
    res.json(
      helpCenter.folders.filter((folder) => folder.categoryId === category.id && !folder.parentFolderId).map(folderJson),
    );
  });

  router.get('/solutions/folders/:id', (req, res) => {
    res.json(folderJson(folderOr404(req.params.id)));
  });

  router.get('/solutions/folders/:id/subfolders', (req, res) => {
    const folder = folderOr404(req.params.id);
    res.json(helpCenter.folders.filter((candidate) => candidate.parentFolderId === folder.id).map(folderJson));
  });

  // Drafts are listed too (status 1), and agent-only folders answer like any other: the key is an agent's.
  router.get('/solutions/folders/:id/articles', (req, res) => {
    const folder = folderOr404(req.params.id);
    const path = `/api/v2/solutions/folders/${folder.id}/articles`;
    sendPage(res, path, helpCenter.articlesInFolder(folder.id, PRIMARY_LANGUAGE), req.query, articleJson);
  });

  router.get('/solutions/folders/:id/articles/:language', (req, res) => {
    const folder = folderOr404(req.params.id);
    const { language } = req.params;
    const path = `/api/v2/solutions/folders/${folder.id}/articles/${encodeURIComponent(language)}`;
    sendPage(res, path, helpCenter.articlesInFolder(folder.id, language), req.query, articleJson);
  });

  router.get('/solutions/articles/:id', (req, res) => {
    res.json(articleJson(articleOr404(req.params.id)));
  });

  // In the sample, each translation is an article of its own: asked in its language it answers, otherwise 404.
  router.get('/solutions/articles/:id/:language', (req, res) => {
    const article = articleOr404(req.params.id);
    if (article.language !== req.params.language) {
      throw notFoundError(`Article ${article.id} in language ${req.params.language}`);
    }
    res.json(articleJson(article));
  });

  router.use((req, _res, next) => next(notFoundError(`${req.method} ${req.baseUrl}${req.path}`)));
  router.use(freshdeskErrorHandler(context.logger));
  return router;
}

function throwError(error: Error): never {
  throw error;
}

function freshdeskErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof FreshdeskError) {
      res.status(err.status).json(freshdeskErrorBody(err.description, err.errors));
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'sandbox Freshdesk request failed');
    res.status(500).json(freshdeskErrorBody('Unexpected error', [{ message: 'Internal error in the Freshdesk sandbox', code: 'internal_error' }]));
  };
}
