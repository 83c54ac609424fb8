import { got, HTTPError, RequestError, type Got } from 'got';
import { retryAfterMsOf } from '../lib/retry-after.js';
import { failureTypes, type DomainFailure, type FailureType } from '../workflow-safe/failures.js';

/**
 * A typed client for the parts of the Freshchat REST API v2 the product uses
 * (shared/freshchat-api.md). It never retries by itself: Temporal's activity retries do,
 * so every failure is a FreshchatApiError that says whether a retry can help.
 */
export interface FreshchatMessagePart {
  text?: { content?: string };
  image?: { url?: string };
  file?: { name?: string };
  email?: { content?: string; subject?: string };
  [kind: string]: unknown;
}

export interface FreshchatMessage {
  id: string;
  conversation_id?: string;
  actor_type: string;
  actor_id?: string;
  message_type?: string;
  message_parts?: FreshchatMessagePart[];
  created_time: string;
  /** Freshchat's session of the conversation: a resolve and reopen begins a new one. */
  interaction_id?: string;
}

export interface FreshchatConversation {
  conversation_id: string;
  status: string;
  assigned_agent_id?: string | null;
  assigned_group_id?: string | null;
  user_id?: string;
  url?: string;
}

export interface FreshchatUser {
  id: string;
  email?: string | null;
}

export interface FreshchatAgent {
  id: string;
  email: string;
  is_deactivated?: boolean;
}

export type ConversationUpdate =
  | { status: 'assigned'; assigned_agent_id: string }
  | { status: 'new'; assigned_agent_id: '' }
  | { status: 'new'; assigned_group_id: string }
  /** Reopens a resolved conversation; the assignee stays. */
  | { status: 'new' }
  | { status: 'resolved' };

export interface FreshchatApiErrorOptions {
  /** HTTP status, when Freshchat answered; undefined for network failures. */
  status?: number;
  /** Freshchat's own status text (INVALID_VALUE, …), `HTTP_<status>`, or a network error code. */
  code: string;
  retryAfterMs?: number;
}

/** A failed Freshchat call. Temporal-free: activities turn it into an ApplicationFailure (workflow-safe/failures.ts). */
export class FreshchatApiError extends Error implements DomainFailure {
  readonly status: number | undefined;
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: FreshchatApiErrorOptions) {
    super(message);
    this.name = 'FreshchatApiError';
    this.status = options.status;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** 429, 5xx and network failures are transient; every other 4xx needs a human. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }

  get failureType(): FailureType {
    return this.retryable ? failureTypes.freshchatTransient : failureTypes.freshchatPermanent;
  }
}

export interface FreshchatClientOptions {
  apiUrl: string;
  apiToken: string;
  timeoutMs?: number;
}

export class FreshchatClient {
  private readonly http: Got;

  constructor(options: FreshchatClientOptions) {
    this.http = got.extend({
      prefixUrl: options.apiUrl.replace(/\/+$/, ''),
      headers: { authorization: `Bearer ${options.apiToken}`, accept: 'application/json' },
      retry: { limit: 0 },
      timeout: { request: options.timeoutMs ?? 10_000 },
      responseType: 'json',
    });
  }

  getAccountConfiguration(): Promise<Record<string, unknown>> {
    return this.call('GET', 'accounts/configuration');
  }

  async getConversation(conversationId: string): Promise<FreshchatConversation> {
    return this.call('GET', `conversations/${pathSegment(conversationId)}`);
  }

  async updateConversation(conversationId: string, update: ConversationUpdate): Promise<FreshchatConversation> {
    return this.call('PUT', `conversations/${pathSegment(conversationId)}`, update);
  }

  async postMessage(
    conversationId: string,
    message: { text: string; messageType: 'normal' | 'private'; agentId: string },
  ): Promise<FreshchatMessage> {
    return this.call('POST', `conversations/${pathSegment(conversationId)}/messages`, {
      message_parts: [{ text: { content: message.text } }],
      message_type: message.messageType,
      actor_type: 'agent',
      actor_id: message.agentId,
    });
  }

