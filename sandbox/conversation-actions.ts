/**
 * What can happen in a conversation, and the webhook each real change sends. The REST API
 * (an integration acting through Freshchat's API) and the control API (a customer or a rep
 * acting in Freshchat's UI) both go through here; they differ only in who the actor is.
 */
import { invalidValue } from './errors.js';
import {
  assignmentEnvelope, messageCreateEnvelope, reopenEnvelope, resolutionEnvelope, type Actor, type AssignmentDetails,
} from './representations.js';
import { newInteractionId, type NewMessage, type SandboxStore } from './store.js';
import type { Conversation, Message } from './types.js';
import type { WebhookSender } from './webhook-sender.js';

/**
 * A requested assignment: `undefined` leaves that side as it is, `''` clears it.
 * Freshchat treats "assign to an agent" as keeping the group, and "route to a group" as
 * taking the conversation away from its agent; callers encode that in what they pass.
 */
export interface AssignmentRequest {
  agentId?: string;
  groupId?: string;
}

export interface AssignedBy {
  actor: Actor;
  assignor: AssignmentDetails['assignor'];
  assignorId: string;
}

export class ConversationActions {
  constructor(
    private readonly store: SandboxStore,
    private readonly webhooks: WebhookSender,
  ) {}

  /** Stores a message and sends its `message_create` (also for private notes and our own posts). */
  postMessage(conversation: Conversation, fields: NewMessage): Message {
    const message = this.store.addMessage(conversation, fields);
    this.webhooks.enqueue('message_create', conversation.conversation_id, messageCreateEnvelope(this.store, message));
    return message;
  }

  /**
   * A customer writes. Into a resolved conversation that first reopens it (reopener 'user'),
   * as Freshchat does when a customer answers after resolution.
   */
  postCustomerMessage(conversation: Conversation, parts: NewMessage['message_parts']): Message {
    if (conversation.status === 'resolved') {
      this.reopen(conversation, { actor_type: 'user', actor_id: conversation.user_id }, 'user', conversation.user_id);
    }
    return this.postMessage(conversation, {
      actor_type: 'user', actor_id: conversation.user_id, message_type: 'normal', message_parts: parts,
    });
  }

  /** Checks that the agent and group of a request exist (400 like Freshchat otherwise). */
  validateAssignment(request: AssignmentRequest): void {
    if (request.agentId && !this.store.findAgent(request.agentId)) {
      throw invalidValue(`Agent ${request.agentId} does not exist`);
    }
    if (request.groupId && !this.store.findGroup(request.groupId)) {
      throw invalidValue(`Group ${request.groupId} does not exist`);
    }
  }

  /**
   * Applies an assignment. Sends `conversation_assignment` when the agent or group changed,
   * and also when the same agent is assigned again (Freshchat does); returns whether it sent.
   */
  assign(conversation: Conversation, request: AssignmentRequest, by: AssignedBy): boolean {
    this.validateAssignment(request);
    const from = { agentId: conversation.assigned_agent_id, groupId: conversation.assigned_group_id };
    const toAgentId = request.agentId ?? from.agentId;
    const toGroupId = request.groupId ?? from.groupId;
    const changed = toAgentId !== from.agentId || toGroupId !== from.groupId;
    const sameAgentAgain = request.agentId !== undefined && request.agentId !== '' && request.agentId === from.agentId;
    if (!changed && !sameAgentAgain) return false;

    conversation.assigned_agent_id = toAgentId;
    conversation.assigned_group_id = toGroupId;
    conversation.status = toAgentId ? 'assigned' : 'new';
    this.store.touch(conversation);
    const envelope = assignmentEnvelope(
      this.store,
      by.actor,
      conversation,
      { assignor: by.assignor, assignor_id: by.assignorId, from_agent_id: from.agentId, from_group_id: from.groupId },
      conversation.updated_time,
    );
    this.webhooks.enqueue('conversation_assignment', conversation.conversation_id, envelope);
    return true;
  }

  /** Resolves (keeping the assignee, as Freshchat does); a resolved conversation is left alone. */
  resolve(conversation: Conversation, actor: Actor, resolver: string, resolverId: string): boolean {
    if (conversation.status === 'resolved') return false;
    conversation.status = 'resolved';
    this.store.touch(conversation);
    const envelope = resolutionEnvelope(
      this.store, actor, conversation, { resolver, resolver_id: resolverId }, conversation.updated_time,
    );
    this.webhooks.enqueue('conversation_resolution', conversation.conversation_id, envelope);
    return true;
  }

  /** Reopens a resolved conversation with a new interaction id; others are left alone. */
  reopen(conversation: Conversation, actor: Actor, reopener: string, reopenerId: string): boolean {
    if (conversation.status !== 'resolved') return false;
    conversation.status = 'reopened';
    conversation.interaction_id = newInteractionId();
    this.store.touch(conversation);
    const envelope = reopenEnvelope(
      this.store, actor, conversation, { reopener, reopener_id: reopenerId }, conversation.updated_time,
    );
    this.webhooks.enqueue('conversation_reopen', conversation.conversation_id, envelope);
    return true;
  }
}
