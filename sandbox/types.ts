/**
 * The sandbox's data model. Field names follow Freshchat's JSON (snake_case) wherever the
 * object is returned as-is by the REST API or a webhook, so nothing needs renaming on the way out.
 */

export type ConversationStatus = 'new' | 'assigned' | 'resolved' | 'reopened';
export type ActorType = 'user' | 'agent' | 'system' | 'bot';
export type MessageType = 'normal' | 'private' | 'system';

/** One message part, e.g. `{text:{content}}` or `{image:{url}}`: kept as Freshchat sent it. */
export type MessagePart = Record<string, unknown>;

export interface Agent {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  groups: string[];
  availability_status: 'AVAILABLE' | 'UNAVAILABLE';
  is_deactivated: boolean;
  created_time: string;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  routing_type: string;
}

export interface Channel {
  id: string;
  name: string;
  icon: Record<string, unknown>;
  enabled: boolean;
  public: boolean;
  tags: string[];
  updated_time: string;
}

export interface User {
  id: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  reference_id?: string;
  properties: Array<{ name: string; value: string }>;
  created_time: string;
  updated_time: string;
}

export interface Conversation {
  conversation_id: string;
  /** Freshchat's numeric id of the same conversation (shown in its UI). */
  conversation_internal_id: number;
  user_id: string;
  status: ConversationStatus;
  /** '' when nobody holds it (Freshchat's "no agent"). */
  assigned_agent_id: string;
  /** '' when not routed to a group. */
  assigned_group_id: string;
  properties: Record<string, unknown>;
  /** Changes on every reopen: one interaction = one stretch of the conversation. */
  interaction_id: string;
  created_time: string;
  updated_time: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  actor_type: ActorType;
  actor_id: string;
  message_type: MessageType;
  message_parts: MessagePart[];
  created_time: string;
  user_id: string;
  interaction_id: string;
}

/** The envelope of every webhook, exactly as Freshchat posts it. */
export interface WebhookEnvelope {
  actor: { actor_type: ActorType; actor_id: string };
  action: WebhookAction;
  action_time: string;
  data: Record<string, unknown>;
}

export type WebhookAction =
  | 'message_create'
  | 'conversation_assignment'
  | 'conversation_resolution'
  | 'conversation_reopen';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/** One webhook event and the history of getting it to the receiver. */
export interface WebhookDelivery {
  id: string;
  action: WebhookAction;
  conversation_id: string;
  /** The exact JSON that is signed and sent, byte for byte, on every attempt. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code?: number;
  last_error?: string;
  created_time: string;
}
