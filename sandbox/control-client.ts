/**
 * A typed client of the sandbox's control API (control-api.ts), over HTTP: what a customer and
 * a rep do in Freshchat, as the sandbox page does it. Every action sends the signed webhooks
 * Freshchat would. Used by `npm run simulate`.
 */
import type { ShopOrder, ShopRefund, ShopRequest } from './shop-store.js';

export type { ShopOrder, ShopRefund, ShopRequest };

export interface SandboxMessageView {
  id: string;
  actor_type: string;
  actor_id?: string;
  message_type?: string;
  message_parts: Array<{ text?: { content: string } }>;
  created_time: string;
}

export interface SandboxConversationView {
  conversation: { conversation_id: string; status: string; assigned_agent_id?: string; assigned_group_id?: string; user_id: string };
  messages: SandboxMessageView[];
}

export interface WebhookDeliveryView {
  id: string;
  action: string;
  conversation_id: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: number;
  last_status_code?: number;
  created_time: string;
}

export interface ApiRecordView {
  conversationReads: string[];
  messageReads: string[];
  postArrivals: Record<string, string>;
}

/** The sample shop's state (sandbox/shop-store.ts): orders as its API answers them, what its API was asked, the refunds made. */
export interface ShopStateView {
  orders: ShopOrder[];
  requests: ShopRequest[];
  refunds: ShopRefund[];
}

export class SandboxControlError extends Error {
  override name = 'SandboxControlError';
}

export class SandboxControl {
  constructor(private readonly baseUrl: string) {}

  async createCustomer(email: string, firstName: string): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/sandbox/users', { email, first_name: firstName })).id;
  }

  /** A conversation with no message yet: nothing is sent until someone writes. */
  async createConversation(userId: string): Promise<string> {
    return (await this.call<{ conversation_id: string }>('POST', '/sandbox/conversations', { user_id: userId })).conversation_id;
  }

  customerSays(conversationId: string, text: string): Promise<SandboxMessageView> {
    return this.call('POST', `/sandbox/conversations/${conversationId}/customer-messages`, { text });
  }

  repSays(conversationId: string, agentId: string, text: string): Promise<SandboxMessageView> {
    return this.call('POST', `/sandbox/conversations/${conversationId}/agent-messages`, { agent_id: agentId, text });
  }

  /** To `agentId`, or back to the unassigned queue (null), by the rep `byAgentId`. */
  async assign(conversationId: string, agentId: string | null, byAgentId: string): Promise<void> {
    await this.call('POST', `/sandbox/conversations/${conversationId}/assign`, { agent_id: agentId ?? '', assignor_id: byAgentId });
  }

  async resolve(conversationId: string, agentId: string): Promise<void> {
    await this.call('POST', `/sandbox/conversations/${conversationId}/resolve`, { agent_id: agentId });
  }

  async reopen(conversationId: string, agentId: string): Promise<void> {
    await this.call('POST', `/sandbox/conversations/${conversationId}/reopen`, { by: 'agent', agent_id: agentId });
  }

  /** Every webhook delivery so far, oldest first (of one conversation when given): the sandbox's own record of events. */
  webhooks(conversationId?: string): Promise<WebhookDeliveryView[]> {
    return this.call('GET', `/sandbox/webhooks${conversationId ? `?conversation_id=${encodeURIComponent(conversationId)}` : ''}`);
  }

  /** Sends a recorded delivery again, as Freshchat retries one (same body). */
  redeliver(deliveryId: string): Promise<WebhookDeliveryView> {
    return this.call('POST', `/sandbox/webhooks/${deliveryId}/redeliver`);
  }

  /** When the integration read the conversation and its messages, and when each of its posts arrived. */
  apiRecord(conversationId: string): Promise<ApiRecordView> {
    return this.call('GET', `/sandbox/conversations/${conversationId}/api-record`);
  }

  /** Arms a fault of the /v2 API, the Freshdesk routes or the shop API (sandbox/faults.ts), by the path's regular expression. */
  async addFault(spec: { method?: string; path: string; status?: number; retryAfterSeconds?: number; delayMs?: number; times?: number; afterEffect?: boolean }): Promise<void> {
    await this.call('POST', '/sandbox/faults', spec);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/sandbox/faults');
  }

  /** Every conversation's id and update time, as the sandbox page reads them: one cheap look at all of them. */
  async conversationUpdates(): Promise<Array<{ conversation_id: string; updated_time: string }>> {
    return (await this.call<{ conversations: Array<{ conversation_id: string; updated_time: string }> }>('GET', '/sandbox/state')).conversations;
  }

  conversation(conversationId: string): Promise<SandboxConversationView> {
    return this.call('GET', `/sandbox/conversations/${conversationId}`);
  }

  /** The sample shop: its orders, every request its API answered (with the status sent) and the refunds made. */
  shop(): Promise<ShopStateView> {
    return this.call('GET', '/sandbox/shop');
  }

  /** Adds an order to the sample shop, or replaces the one with its number; answers the order as stored. */
  addShopOrder(order: ShopOrder): Promise<ShopOrder> {
    return this.call('POST', '/sandbox/shop/orders', order);
  }

  /** The sample orders again; requests, refunds and idempotency keys forgotten. */
  async resetShop(): Promise<void> {
    await this.call('POST', '/sandbox/shop/reset');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new SandboxControlError(`${method} ${path} → ${res.status} ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as T;
  }
}

/** The text of a message, its parts joined. */
export function textOfMessage(message: SandboxMessageView): string {
  return message.message_parts.map((part) => part.text?.content ?? '').join('\n');
}
