import type { SourceArticle } from '../types.js';

/** A configured knowledge source: it yields every article it has now; the sync compares. */
export interface KnowledgeSource {
  readonly name: string;
  readonly type: 'yaml' | 'files' | 'freshdesk' | 'sitemap';
  articles(signal: AbortSignal): AsyncIterable<SourceArticle>;
}

/** A source that cannot be read (unreachable, refused, malformed): the sync of that source fails, the others go on. */
export class KnowledgeSourceError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    /** The HTTP status the source answered, when it answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KnowledgeSourceError';
  }
}
