import { randomInt, randomUUID } from 'node:crypto';
import type { Agent, Channel, Conversation, Group, Message, MessagePart, User } from './types.js';

export interface StoreSeed {
  aiAgentEmail: string;
  reps: Array<{ email: string; first_name: string; last_name?: string }>;
  agentsCount: number;
}

export type NewMessage = Pick<Message, 'actor_type' | 'actor_id' | 'message_type'> & { message_parts: MessagePart[] };

/** Freshchat interaction ids look like `681406910844650-1669114522220`. */
export function newInteractionId(): string {
  return `${randomInt(100000, 1000000)}${randomInt(100000000, 1000000000)}-${Date.now()}`;
}

/**
 * All of the sandbox account's state, in memory: the fixed account (app, channel, groups,
 * agents) and what happens in it (users, conversations, messages). It knows nothing of HTTP
 * or webhooks; conversation-actions.ts decides which changes send which events.
 */
export class SandboxStore {
  readonly appId = randomUUID();
  readonly accountId = String(randomInt(100000000, 1000000000));
  readonly organisationId = String(randomInt(100000000, 1000000000));
  readonly channel: Channel;
  readonly groups: Group[];
  readonly aiAgent: Agent;
  readonly reps: Agent[];

  /** In listing order: filler agents first, then reps, then the AI agent, so finding the AI agent needs paging. */
  private readonly agents: Agent[] = [];
  private readonly users = new Map<string, User>();
  private readonly conversations = new Map<string, Conversation>();
  private readonly messagesByConversation = new Map<string, Message[]>();
  private lastTimeMs = 0;
  /**
   * What the integration looked at and when (the sandbox's own observation, not Freshchat's
   * data): the times the REST API read each conversation and its messages, and when each post
   * arrived (before any injected delay). The soak tells from them a post that ignored what the
   * integration had seen from one that crossed a rep's action in flight.
   */
  private readonly apiRecords = new Map<string, { conversationReads: string[]; messageReads: string[]; postArrivals: Record<string, string> }>();
  private nextInternalId = 1_000_001;

  constructor(seed: StoreSeed) {
    const created = this.now();
    this.channel = {
      id: randomUUID(), name: 'Support', icon: {}, enabled: true, public: true, tags: [], updated_time: created,
    };
    this.groups = [
      { id: randomUUID(), name: 'Support', description: 'First-line support', routing_type: 'INTELLIASSIGN' },
      { id: randomUUID(), name: 'Billing', description: 'Invoices and payments', routing_type: 'DISABLED' },
    ];
    const supportGroup = [this.groups[0].id];
    for (let n = 1; n <= seed.agentsCount; n++) {
      const number = String(n).padStart(3, '0');
      this.addAgent(`agent${number}@sandbox.test`, 'Filler', `Agent ${number}`, []);
    }
    this.reps = seed.reps.map((rep) => this.addAgent(rep.email, rep.first_name, rep.last_name ?? '', supportGroup));
    this.aiAgent = this.addAgent(seed.aiAgentEmail, 'AI', 'Assistant', supportGroup);
  }

  /**
   * The current time as ISO-8601, strictly increasing across calls, so that ordering by
   * `created_time` always matches the order things happened in (two events can share a millisecond).
   */
  now(): string {
    this.lastTimeMs = Math.max(Date.now(), this.lastTimeMs + 1);
    return new Date(this.lastTimeMs).toISOString();
  }

  private addAgent(email: string, firstName: string, lastName: string, groups: string[]): Agent {
    const agent: Agent = {
      id: randomUUID(), email, first_name: firstName, last_name: lastName, groups,
      availability_status: 'AVAILABLE', is_deactivated: false, created_time: this.now(),
    };
    this.agents.push(agent);
    return agent;
  }

  listAgents(): Agent[] {
    return [...this.agents];
  }

  findAgent(id: string): Agent | undefined {
    return this.agents.find((agent) => agent.id === id);
  }

  findGroup(id: string): Group | undefined {
    return this.groups.find((group) => group.id === id);
  }

  createUser(fields: { email?: string; first_name?: string; last_name?: string; phone?: string; reference_id?: string }): User {
    const time = this.now();
    const user: User = { id: randomUUID(), ...fields, properties: [], created_time: time, updated_time: time };
    this.users.set(user.id, user);
    return user;
  }

  findUser(id: string): User | undefined {
    return this.users.get(id);
  }

  /** Several users may share one email (a customer on two devices): all are returned. */
  findUsersByEmail(email: string): User[] {
    const wanted = email.trim().toLowerCase();
    return this.listUsers().filter((user) => user.email?.trim().toLowerCase() === wanted);
  }

  listUsers(): User[] {
    return [...this.users.values()];
  }

  createConversation(userId: string): Conversation {
    const time = this.now();
    const conversation: Conversation = {
      conversation_id: randomUUID(),
      conversation_internal_id: this.nextInternalId++,
      user_id: userId,
      status: 'new',
      assigned_agent_id: '',
      assigned_group_id: '',
      properties: {},
      interaction_id: newInteractionId(),
      created_time: time,
      updated_time: time,
    };
    this.conversations.set(conversation.conversation_id, conversation);
    this.messagesByConversation.set(conversation.conversation_id, []);
    return conversation;
  }

  findConversation(id: string): Conversation | undefined {
    return this.conversations.get(id);
  }

  listConversations(): Conversation[] {
    return [...this.conversations.values()];
  }

  conversationsOfUser(userId: string): Conversation[] {
    return this.listConversations().filter((conversation) => conversation.user_id === userId);
  }

  /** Marks a conversation as changed now. */
  touch(conversation: Conversation): void {
    conversation.updated_time = this.now();
  }

  addMessage(conversation: Conversation, fields: NewMessage): Message {
    const message: Message = {
      id: randomUUID(),
      conversation_id: conversation.conversation_id,
      actor_type: fields.actor_type,
      actor_id: fields.actor_id,
      message_type: fields.message_type,
      message_parts: fields.message_parts,
      created_time: this.now(),
      user_id: conversation.user_id,
      interaction_id: conversation.interaction_id,
    };
    this.messagesByConversation.get(conversation.conversation_id)!.push(message);
    conversation.updated_time = message.created_time;
    return message;
  }

  private apiRecordOf(conversationId: string) {
    let record = this.apiRecords.get(conversationId);
    if (!record) this.apiRecords.set(conversationId, (record = { conversationReads: [], messageReads: [], postArrivals: {} }));
    return record;
  }

  recordApiRead(conversationId: string, what: 'conversation' | 'messages'): void {
    const record = this.apiRecordOf(conversationId);
    (what === 'conversation' ? record.conversationReads : record.messageReads).push(this.now());
  }

  recordApiPost(conversationId: string, messageId: string, arrivedAt: string): void {
    this.apiRecordOf(conversationId).postArrivals[messageId] = arrivedAt;
  }

  apiRecord(conversationId: string) {
    return this.apiRecordOf(conversationId);
  }

  /** Oldest first, private notes included. */
  messagesOf(conversationId: string): Message[] {
    return [...(this.messagesByConversation.get(conversationId) ?? [])];
  }
}
