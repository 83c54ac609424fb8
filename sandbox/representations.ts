/**
 * The JSON shapes Freshchat returns and posts: one place, so the REST answers and the
 * webhook payloads describe the same objects the same way.
 */
import type { SandboxStore } from './store.js';
import type { ActorType, Agent, Conversation, Message, User, WebhookAction, WebhookEnvelope } from './types.js';

export interface Actor {
  actor_type: ActorType;
  actor_id: string;
}

/** A message as in `GET .../messages` and in `message_create` webhooks. */
export function messageJson(store: SandboxStore, message: Message) {
  const conversation = store.findConversation(message.conversation_id);
  return {
    ...message,
    app_id: store.appId,
    channel_id: store.channel.id,
    freshchat_conversation_id: conversation ? String(conversation.conversation_internal_id) : undefined,
    restrictResponse: false,
    botsPrivateNote: false,
  };
}

/** `assigned_*` only when set: Freshchat leaves them out for an unassigned conversation. */
function assignedFields(conversation: Conversation) {
  return {
    ...(conversation.assigned_agent_id ? { assigned_agent_id: conversation.assigned_agent_id } : {}),
    ...(conversation.assigned_group_id ? { assigned_group_id: conversation.assigned_group_id } : {}),
  };
}

/** The conversation as embedded in assignment, resolution and reopen webhooks. */
export function conversationInWebhook(store: SandboxStore, conversation: Conversation) {
  return {
    conversation_id: conversation.conversation_id,
    app_id: store.appId,
    status: conversation.status,
    channel_id: store.channel.id,
    ...assignedFields(conversation),
  };
}

/** `GET /v2/conversations/:id`. `url` opens the conversation on the sandbox page. */
export function conversationJson(store: SandboxStore, conversation: Conversation, baseUrl: string) {
  return {
    conversation_id: conversation.conversation_id,
    conversation_internal_id: conversation.conversation_internal_id,
    app_id: store.appId,
    status: conversation.status,
    channel_id: store.channel.id,
    ...assignedFields(conversation),
    user_id: conversation.user_id,
    url: conversationPageUrl(baseUrl, conversation.conversation_id),
    properties: conversation.properties,
    created_time: conversation.created_time,
    updated_time: conversation.updated_time,
  };
}

export function conversationPageUrl(baseUrl: string, conversationId: string): string {
  return `${baseUrl}/?conversation=${encodeURIComponent(conversationId)}`;
}

/** One entry of `GET /v2/users/:id/conversations`. */
export function userConversationJson(store: SandboxStore, conversation: Conversation) {
  return {
    id: conversation.conversation_id,
    status: conversation.status,
    channel_id: store.channel.id,
    app_id: store.appId,
    ...assignedFields(conversation),
    created_time: conversation.created_time,
    updated_time: conversation.updated_time,
  };
}

export function userJson(user: User) {
  return { ...user };
}

export function agentJson(agent: Agent) {
  return { ...agent };
}

function envelope(actor: Actor, action: WebhookAction, actionTime: string, data: Record<string, unknown>): WebhookEnvelope {
  return { actor, action, action_time: actionTime, data };
}

export function messageCreateEnvelope(store: SandboxStore, message: Message): WebhookEnvelope {
  return envelope(
    { actor_type: message.actor_type, actor_id: message.actor_id },
    'message_create',
    message.created_time,
    { message: messageJson(store, message) },
  );
}

export interface AssignmentDetails {
  assignor: 'agent' | 'system' | 'user' | 'bot';
  assignor_id: string;
  from_agent_id: string;
  from_group_id: string;
}

export function assignmentEnvelope(
  store: SandboxStore, actor: Actor, conversation: Conversation, details: AssignmentDetails, actionTime: string,
): WebhookEnvelope {
  return envelope(actor, 'conversation_assignment', actionTime, {
    assignment: {
      assignor: details.assignor,
      assignor_id: details.assignor_id,
      to_agent_id: conversation.assigned_agent_id,
      to_group_id: conversation.assigned_group_id,
      from_agent_id: details.from_agent_id,
      from_group_id: details.from_group_id,
      interaction_id: conversation.interaction_id,
      conversation: conversationInWebhook(store, conversation),
    },
  });
}

export function resolutionEnvelope(
  store: SandboxStore, actor: Actor, conversation: Conversation, resolver: { resolver: string; resolver_id: string }, actionTime: string,
): WebhookEnvelope {
  return envelope(actor, 'conversation_resolution', actionTime, {
    resolve: {
      resolver: resolver.resolver,
      resolver_id: resolver.resolver_id,
      conversation: conversationInWebhook(store, conversation),
      interaction_id: conversation.interaction_id,
    },
  });
}

export function reopenEnvelope(
  store: SandboxStore, actor: Actor, conversation: Conversation, reopener: { reopener: string; reopener_id: string }, actionTime: string,
): WebhookEnvelope {
  return envelope(actor, 'conversation_reopen', actionTime, {
    reopen: {
      reopener: reopener.reopener,
      reopener_id: reopener.reopener_id,
      interaction_id: conversation.interaction_id,
      conversation: conversationInWebhook(store, conversation),
    },
  });
}
