import { z } from 'zod';

/** Freshchat caps `items_per_page` at 50 whatever is asked. */
export const MAX_ITEMS_PER_PAGE = 50;

export function pagingQuerySchema(defaultItemsPerPage: number) {
  return z.object({
    page: z.coerce.number().int().min(1).default(1),
    items_per_page: z.coerce
      .number()
      .int()
      .min(1)
      .default(defaultItemsPerPage)
      .transform((asked) => Math.min(asked, MAX_ITEMS_PER_PAGE)),
  });
}

export interface Page<T> {
  items: T[];
  page: number;
  itemsPerPage: number;
  totalItems: number;
  totalPages: number;
  hasNext: boolean;
}

export function pageOf<T>(all: T[], page: number, itemsPerPage: number): Page<T> {
  const start = (page - 1) * itemsPerPage;
  const totalPages = Math.max(1, Math.ceil(all.length / itemsPerPage));
  return {
    items: all.slice(start, start + itemsPerPage),
    page,
    itemsPerPage,
    totalItems: all.length,
    totalPages,
    hasNext: start + itemsPerPage < all.length,
  };
}

/**
 * Links are host-relative paths that include `/v2` (e.g. `/v2/agents?page=2&items_per_page=50`):
 * resolve them against the API's origin, e.g. `new URL(href, apiUrl)`.
 */
export function pageHref(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  return `${path}?${params.toString()}`;
}

/** The `pagination` and `links` blocks of Freshchat's agent, group and channel lists. */
export function listPagingBlocks<T>(page: Page<T>, path: string) {
  const link = (pageNumber: number) => ({
    href: pageHref(path, { page: pageNumber, items_per_page: page.itemsPerPage }),
    rel: 'next_page',
    type: 'GET',
  });
  return {
    pagination: { total_items: page.totalItems, total_pages: page.totalPages, current_page: page.page },
    links: {
      ...(page.hasNext ? { next_page: link(page.page + 1) } : {}),
      ...(page.page > 1 ? { previous_page: { ...link(page.page - 1), rel: 'previous_page' } } : {}),
    },
  };
}
