/**
 * Activities that act on Freshchat: thin, typed adapters around FreshchatClient. Each one is
 * safe to retry: effects that may already have happened on an earlier attempt (a posted
 * message) are looked up before they are done again.
 */
import type { ToolCallRecord } from '../workflow-safe/tool-calls.js';
import { createHmac } from 'node:crypto';
import { activityInfo } from '@temporalio/activity';
import { CONTACT_ID_SECRET_MIN_LENGTH } from '../config/contact-id-secret.js';
import { FreshchatApiError, type FreshchatClient, type FreshchatMessage } from '../freshchat/client.js';
import type { Logger } from '../lib/logger.js';
import { toApplicationFailure } from '../workflow-safe/failures.js';
import type { Sentiment } from '../workflow-safe/decision.js';
import type { RuleName } from '../workflow-safe/handoff-rules.js';
import { countFreshchatFailure } from './activity-metrics.js';
import { customerMessage } from './customer-messages.js';
import { customerMessageWords, describeMessageParts } from '../freshchat/message-parts.js';
import type { LanguageGuess } from '../workflow-safe/language.js';
import type { SessionDescriber } from '../ai/session-describer.js';
import type { Citation } from '../knowledge/types.js';
import { readSessionTranscript } from './transcript.js';
import type { SettingsSource } from '../settings/settings-source.js';
import type { ResolutionKind } from '../workflows/messages.js';

export interface FreshchatActivityDeps {
  client: FreshchatClient;
  aiAgentEmail: string;
  handoffGroupId?: string;
  /** The settings file as it is now (customer notices follow an edited file at once). */
  settings: SettingsSource;
  /** The workflow's page in the Temporal Web UI, linked from every note. */
  traceUrl: (conversationId: string) => string;
  /** CONTACT_ID_SECRET, the HMAC key of contact ids. Worker environment only: never an activity or workflow input. */
  contactIdSecret: string;
  /** Summary, sentiment and topic for a note whose session the AI did not describe. */
  describeSession: SessionDescriber;
  logger: Logger;
}

export interface ConversationOwner {
  status: string;
  assignedAgentId: string;
  assignedGroupId: string;
  url?: string;
}

/**
 * Who holds the conversation when a post is dropped: a rep, nobody (the queue), it is closed,
 * or Freshchat began a new session (resolved and reopened) after what the post answers.
 */
export type LostTo = 'rep' | 'nobody' | 'resolved' | 'new_session';
export interface LostOwnership {
  lostTo: LostTo;
  reason: string;
}
export type PostOutcome = { posted: true; messageId: string } | ({ posted: false } & LostOwnership);

/** A customer message read back from Freshchat, shaped like the webhook's event. */
export interface UnansweredCustomerMessage {
  eventId: string;
  at: string;
  userId: string;
  text: string;
  languages?: LanguageGuess[];
}

/** Who held the conversation when the claim looked, and whether the claim assigned it to the AI agent. */
export interface ClaimOutcome {
  owner: ConversationOwner;
  claimed: boolean;
}

/**
 * What resolving did: resolved, or not, because the customer wrote after the AI's closing words
 * (those messages, to answer). Histories from before the check have no result (resolved).
 */
export type ResolveOutcome =
  | { resolved: true }
  /** `tookBack`: the resolution had landed and was taken back: its resolution and reopen events are the AI's own. */
  | { resolved: false; customerMessages: UnansweredCustomerMessage[]; tookBack?: true };

/** The most unanswered messages one reconciliation takes. */
const maxReconciledMessages = 20;

export type CustomerNoticeKind = 'handoff' | 'afterHours' | 'closing' | 'nudge' | 'actionPending' | 'actionDeclined';

/** The private note that asks the reps to approve an action. */
export interface ApprovalRequest {
  session: number;
  tool: string;
  arguments: Record<string, unknown>;
  /** The AI's reason for the call, in its own words. */
  reason: string;
  expiresAt: string;
}

export interface NoteContent {
  kind: 'handoff' | 'resolution';
  session: number;
  rule: RuleName;
  reason: string;
  summary?: string;
  sentiment?: Sentiment;
  topic?: string;
  contactId?: string;
  resolutionKind?: ResolutionKind;
  /** Who resolved it (resolution notes): the AI or ops. */
  resolvedBy?: 'ai' | 'ops';
  /** The knowledge articles the AI's answers in this session used. */
  citations?: Citation[];
  /** The tool calls of the session. */
  actions?: ToolCallRecord[];
}


