import { retryAfterMsOf } from '../../lib/retry-after.js';
import { htmlToText } from '../sections.js';
import type { SourceArticle } from '../types.js';
import { KnowledgeSourceError, type KnowledgeSource } from './source.js';

/**
 * Freshdesk solution articles (../shared/freshdesk-api.md): categories → folders (→
 * subfolders) → articles, paged by the Link header. Published articles only (status 2), and
 * never from folders customers cannot see (visibility 3 agents only, 4 selected companies).
 * A 429 is waited out as its Retry-After says, a few times, before the source fails.
 */
export interface FreshdeskSourceOptions {
  name: string;
  /** The account URL, https://acme.freshdesk.com (FRESHDESK_API_URL); /api/v2 is added. */
  accountUrl: string;
  /** FRESHDESK_API_KEY: basic auth, the key as user name and X as password. */
  apiKey: string;
  categoryIds?: string[];
  folderIds?: string[];
  /** The primary language of the help center. */
  language: string;
  /** Translations also synced, read from `…/articles/{language}`. */
  translations?: string[];
  /** Requests per page: Freshdesk allows up to 100. */
  perPage?: number;
  timeoutMs?: number;
}

interface FreshdeskFolder {
  id: number | string;
  visibility?: number;
}
interface FreshdeskArticle {
  id: number | string;
  title: string;
  description?: string;
  description_text?: string;
  status: number;
  updated_at?: string;
}

/** Folder visibilities whose articles customers may be answered from: all users, logged-in users. */
const customerVisible = new Set([1, 2]);
const maxRateLimitWaits = 5;

export function freshdeskSource(options: FreshdeskSourceOptions): KnowledgeSource {
  const base = `${options.accountUrl.replace(/\/+$/, '')}/api/v2`;
  const portal = options.accountUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${options.apiKey}:X`).toString('base64')}`;
  const perPage = options.perPage ?? 100;

  async function get<T>(url: string, signal: AbortSignal): Promise<{ body: T; next?: string }> {
    if (!options.accountUrl || !options.apiKey) throw new KnowledgeSourceError('FRESHDESK_API_URL and FRESHDESK_API_KEY must be set for a freshdesk knowledge source', false);
    for (let waits = 0; ; waits++) {
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization, accept: 'application/json' }, signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 20_000)]) });
      } catch (error) {
        signal.throwIfAborted();
        throw new KnowledgeSourceError(`Freshdesk at ${new URL(base).host} is unreachable: ${(error as Error).message}`, true);
      }
      if (res.status === 429 && waits < maxRateLimitWaits) {
        await new Promise((resolve) => setTimeout(resolve, retryAfterMsOf(Object.fromEntries(res.headers)) ?? 5_000));
        continue;
      }
      if (!res.ok) {
        const retryable = res.status === 429 || res.status >= 500;
        const hint = res.status === 401 ? ' (check FRESHDESK_API_KEY)' : res.status === 403 ? ' (the key lacks access to the knowledge base)' : '';
        throw new KnowledgeSourceError(`Freshdesk answered ${res.status} for ${new URL(url).pathname}${hint}`, retryable, retryAfterMsOf(Object.fromEntries(res.headers)), res.status);
      }
      return { body: (await res.json()) as T, next: nextLink(res.headers.get('link')) };
    }
  }

  async function* paged<T>(path: string, signal: AbortSignal): AsyncIterable<T> {
    let url: string | undefined = `${base}${path}?per_page=${perPage}&page=1`;
    while (url) {
      const page: { body: T[]; next?: string } = await get<T[]>(url, signal);
      yield* page.body;
      url = page.next;
    }
  }

  async function folders(signal: AbortSignal): Promise<FreshdeskFolder[]> {
    const found: FreshdeskFolder[] = [];
    const visit = async (folder: FreshdeskFolder): Promise<void> => {
      found.push(folder);
      for await (const sub of subfoldersOf(folder, signal)) await visit(sub);
    };
    if (options.folderIds?.length) {
      for (const id of options.folderIds) await visit((await get<FreshdeskFolder>(`${base}/solutions/folders/${id}`, signal)).body);
      return found;
    }
    const categories = options.categoryIds?.length ? options.categoryIds.map((id) => ({ id })) : await collect(paged<{ id: number | string }>('/solutions/categories', signal));
    for (const category of categories) {
      for await (const folder of paged<FreshdeskFolder>(`/solutions/categories/${category.id}/folders`, signal)) await visit(folder);
    }
    return found;
  }

  /** Accounts without nested folders answer 404 for subfolders: that is "none". */
  async function* subfoldersOf(folder: FreshdeskFolder, signal: AbortSignal): AsyncIterable<FreshdeskFolder> {
    try {
      yield* paged<FreshdeskFolder>(`/solutions/folders/${folder.id}/subfolders`, signal);
    } catch (error) {
      if (error instanceof KnowledgeSourceError && error.status === 404) return;
      throw error;
    }
  }

  return {
    name: options.name,
    type: 'freshdesk',
    async *articles(signal): AsyncIterable<SourceArticle> {
      for (const folder of await folders(signal)) {
        if (!customerVisible.has(Number(folder.visibility ?? 1))) continue;
        for (const language of [undefined, ...(options.translations ?? [])]) {
          const listing = `/solutions/folders/${folder.id}/articles${language ? `/${language}` : ''}`;
          for await (const article of paged<FreshdeskArticle>(listing, signal)) {
            if (article.status !== 2) continue;
            yield {
              // A translation shares its article's id in Freshdesk: the language keeps them apart.
              externalId: language ? `${article.id}/${language}` : String(article.id),
              title: article.title,
              url: `${portal}/support/solutions/articles/${article.id}`,
              language: language ?? options.language,
              updatedAt: article.updated_at,
              body: article.description ? htmlToText(article.description) : (article.description_text ?? ''),
            };
          }
        }
      }
    },
  };
}

/** `<https://…?page=2>; rel="next"` → the URL; none when this is the last page. */
function nextLink(header: string | null): string | undefined {
  for (const part of (header ?? '').split(',')) {
    const [target, ...params] = part.split(';').map((p) => p.trim());
    if (target?.startsWith('<') && target.endsWith('>') && params.some((p) => p.replace(/\s/g, '') === 'rel="next"')) return target.slice(1, -1);
  }
  return undefined;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
