/**
 * Knowledge as the product keeps it: articles from the configured sources (a Q&A file, a
 * folder of documents, Freshdesk solution articles, a help center's pages), each split into
 * chunks at its headings. Chunks are what retrieval ranks, what a prompt carries and what a
 * reply cites. None of it ever enters workflow history: the workflow sees ids, titles and URLs.
 */

/** An article as a source yields it, before it is split. */
export interface SourceArticle {
  /** The source's own id for it: an entry id, a file path, a Freshdesk id, a page URL. */
  externalId: string;
  title: string;
  url?: string;
  /** ISO 639-1. */
  language: string;
  updatedAt?: string;
  /** Plain text with Markdown headings (`## Section`) where the article has sections. */
  body: string;
  /** A topic name from the settings file (Q&A entries may carry one). */
  topic?: string;
}

export interface KnowledgeChunk {
  /** `<article id>#<ordinal>`. */
  id: string;
  /** `<source name>:<external id>`: what the decision cites. */
  articleId: string;
  source: string;
  ordinal: number;
  /** The article's title, and the section's heading when it has one: "Returns — Refund timing". */
  title: string;
  /** The article's own title: what a citation shows. */
  articleTitle: string;
  url?: string;
  language: string;
  topic?: string;
  text: string;
}

/** A chunk as retrieval found it for a customer's words. */
export interface RetrievedChunk extends KnowledgeChunk {
  score: number;
}

/** What a reply or a note shows of a cited article. */
export interface Citation {
  articleId: string;
  title: string;
  url?: string;
}