export function createFreshchatActivities(deps: FreshchatActivityDeps) {
  const { client, logger } = deps;
  let aiAgentId: string | undefined;
  const repCache = new Map<string, boolean>();

  async function aiAgent(): Promise<string> {
    if (aiAgentId) return aiAgentId;
    const agent = await freshchatCall(() => client.findAgentByEmail(deps.aiAgentEmail));
    if (!agent || agent.is_deactivated) {
      throw toApplicationFailure(
        new FreshchatApiError(
          'FRESHCHAT_AI_AGENT_EMAIL does not match an active Freshchat agent; create or reactivate the agent seat, or fix the setting',
          { status: 404, code: 'AI_AGENT_NOT_FOUND' },
        ),
      );
    }
    aiAgentId = agent.id;
    return agent.id;
  }

  /** The customer's messages since `since` after the latest agent message, oldest first (at most maxReconciledMessages). */
  async function readUnanswered(conversationId: string, since: string): Promise<UnansweredCustomerMessage[]> {
    const recent = await freshchatCall(() => client.listRecentMessages(conversationId, since, 100)); // newest first
    const unanswered: UnansweredCustomerMessage[] = [];
    for (const m of recent) {
      const type = m.message_type ?? 'normal';
      if (m.actor_type === 'agent' && type === 'normal') break;
      if (m.actor_type !== 'user' || type !== 'normal') continue;
      unanswered.push({ eventId: m.id, at: m.created_time, userId: m.actor_id ?? '', ...customerMessageWords(m.message_parts ?? []) });
      if (unanswered.length >= maxReconciledMessages) break;
    }
    return unanswered.reverse();
  }

  /**
   * The customer's messages met the AI's resolution: reopened when Freshchat still has it
   * resolved (a message written after the resolution reopens it by itself). True when reopened.
   */
  async function takeBackResolution(conversationId: string): Promise<true | undefined> {
    const conversation = await freshchatCall(() => client.getConversation(conversationId));
    if (conversation.status !== 'resolved') return undefined;
    await freshchatCall(() => client.updateConversation(conversationId, { status: 'new' }));
    logger.info({ conversationId }, 'resolution taken back: the customer wrote as it landed');
    return true;
  }

  /** A rep is a real, active Freshchat agent other than the AI agent (automation greetings are not). */
  async function isRep(agentId: string): Promise<boolean> {
    if (!agentId || agentId === (await aiAgent())) return false;
    const cached = repCache.get(agentId);
    if (cached !== undefined) return cached;
    let rep: boolean;
    try {
      const agent = await client.getAgent(agentId);
      rep = agent.is_deactivated !== true;
    } catch (error) {
      if (error instanceof FreshchatApiError && error.status === 404) rep = false;
      else throw toActivityFailure(error);
    }
    repCache.set(agentId, rep);
    return rep;
  }

  /**
   * Why the AI must not post now (`lost`; none: the conversation is still the AI's), with the
   * messages since `since` it read (newest first). `answering`: the customer messages a reply
   * answers, when it is one.
   */
  async function readOwnership(conversationId: string, since: string, answering: string[] = []): Promise<{ lost?: LostOwnership; recent: FreshchatMessage[] }> {
    const me = await aiAgent();
    const [conversation, recent] = await Promise.all([
      freshchatCall(() => client.getConversation(conversationId)),
      freshchatCall(() => client.listRecentMessages(conversationId, since, 100)),
    ]);
    const lost = (reason: string, lostTo: LostTo) => ({ lost: { lostTo, reason }, recent });
    if (conversation.status === 'resolved') return lost('the conversation is resolved in Freshchat', 'resolved');
    // A retried post can outlive its session: a rep resolved, the customer wrote again.
    const answered = recent.find((m) => answering.includes(m.id));
    if (answered && beganNewSessionAfter(recent, answered.id)) return lost('Freshchat began a new session after the messages this reply answers', 'new_session');
    const assignee = conversation.assigned_agent_id ?? '';
    if (assignee && assignee !== me) return lost('the conversation is assigned to another agent', 'rep');
    for (const message of recent) {
      if (message.actor_type === 'agent' && message.message_type !== 'private' && message.actor_id && (await isRep(message.actor_id))) {
        return lost('a rep wrote in the conversation', 'rep');
      }
    }
    if (!assignee) return lost('the conversation is no longer assigned to the AI agent', 'nobody');
    return { recent };
  }

  /**
   * Posts once: a retried attempt first looks for the message an earlier attempt may have posted
   * (since `notBefore`). A reply (`answered`: the messages the ownership check read just before, and
   * the customer messages it answers) looks on every attempt, among the AI's messages after what it
   * answers: the list is read already, and an earlier turn's same words (the same question asked
   * again within the clock-skew slack of `notBefore`) are not taken for this reply's.
   */
  async function postOnce(
    conversationId: string,
    text: string,
    messageType: 'normal' | 'private',
    notBefore: string,
    answered?: { recent: readonly FreshchatMessage[]; answering: readonly string[] },
  ): Promise<string> {
    const agentId = await aiAgent();
    const attempt = activityInfo().attempt;
    const same = (m: FreshchatMessage) => isSameMessage(m, agentId, text, messageType);
    const earlier = answered
      ? postedAfter(answered.recent, answered.answering, notBefore, same)
      : attempt > 1
        ? (await freshchatCall(() => client.listRecentMessages(conversationId, notBefore, 100))).find(same)
        : undefined;
    if (earlier) {
      logger.info({ conversationId, messageId: earlier.id, attempt }, 'message already posted by an earlier attempt');
      return earlier.id;
    }
    const message = await freshchatCall(() => client.postMessage(conversationId, { text, messageType, agentId }));
    return message.id;
  }

  return {
    /** The AI agent's Freshchat id, resolved from FRESHCHAT_AI_AGENT_EMAIL. */
    async resolveAiAgent(): Promise<string> {
      return aiAgent();
    },

    /** Why the AI may no longer act on the conversation (resolved, a rep holds it, the queue), or undefined: the check every post makes. */
    async checkOwnership(input: { conversationId: string; sessionStartedAt: string }): Promise<LostOwnership | undefined> {
      return (await readOwnership(input.conversationId, input.sessionStartedAt)).lost;
    },

    async isRepAgent(agentId: string): Promise<boolean> {
      return isRep(agentId);
    },

    async readConversationOwner(conversationId: string): Promise<ConversationOwner> {
      return ownerOf(await freshchatCall(() => client.getConversation(conversationId)));
    },

    /**
     * Auto routing's one call for a new conversation: who holds it in Freshchat, and, when it is
     * open and nobody's, the AI agent as its assignee. Read right before the assignment, so a late
     * or retried claim leaves a conversation a rep resolved or took meanwhile alone.
     */
    async claimForAiAgent(conversationId: string): Promise<ClaimOutcome> {
      const [current, me] = await Promise.all([freshchatCall(() => client.getConversation(conversationId)), aiAgent()]);
      const owner = ownerOf(current);
      if (current.status === 'resolved' || owner.assignedAgentId) return { owner, claimed: false };
      await freshchatCall(() => client.updateConversation(conversationId, { status: 'assigned', assigned_agent_id: me }));
      return { owner, claimed: true };
    },

    /** Returns the AI agent's id the conversation is now assigned to (ops hand-backs; claims before claimForAiAgent). */
    async assignToAiAgent(conversationId: string): Promise<string> {
      const agentId = await aiAgent();
      await freshchatCall(() => client.updateConversation(conversationId, { status: 'assigned', assigned_agent_id: agentId }));
      return agentId;
    },

    /** Posts the AI's answer, unless a human owns the conversation by now (checked in Freshchat itself). */
    async postAiReply(input: { conversationId: string; text: string; sessionStartedAt: string; notBefore: string; answering?: string[] }): Promise<PostOutcome> {
      const { lost, recent } = await readOwnership(input.conversationId, input.sessionStartedAt, input.answering);
      if (lost) {
        logger.warn({ conversationId: input.conversationId, lostTo: lost.lostTo, reason: lost.reason }, 'AI reply dropped: lost ownership');
        return { posted: false, ...lost };
      }
      const answered = input.answering?.length ? { recent, answering: input.answering } : undefined;
      return { posted: true, messageId: await postOnce(input.conversationId, input.text, 'normal', input.notBefore, answered) };
    },

    /** Handoff, after-hours, nudge and closing words, from the settings file in the customer's language. */
    async postCustomerNotice(input: {
      conversationId: string;
      kind: CustomerNoticeKind;
      language: string;
      vars?: Record<string, string>;
      sessionStartedAt: string;
      notBefore: string;
    }): Promise<PostOutcome> {
      const { lost } = await readOwnership(input.conversationId, input.sessionStartedAt);
      if (lost) {
        logger.warn({ conversationId: input.conversationId, kind: input.kind, lostTo: lost.lostTo, reason: lost.reason }, 'customer notice dropped: lost ownership');
        return { posted: false, ...lost };
      }
      const text = customerMessage(deps.settings.current().messages, input.kind, input.language, input.vars);
      return { posted: true, messageId: await postOnce(input.conversationId, text, 'normal', input.notBefore) };
    },

    /**
     * Into the reps' queue (or the configured handoff group), unless a rep was quicker or the
     * session is over: a conversation a rep resolved or took in the meantime is left as it is
     * (setting it to `new` would reopen or take it from them), and so is one Freshchat began a new
     * session in after the handoff's own notice (`notice`; found by the soak: a move retried past a
     * rep's resolution and the customer's reopen put the new session in the queue). Returns the
     * assignee the conversation has afterwards ('' = none; histories from before this have no
     * result, and pass the conversation id alone).
     */
    async handOffToQueue(input: string | { conversationId: string; notice?: { messageId: string; notBefore: string } }): Promise<{ assignedAgentId: string }> {
      const { conversationId, notice } = typeof input === 'string' ? { conversationId: input } : input;
      const [current, me, recent] = await Promise.all([
        freshchatCall(() => client.getConversation(conversationId)),
        aiAgent(),
        notice ? freshchatCall(() => client.listRecentMessages(conversationId, notice.notBefore, 100)) : undefined,
      ]);
      const assignee = current.assigned_agent_id ?? '';
      if (current.status === 'resolved' || (assignee && assignee !== me)) {
        logger.info({ conversationId, status: current.status }, 'handoff left the conversation as it is: a rep resolved or took it first');
        return { assignedAgentId: assignee };
      }
      if (notice && recent && beganNewSessionAfter(recent, notice.messageId)) {
        logger.info({ conversationId, status: current.status }, 'handoff left the conversation as it is: Freshchat began a new session after the handoff');
        return { assignedAgentId: assignee };
      }
      // To a group, Freshchat takes the chat away from its agent too.
      const update = deps.handoffGroupId
        ? ({ status: 'new', assigned_group_id: deps.handoffGroupId } as const)
        : ({ status: 'new', assigned_agent_id: '' } as const);
      await freshchatCall(() => client.updateConversation(conversationId, update));
      return { assignedAgentId: '' };
    },

    /**
     * A rep's private note. What the workflow could not say (no AI turn yet) is read off the
     * session's messages up to `session.until` (when the handoff or resolution began), so a
     * retried attempt renders the same note and finds the one posted before.
     */
    async postPrivateNote(input: { conversationId: string; note: NoteContent; notBefore: string; session?: { startedAt: string; until: string } }): Promise<string> {
      let note = input.note;
      const session = input.session;
      if (session && (!note.summary || !note.sentiment || !note.topic)) {
        const aiAgentId = await aiAgent();
        const transcript = await freshchatCall(() => readSessionTranscript(client, { conversationId: input.conversationId, since: session.startedAt, aiAgentId }));
        const described = await deps.describeSession(transcript.filter((entry) => entry.at <= session.until));
        note = { ...note, summary: note.summary ?? described.summary, sentiment: note.sentiment ?? described.sentiment, topic: note.topic ?? described.topic };
      }
      const text = renderNote(note, deps.traceUrl(input.conversationId));
      return postOnce(input.conversationId, text, 'private', input.notBefore);
    },

    /** Asks the reps, in a private note, to approve or decline an action; posted once (retries find it). */
    async postApprovalRequest(input: { conversationId: string; request: ApprovalRequest; notBefore: string }): Promise<string> {
      return postOnce(input.conversationId, renderApprovalRequest(input.request, deps.traceUrl(input.conversationId)), 'private', input.notBefore);
    },

    /**
     * The customer's messages since `since` that no agent (the AI or a rep) has answered yet:
     * the ones after the latest agent message, oldest first. The workflow takes those it has
     * not seen, which catches events Freshchat gave up delivering (e.g. while Temporal was down).
     */
    async readUnansweredCustomerMessages(input: { conversationId: string; since: string }): Promise<UnansweredCustomerMessage[]> {
      return readUnanswered(input.conversationId, input.since);
    },

    /**
     * Resolves the conversation, unless (`unlessCustomerWroteSince`, the AI's resolutions) the
     * customer wrote after the AI's closing words: then nothing changes and the workflow gets
     * those messages to answer. Freshchat has no conditional update, so a message in the
     * milliseconds between the read and the PUT meets the resolution (and Freshchat does not
     * reopen for it: it came first). A read after the PUT finds it: the resolution is taken
     * back (`{"status":"new"}`, the AI stays the assignee) and the workflow gets the message
     * (found by the soak: the message was left unanswered in a resolved conversation).
     * Histories from before the check pass the conversation id alone.
     */
    async resolveInFreshchat(input: string | { conversationId: string; unlessCustomerWroteSince?: string }): Promise<ResolveOutcome> {
      const { conversationId, unlessCustomerWroteSince } = typeof input === 'string' ? { conversationId: input } : input;
      if (unlessCustomerWroteSince) {
        const customerMessages = await readUnanswered(conversationId, unlessCustomerWroteSince);
        if (customerMessages.length > 0) {
          // A retry after an attempt that resolved over them (and died before taking it back) takes it back now.
          const tookBack = activityInfo().attempt > 1 && (await takeBackResolution(conversationId));
          return { resolved: false, customerMessages, ...(tookBack && { tookBack }) };
        }
      }
      await freshchatCall(() => client.updateConversation(conversationId, { status: 'resolved' }));
      if (unlessCustomerWroteSince) {
        const crossed = await readUnanswered(conversationId, unlessCustomerWroteSince);
        // Still resolved: they came before the resolution. Reopened: a later message did it, and its reopen begins the next session.
        if (crossed.length > 0 && (await takeBackResolution(conversationId))) return { resolved: false, customerMessages: crossed, tookBack: true };
      }
      return { resolved: true };
    },

    /**
     * The contact key: an opaque id derived from the customer's normalised email, so two
     * Freshchat users sharing an email share a contact. The email itself never leaves
     * this activity (it would land in workflow history and search attributes), and the
     * secret the id is keyed with comes from the worker's dependencies, not the input.
     */
    async identifyContact(userId: string): Promise<{ contactId: string }> {
      const user = await freshchatCall(() => client.getUser(userId));
      const email = normaliseEmail(user.email);
      return { contactId: contactIdFor(email ? { email } : { userId }, deps.contactIdSecret) };
    },
  };
}