  /**
   * Messages created at or after `since`, newest first, following Freshchat's `link` pages
   * until `limit` messages are read.
   */
  async listRecentMessages(conversationId: string, since: string, limit: number, signal?: AbortSignal): Promise<FreshchatMessage[]> {
    const messages: FreshchatMessage[] = [];
    let path: string | undefined =
      `conversations/${pathSegment(conversationId)}/messages?items_per_page=50&from_time=${encodeURIComponent(since)}`;
    while (path && messages.length < limit) {
      const page: { messages?: FreshchatMessage[]; link?: { href?: string } } = await this.call('GET', path, undefined, signal);
      messages.push(...(page.messages ?? []));
      path = page.link?.href ? this.relativePath(page.link.href) : undefined;
    }
    // Freshchat's order is documented as newest first but unverified: sort rather than trust it.
    return messages
      .filter((m) => m.created_time >= since)
      .sort((a, b) => (a.created_time < b.created_time ? 1 : a.created_time > b.created_time ? -1 : 0))
      .slice(0, limit);
  }

  async getUser(userId: string): Promise<FreshchatUser> {
    return this.call('GET', `users/${pathSegment(userId)}`);
  }

  async getAgent(agentId: string): Promise<FreshchatAgent> {
    return this.call('GET', `agents/${pathSegment(agentId)}`);
  }

  /** No email filter exists: page through every agent (shared/freshchat-api.md). */
  async findAgentByEmail(email: string): Promise<FreshchatAgent | undefined> {
    const wanted = email.trim().toLowerCase();
    let path: string | undefined = 'agents?items_per_page=50&page=1';
    for (let pages = 0; path && pages < 200; pages++) {
      const page: { agents?: FreshchatAgent[]; links?: { next_page?: { href?: string } } } = await this.call('GET', path);
      const found = page.agents?.find((a) => a.email?.trim().toLowerCase() === wanted);
      if (found) return found;
      path = page.links?.next_page?.href ? this.relativePath(page.links.next_page.href) : undefined;
    }
    return undefined;
  }

  /** Freshchat links are absolute or root-relative; got's prefixUrl wants them relative to /v2. */
  private relativePath(href: string): string {
    const url = new URL(href, 'http://freshchat.invalid');
    const path = url.pathname.replace(/^.*?\/v2\//, '').replace(/^\/+/, '');
    return `${path}${url.search}`;
  }

  private async call<T>(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    try {
      const response = await this.http<T>(path, { method, json: body, signal });
      return response.body;
    } catch (error) {
      throw toFreshchatApiError(error, method, path);
    }
  }
}

function toFreshchatApiError(error: unknown, method: string, path: string): FreshchatApiError {
  const where = `${method} ${path.split('?')[0]}`;
  if (error instanceof HTTPError) {
    const status = error.response.statusCode;
    const body = error.response.body as { status?: string; code?: unknown } | undefined;
    const code = typeof body?.status === 'string' ? body.status : `HTTP_${status}`;
    return new FreshchatApiError(`Freshchat ${where} answered ${status} ${code}`, { status, code, retryAfterMs: retryAfterMsOf(error.response.headers) });
  }
  if (error instanceof RequestError) {
    return new FreshchatApiError(`Freshchat ${where} failed: ${error.code}`, { code: error.code });
  }
  return new FreshchatApiError(`Freshchat ${where} failed: ${(error as Error).message}`, { code: 'UNKNOWN' });
}

/**
 * An id as one URL path segment. Percent-encoding keeps `/`, `?` and `#` inside the segment,
 * but `.` and `..` stay dot segments that URL parsing resolves (`conversations/..` is the
 * API root), so they are refused before any request carries the token.
 */
export function pathSegment(id: string): string {
  if (id === '' || id === '.' || id === '..' || id.length > 256) {
    throw new FreshchatApiError('refused to call Freshchat: an id is empty, a dot segment or too long', { status: 400, code: 'INVALID_ID' });
  }
  return encodeURIComponent(id);
}
