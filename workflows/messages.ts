/**
 * The conversation workflow's messages: defined once, imported by the workflow, the
 * webhook API, the tests and the ops documentation (`temporal workflow signal --name ...`).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActionVerdict, ToolCallRecord } from '../workflow-safe/tool-calls.js';
import type { AiAction, Sentiment } from '../workflow-safe/decision.js';
import type { RuleName } from '../workflow-safe/handoff-rules.js';
import type { LanguageGuess } from '../workflow-safe/language.js';

export const conversationTaskQueueDefault = 'freshchat-ai';
export const conversationWorkflowType = 'conversationWorkflow';

export function conversationWorkflowId(conversationId: string): string {
  return `freshchat-conversation-${conversationId}`;
}

/**
 * A Freshchat webhook event, normalised by the API. Customer text is the only content it
 * carries; a customer message also carries the languages its text may be in (events sent
 * before there were guesses have none: the conversation keeps its language).
 */
export type ConversationEvent =
  | { kind: 'customer_message'; eventId: string; at: string; userId: string; text: string; languages?: LanguageGuess[] }
  | {
      kind: 'agent_message';
      eventId: string;
      at: string;
      agentId: string;
      private: boolean;
      /** A private note that is `/approve` or `/decline <reason>`: a rep's verdict on a pending action. */
      command?: { verdict: 'approve' } | { verdict: 'decline'; reason: string };
    }
  | { kind: 'assignment'; eventId: string; at: string; actorType: string; toAgentId: string; toGroupId: string }
  | { kind: 'resolution'; eventId: string; at: string; resolverType: string; resolverId: string }
  | { kind: 'reopen'; eventId: string; at: string; reopenerType: string };

export interface ConversationWorkflowInput {
  conversationId: string;
  /** Present only when the workflow continues as new. */
  carried?: CarriedConversation;
}

export type SessionState = 'waiting' | 'ai_active' | 'escalated' | 'human' | 'resolved';
export type ResolvedBy = 'ai' | 'rep' | 'ops';
export type ResolutionKind = 'confirmed' | 'assumed';

export interface DecisionRecord {
  session: number;
  turn: number;
  at: string;
  action: AiAction;
  /** The rule that decided, or 'ai_decision' when the AI's own choice stood. */
  rule: RuleName;
  reason: string;
  topic?: string;
  sentiment?: Sentiment;
  confidence?: number;
  /** The knowledge article ids the answer used. */
  sources: string[];
  /** Those articles by title and URL. */
  citations?: Array<{ articleId: string; title: string; url?: string }>;
  model?: string;
  latencyMs?: number;
  outcome: 'posted' | 'dropped' | 'escalated' | 'resolved' | 'failed';
  /** The tool calls of the turn, in order: name, outcome, latency, who approved; never arguments or responses. */
  toolCalls?: ToolCallRecord[];
}

export interface FreshchatFailure {
  at: string;
  activity: string;
  status?: number;
  code: string;
  message: string;
}

export interface ConversationStateView {
  conversationId: string;
  state: SessionState;
  mode: 'auto' | 'assigned-only';
  session: number;
  contactId?: string;
  language: string;
  sentiment?: Sentiment;
  /** The AI's latest summary of the session; earlier sessions' summaries inform the AI. */
  summary?: string;
  resolvedBy?: ResolvedBy;
  resolutionKind?: ResolutionKind;
  escalationRule?: RuleName;
  escalationReason?: string;
  lastDecision?: DecisionRecord;
  lastError?: FreshchatFailure;
  /** The conversation in Freshchat's own app, once Freshchat has said. */
  freshchatUrl?: string;
  pendingCustomerMessages: number;
  /** An action waiting for a rep's approval: `/approve` / `/decline <reason>` or the approveAction / declineAction updates. */
  pendingAction?: PendingAction;
  counters: {
    turns: number;
    aiReplies: number;
    customerMessages: number;
    duplicatesIgnored: number;
    droppedPosts: number;
    continuedAsNew: number;
  };
}

/**
 * What the session store keeps of one session (SPEC §9 reports): ids, times, labels and
 * counts, never customer text. Built by the Conversation, written by the recordSession
 * activity whenever it changes.
 */
export interface SessionRecord {
  conversationId: string;
  /** The session number in this workflow chain (the store numbers across chains). */
  session: number;
  state: SessionState;
  contactId?: string;
  startedAt: string;
  firstAiReplyAt?: string;
  endedAt?: string;
  resolvedBy?: ResolvedBy;
  resolutionKind?: ResolutionKind;
  /** The AI posted or decided at least once in the session. */
  aiTouched: boolean;
  /** The session's first escalation: the one that took it from the AI. */
  escalation?: { rule: RuleName; reason?: string; at: string };
  topic?: string;
  sentiment?: Sentiment;
  aiReplies: number;
  aiDecisions: number;
  customerMessages: number;
  freshchatUrl?: string;
}

/** One write of a session record: `revision` grows with every write of a workflow chain, so a late retry never undoes a newer one. */
export interface SessionRecordWrite {
  /** The workflow chain's first run id (stable across continue-as-new). */
  chainId: string;
  workflowId: string;
  revision: number;
  record: SessionRecord;
}

export interface PendingAction {
  tool: string;
  requestedAt: string;
  /** Past this, the AI hands the conversation off instead. */
  expiresAt: string;
}