export type FreshchatActivities = ReturnType<typeof createFreshchatActivities>;

function ownerOf(c: { status: string; assigned_agent_id?: string | null; assigned_group_id?: string | null; url?: string }): ConversationOwner {
  return { status: c.status, assignedAgentId: c.assigned_agent_id ?? '', assignedGroupId: c.assigned_group_id ?? '', url: c.url };
}

export function normaliseEmail(email: string | null | undefined): string | undefined {
  const e = email?.trim().toLowerCase();
  return e && e.includes('@') ? e : undefined;
}

/**
 * `ct_` + the first 24 hex digits of HMAC-SHA256(secret, "email:<email>" or "user:<id>").
 * Keyed, because contact ids are search attributes: an unkeyed hash lets anyone who reads them
 * confirm a guessed email.
 */
export function contactIdFor(key: { email: string } | { userId: string }, secret: string): string {
  // A short or empty key would make ids guessable again; start-up validation makes this unreachable.
  if (secret.length < CONTACT_ID_SECRET_MIN_LENGTH) throw new Error(`the contact id secret must be at least ${CONTACT_ID_SECRET_MIN_LENGTH} characters`);
  const material = 'email' in key ? `email:${key.email}` : `user:${key.userId}`;
  return `ct_${createHmac('sha256', secret).update(material).digest('hex').slice(0, 24)}`;
}

