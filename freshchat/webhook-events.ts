import { z } from 'zod';
import { customerMessageWords, describeMessageParts } from './message-parts.js';
import { parseApprovalCommand } from '../workflow-safe/tool-calls.js';
import type { ConversationEvent } from '../workflows/messages.js';

/**
 * Freshchat webhook payloads, parsed tolerantly (shared/freshchat-api.md): unknown fields
 * pass, `message_type` may be missing, ids are opaque strings, old accounts send `msg_parts`.
 */
const id = z.string().min(1).max(200);
const optionalId = z.string().max(200).optional().default('');

/**
 * Ids the worker places into Freshchat URLs (conversation, user, agent). Freshchat's are
 * UUIDs, hex, digits or `_`-joined composites of those; anything else — `..`, a slash, a lone
 * surrogate — is refused here, before any workflow exists, so it can never steer a request
 * that carries the API token.
 */
export const freshchatIdPattern = /^[A-Za-z0-9_-]{1,128}$/;
const idMessage = 'must be a Freshchat id (letters, digits, - and _, at most 128)';
const urlId = z.string().regex(freshchatIdPattern, idMessage);
const optionalUrlId = z.union([z.literal(''), urlId]).optional().default('');

const MessagePartSchema = z
  .object({
    text: z.object({ content: z.string() }).partial().optional(),
    email: z.object({ content: z.string().optional(), subject: z.string().optional() }).optional(),
    image: z.object({ url: z.string().optional() }).optional(),
    file: z.object({ name: z.string().optional(), content_type: z.string().optional() }).optional(),
    collection: z.unknown().optional(),
    quick_reply_buttons: z.unknown().optional(),
    url_button: z.unknown().optional(),
    part_type: z.string().optional(),
    properties: z.object({ text: z.string().optional() }).partial().optional(),
  })
  .loose();

const MessageSchema = z
  .object({
    id,
    conversation_id: urlId,
    actor_type: z.string().max(50),
    actor_id: optionalId,
    user_id: optionalUrlId,
    message_type: z.string().max(50).optional(),
    message_parts: z.array(MessagePartSchema).max(100).optional(),
    msg_parts: z.array(MessagePartSchema).max(100).optional(),
    created_time: z.string().max(100).optional(),
    botsPrivateNote: z.boolean().optional(),
  })
  .loose()
  // A customer's or agent's id is looked up in Freshchat; a bot's or the system's is not.
  .superRefine((m, ctx) => {
    if ((m.actor_type === 'user' || m.actor_type === 'agent') && m.actor_id !== '' && !freshchatIdPattern.test(m.actor_id)) {
      ctx.addIssue({ code: 'custom', path: ['actor_id'], message: idMessage });
    }
  });

const ConversationRefSchema = z.object({ conversation_id: urlId }).loose();

const AssignmentSchema = z
  .object({
    assignor: z.string().optional(),
    assignor_id: optionalId,
    to_agent_id: z.string().max(200).nullish(),
    to_group_id: z.string().max(200).nullish(),
    interaction_id: optionalId,
    conversation: ConversationRefSchema,
  })
  .loose();

const ResolveSchema = z
  .object({ resolver: z.string().optional(), resolver_id: optionalId, interaction_id: optionalId, conversation: ConversationRefSchema })
  .loose();

const ReopenSchema = z
  .object({ reopener: z.string().optional(), reopener_id: optionalId, interaction_id: optionalId, conversation: ConversationRefSchema })
  .loose();

const ActorSchema = z.object({ actor_type: z.string().max(50), actor_id: optionalId }).loose();
const common = { actor: ActorSchema, action_time: z.string().max(100) };

export const WebhookPayloadSchema = z.discriminatedUnion('action', [
  z.object({ ...common, action: z.literal('message_create'), data: z.object({ message: MessageSchema }).loose() }).loose(),
  z.object({ ...common, action: z.literal('conversation_assignment'), data: z.object({ assignment: AssignmentSchema }).loose() }).loose(),
  z.object({ ...common, action: z.literal('conversation_resolution'), data: z.object({ resolve: ResolveSchema }).loose() }).loose(),
  z.object({ ...common, action: z.literal('conversation_reopen'), data: z.object({ reopen: ReopenSchema }).loose() }).loose(),
]);
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

export const knownWebhookActions = ['message_create', 'conversation_assignment', 'conversation_resolution', 'conversation_reopen'];

export type RoutedEvent = { conversationId: string; event: ConversationEvent } | { ignored: string };

/** Turns a verified, parsed webhook into the event the conversation workflow understands. */
export function toConversationEvent(payload: WebhookPayload): RoutedEvent {
  switch (payload.action) {
    case 'message_create': {
      const m = payload.data.message;
      const isPrivate = m.message_type === 'private' || m.botsPrivateNote === true;
      const at = m.created_time ?? payload.action_time;
      if (m.actor_type === 'user') {
        if (isPrivate) return { ignored: 'private message from a user' };
        return {
          conversationId: m.conversation_id,
          event: { kind: 'customer_message', eventId: m.id, at, userId: m.user_id || m.actor_id, ...customerMessageWords(m.message_parts ?? m.msg_parts ?? []) },
        };
      }
      if (m.actor_type === 'agent') {
        if (m.message_type === 'system') return { ignored: 'system message' };
        // A rep's private note may be a verdict on an action waiting for approval; no other note text travels.
        const command = isPrivate ? parseApprovalCommand(describeMessageParts(m.message_parts ?? m.msg_parts ?? [])) : undefined;
        return { conversationId: m.conversation_id, event: { kind: 'agent_message', eventId: m.id, at, agentId: m.actor_id, private: isPrivate, ...(command && { command }) } };
      }
      return { ignored: `message from actor type '${m.actor_type}'` };
    }
    case 'conversation_assignment': {
      const a = payload.data.assignment;
      return {
        conversationId: a.conversation.conversation_id,
        event: {
          kind: 'assignment',
          eventId: eventKey(payload.action, a.interaction_id, payload.action_time, a.to_agent_id ?? '', a.to_group_id ?? ''),
          at: payload.action_time,
          actorType: payload.actor.actor_type,
          toAgentId: a.to_agent_id ?? '',
          toGroupId: a.to_group_id ?? '',
        },
      };
    }
    case 'conversation_resolution': {
      const r = payload.data.resolve;
      return {
        conversationId: r.conversation.conversation_id,
        event: {
          kind: 'resolution',
          eventId: eventKey(payload.action, r.interaction_id, payload.action_time),
          at: payload.action_time,
          resolverType: r.resolver ?? payload.actor.actor_type,
          resolverId: r.resolver_id,
        },
      };
    }
    case 'conversation_reopen': {
      const r = payload.data.reopen;
      return {
        conversationId: r.conversation.conversation_id,
        event: {
          kind: 'reopen',
          eventId: eventKey(payload.action, r.interaction_id, payload.action_time),
          at: payload.action_time,
          reopenerType: r.reopener ?? payload.actor.actor_type,
        },
      };
    }
  }
}

/** Non-message events have no id of their own; a redelivery repeats the same body, hence the same key. */
function eventKey(...parts: string[]): string {
  return parts.join('|');
}