export interface PendingMessage {
  eventId: string;
  at: string;
  text: string;
}

/** Per-session working memory (reset when a new session starts). */
export interface SessionMemory {
  startedAt: string;
  turn: number;
  pending: PendingMessage[];
  lastCustomerAt?: string;
  lastAiReplyAt?: string;
  nudgedAt?: string;
  /** ai-until-open: when office hours begin, the AI hands the conversation to the team. */
  handoffAtOpening?: string;
  /**
   * Assignments to the AI agent that the workflow itself made and whose webhook echo has not
   * come back yet. An echo is no one's decision to hand the chat to the AI: arriving after a
   * rep took over, it must not wake the AI up again.
   */
  ownAssignmentEchoes?: number;
  /**
   * Resolutions the AI made and took back (the customer wrote as they landed) whose webhook
   * echo has not come back yet: no one's decision to end the session.
   */
  ownResolutionEchoes?: number;
  /** The contact's earlier conversations, summarised; loaded once per session. */
  earlierSummaries?: string[];
  /** Freshchat was down for a whole AI turn: the pending messages wait until then for the next. */
  aiTurnNotBefore?: string;
  /** The AI's latest summary and sentiment in this session (the view's may be an earlier session's). */
  aiSummary?: string;
  aiSentiment?: Sentiment;
  /**
   * The latest hand-back to the AI in this session (a rep assigning the chat to the AI agent, or
   * ops): rep messages from before it no longer mean a rep holds the chat. Unset = the session's start.
   */
  aiOwnedSince?: string;
  /** The customer was told of a handoff in this session: a second handoff (after a hand-back) is not announced again. */
  handoffNoticeSent?: boolean;
  /**
   * The Freshchat assignee ('' = none) as the workflow last learned it (assignment events, its own
   * reads and assignments). Freshchat showing another one means an assignment webhook was lost.
   * Freshchat keeps the assignee through resolve and reopen, so the next session starts with it.
   */
  assignee?: string;
  /**
   * A person assigned the conversation while it was resolved (to the queue: '', a rep, or the AI
   * agent): Freshchat has it open again, in their hands, without a reopen webhook. The next session
   * starts where they put it. A later resolution clears it.
   */
  reassignedWhileResolved?: string;
  /** The verdict on the pending action, once given (taken by the waiting turn). */
  actionVerdict?: ActionVerdict;
  /** The tool calls of this session, for the handoff and resolution notes (the latest few). */
  actions?: ToolCallRecord[];
  /** The knowledge articles the AI's answers in this session used (titles and URLs, for the notes). */
  citations?: Array<{ articleId: string; title: string; url?: string }>;
  // What the session store reports (SessionRecord); absent in sessions that began before it existed.
  firstAiReplyAt?: string;
  endedAt?: string;
  escalation?: SessionRecord['escalation'];
  aiReplies?: number;
  aiDecisions?: number;
  customerMessages?: number;
}

/** Everything that crosses continue-as-new: plain JSON (no Map/Set). */
export interface CarriedConversation {
  view: ConversationStateView;
  session: SessionMemory;
  seenEventIds: string[];
  decisions: DecisionRecord[];
  inbox: InboxItem[];
  /** Session records not yet acknowledged by the store, and the last revision written. */
  records?: CarriedRecords;
}

export interface CarriedRecords {
  revision: number;
  unsent: SessionRecord[];
  lastQueued?: SessionRecord;
}

export type InboxItem =
  | { type: 'event'; event: ConversationEvent }
  | { type: 'forceHandoff'; reason: string }
  | { type: 'handBackToAi' }
  | { type: 'resolve'; reason: string }
  | { type: 'reloadSettings' };

export const freshchatEventSignal = defineSignal<[ConversationEvent]>('freshchatEvent');
/** Ops: `temporal workflow signal -w <id> --name forceHandoff --input '{"reason":"..."}'` */
export const forceHandoffSignal = defineSignal<[{ reason?: string } | undefined]>('forceHandoff');
/** Ops: assign the conversation back to the AI agent and let the AI answer again. */
export const handBackToAiSignal = defineSignal<[unknown?]>('handBackToAi');
/** Ops: resolve the conversation now. */
export const resolveConversationSignal = defineSignal<[{ reason?: string } | undefined]>('resolveConversation');

/** Ops: read the settings file again now, instead of at the conversation's next session. */
export const reloadSettingsSignal = defineSignal<[unknown?]>('reloadSettings');

/** What an approveAction / declineAction update did. */
export interface ActionVerdictResult {
  tool: string;
  verdict: 'approve' | 'decline';
}

/** Ops: `temporal workflow update execute -w <id> --name approveAction` runs the action waiting for approval. Refused when none waits. */
export const approveActionUpdate = defineUpdate<ActionVerdictResult, [{ by?: string } | undefined]>('approveAction');
/** Ops: `... --name declineAction --input '{"reason":"..."}'`: the AI tells the customer and hands off with that reason. */
export const declineActionUpdate = defineUpdate<ActionVerdictResult, [{ reason?: string; by?: string } | undefined]>('declineAction');

export const stateQuery = defineQuery<ConversationStateView>('state');
export const decisionsQuery = defineQuery<DecisionRecord[]>('decisions');