/**
 * Freshchat began a new session (a resolution, then a reopen: a new interaction id) after the
 * message `messageId`: the newest message (`recent` is newest first) is of another interaction.
 * False when the message is not among `recent` or either has no interaction id.
 */
function beganNewSessionAfter(recent: readonly FreshchatMessage[], messageId: string): boolean {
  const then = recent.find((m) => m.id === messageId)?.interaction_id;
  const now = recent[0]?.interaction_id;
  return Boolean(then && now && then !== now);
}

/**
 * The message `same` picks, posted after the newest of the customer messages `answering` (`recent`
 * is newest first): a reply to them posted before. When none of them is among `recent` (they came
 * before what it covers, e.g. before a hand-back), the ones since `notBefore`.
 */
function postedAfter(recent: readonly FreshchatMessage[], answering: readonly string[], notBefore: string, same: (m: FreshchatMessage) => boolean): FreshchatMessage | undefined {
  const newestAnswered = recent.findIndex((m) => answering.includes(m.id));
  const since = Date.parse(notBefore);
  const after = newestAnswered >= 0 ? recent.slice(0, newestAnswered) : recent.filter((m) => Date.parse(m.created_time) >= since);
  return after.find(same);
}

/** The message an earlier attempt posted: ours, of the same type, with the same text (Freshchat may trim it). */
function isSameMessage(m: FreshchatMessage, agentId: string, text: string, messageType: 'normal' | 'private'): boolean {
  return m.actor_id === agentId && (m.message_type ?? 'normal') === messageType && describeMessageParts(m.message_parts ?? []) === text.trim();
}

const ruleLabels: Record<RuleName, string> = {
  handoff_phrase: 'handoff phrase',
  topic_policy: 'topic policy',
  sentiment: 'customer sentiment',
  confidence_floor: 'confidence below the minimum',
  reply_limit: 'AI reply limit reached',
  office_hours: 'office hours',
  ai_failure: 'AI unavailable',
  lost_ownership_race: 'a human took over',
  ops_signal: 'ops intervention',
  ai_decision: "the AI's own decision",
  customer_inactive: 'customer inactive',
  freshchat_failure: 'Freshchat unavailable',
  customer_wrote_again: 'the customer wrote again',
  action_declined: 'an action was declined',
  action_timed_out: 'nobody approved an action in time',
};

export function renderNote(note: NoteContent, traceUrl: string): string {
  const title =
    note.kind === 'handoff' ? 'AI handoff' : note.resolvedBy === 'ops' ? 'Resolved by ops' : `Resolved by the AI${note.resolutionKind ? ` (${note.resolutionKind})` : ''}`;
  const lines = [
    `${title} — session ${note.session}`,
    `Reason: ${note.reason}`,
    `Decided by: ${ruleLabels[note.rule]} (${note.rule})`,
    note.topic ? `Topic: ${note.topic}` : undefined,
    note.sentiment ? `Customer sentiment: ${note.sentiment.replace('_', ' ')}` : undefined,
    note.resolutionKind ? `Resolution: ${note.resolutionKind}` : undefined,
    note.contactId ? `Contact: ${note.contactId}` : undefined,
    note.summary ? `Summary: ${note.summary}` : undefined,
    note.citations?.length ? `Sources: ${note.citations.map((c) => (c.url ? `${c.title} <${c.url}>` : c.title)).join('; ')}` : undefined,
    note.actions?.length ? `Actions: ${note.actions.map(describeToolCall).join('; ')}` : undefined,
    `Trace: ${traceUrl}`,
  ];
  return lines.filter((l): l is string => l !== undefined).join('\n');
}

/** The first line is what the sandbox page (and a rep) recognises the request by. */
export const approvalRequestTitle = 'Action waiting for approval';

export function renderApprovalRequest(request: ApprovalRequest, traceUrl: string): string {
  const args = Object.entries(request.arguments).map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [
    `${approvalRequestTitle} — session ${request.session}`,
    `Action: ${request.tool}`,
    `Arguments: ${args.length ? args.join(', ') : '(none)'}`,
    request.reason ? `Why the AI asks: ${request.reason}` : undefined,
    'To approve, add a private note: /approve — to decline: /decline <reason>',
    `Without an answer by ${request.expiresAt} the AI hands the conversation to the team.`,
    `Trace: ${traceUrl}`,
  ]
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

function describeToolCall(call: ToolCallRecord): string {
  const outcome = call.outcome.replace('_', ' ');
  const decided = call.decidedBy ? `, ${call.outcome === 'declined' ? 'declined' : 'approved'} by ${call.decidedBy}` : '';
  return `${call.tool} (${outcome}${call.error && call.outcome !== 'ok' ? ` ${call.error}` : ''}${decided})`;
}

async function freshchatCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toActivityFailure(error);
  }
}

/**
 * Freshchat's failures in the one taxonomy: transient ones retry (Retry-After honoured), permanent 4xx stop at once.
 * Called inside activities only: each one is counted by status.
 */
export function toActivityFailure(error: unknown): unknown {
  if (!(error instanceof FreshchatApiError)) return error;
  countFreshchatFailure(error.status);
  return toApplicationFailure(error);
}
