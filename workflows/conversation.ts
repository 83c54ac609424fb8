/**
 * The conversation's state as a plain domain class: what the workflow remembers, how events
 * change it, and when its next timer is due. No Temporal calls and no I/O here, so the
 * workflow file reads like the business process and this class can be unit-tested alone.
 */
import type { RuleName } from '../rules/handoff-rules.js';
import type {
  CarriedConversation,
  ConversationStateView,
  DecisionRecord,
  FreshchatFailure,
  InboxItem,
  ResolutionKind,
  ResolvedBy,
  SessionState,
} from './messages.js';

/** Bounds that keep state (and so continue-as-new input and query results) small. */
export const limits = {
  seenEventIds: 1000,
  decisions: 100,
  pendingMessages: 50,
} as const;

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
  /** The contact's earlier conversations, summarised; loaded once per session. */
  earlierSummaries?: string[];
  /** Freshchat was down for a whole AI turn: the pending messages wait until then for the next. */
  aiTurnNotBefore?: string;
}

export interface SessionTimings {
  quietWindowMs: number;
  inactivityMs: number;
  nudge: boolean;
}

export type Deadline =
  | { kind: 'quiet_window_over'; at: number }
  | { kind: 'nudge_customer'; at: number }
  | { kind: 'resolve_inactive'; at: number }
  | { kind: 'office_hours_open'; at: number }
  | { kind: 'close_idle_workflow'; at: number };

/** A workflow with nothing left to do completes after this much quiet; a later event starts a new run. */
export const idleCloseMs = 30 * 24 * 60 * 60 * 1000;

export class Conversation {
  readonly view: ConversationStateView;
  session: SessionMemory;
  private readonly seenEventIds: string[];
  private readonly decisionLog: DecisionRecord[];
  lastActivityAt: number;

  constructor(conversationId: string, mode: ConversationStateView['mode'], now: number, carried?: CarriedConversation) {
    this.view = carried?.view ?? {
      conversationId,
      state: 'waiting',
      mode,
      session: 1,
      language: 'en',
      pendingCustomerMessages: 0,
      counters: { turns: 0, aiReplies: 0, customerMessages: 0, duplicatesIgnored: 0, droppedPosts: 0, continuedAsNew: 0 },
    };
    this.session = carried?.session ?? { startedAt: new Date(now).toISOString(), turn: 0, pending: [] };
    this.seenEventIds = carried?.seenEventIds ?? [];
    this.decisionLog = carried?.decisions ?? [];
    this.lastActivityAt = now;
  }

  get state(): SessionState {
    return this.view.state;
  }

  get decisions(): DecisionRecord[] {
    return this.decisionLog;
  }

  hasSeenEvent(eventId: string): boolean {
    return this.seenEventIds.includes(eventId);
  }

  /** Webhooks arrive at least once: true the first time an event id is seen. */
  rememberEvent(eventId: string): boolean {
    if (this.seenEventIds.includes(eventId)) {
      this.view.counters.duplicatesIgnored++;
      return false;
    }
    this.seenEventIds.push(eventId);
    if (this.seenEventIds.length > limits.seenEventIds) this.seenEventIds.shift();
    return true;
  }

  moveTo(state: SessionState): void {
    this.view.state = state;
  }

  /**
   * `sentAt` is Freshchat's own timestamp: the session's transcript is read from Freshchat
   * from the session start on, so the start must not be later than the first message.
   */
  addCustomerMessage(message: PendingMessage, sentAt: string): void {
    if (Date.parse(sentAt) < Date.parse(this.session.startedAt)) this.session.startedAt = new Date(Date.parse(sentAt)).toISOString();
    this.view.counters.customerMessages++;
    this.session.lastCustomerAt = message.at;
    this.session.nudgedAt = undefined;
    this.session.pending.push(message);
    if (this.session.pending.length > limits.pendingMessages) this.session.pending.shift();
    this.view.pendingCustomerMessages = this.session.pending.length;
  }

  /** Messages answered by a turn leave the queue; later ones stay for the next turn. */
  markAnswered(upToEventIds: string[]): void {
    this.session.pending = this.session.pending.filter((m) => !upToEventIds.includes(m.eventId));
    this.view.pendingCustomerMessages = this.session.pending.length;
  }

  /** `at`: when the session began by Freshchat's clock (the reopen or the first message). */
  startSession(at: number): void {
    this.view.session++;
    this.view.state = 'waiting';
    this.view.resolvedBy = undefined;
    this.view.resolutionKind = undefined;
    this.view.escalationRule = undefined;
    this.view.escalationReason = undefined;
    this.session = { startedAt: new Date(at).toISOString(), turn: 0, pending: [] };
    this.view.pendingCustomerMessages = 0;
  }

  /** The pending messages get their AI turn no earlier than `at` (Freshchat is down now). */
  postponeAiTurn(at: number): void {
    this.session.aiTurnNotBefore = new Date(at).toISOString();
  }

  startTurn(): number {
    this.session.aiTurnNotBefore = undefined;
    this.session.turn++;
    this.view.counters.turns++;
    return this.session.turn;
  }

  recordAiReply(now: number): void {
    this.view.counters.aiReplies++;
    this.session.lastAiReplyAt = new Date(now).toISOString();
    this.session.nudgedAt = undefined;
  }

  expectOwnAssignmentEcho(): void {
    this.session.ownAssignmentEchoes = (this.session.ownAssignmentEchoes ?? 0) + 1;
  }

  /** True when an assignment to the AI agent is the echo of the workflow's own assignment. */
  consumeOwnAssignmentEcho(): boolean {
    if (!this.session.ownAssignmentEchoes) return false;
    this.session.ownAssignmentEchoes--;
    return true;
  }

  recordNudge(now: number): void {
    this.session.nudgedAt = new Date(now).toISOString();
  }

  aiRepliesThisSession(): number {
    return this.decisionLog.filter((d) => d.session === this.view.session && d.action === 'reply' && d.outcome === 'posted').length;
  }

  recordDecision(record: DecisionRecord): void {
    this.decisionLog.push(record);
    if (this.decisionLog.length > limits.decisions) this.decisionLog.shift();
    this.view.lastDecision = record;
    if (record.outcome === 'dropped') this.view.counters.droppedPosts++;
  }

  escalated(rule: RuleName, reason: string): void {
    this.view.state = 'escalated';
    this.view.escalationRule = rule;
    this.view.escalationReason = reason;
    this.session.handoffAtOpening = undefined;
  }

  resolved(by: ResolvedBy, kind?: ResolutionKind): void {
    this.view.state = 'resolved';
    this.view.resolvedBy = by;
    this.view.resolutionKind = kind;
    this.session.pending = [];
    this.session.handoffAtOpening = undefined;
    this.view.pendingCustomerMessages = 0;
  }

  recordFailure(failure: FreshchatFailure): void {
    this.view.lastError = failure;
  }

  /** The earliest timer the workflow must wait for in its current state, if any. */
  nextDeadline(timings: SessionTimings): Deadline {
    const s = this.session;
    const idle: Deadline = { kind: 'close_idle_workflow', at: this.lastActivityAt + idleCloseMs };
    if (this.view.state !== 'ai_active') return idle;
    const candidates: Deadline[] = [idle];
    if (s.pending.length > 0 && s.lastCustomerAt) {
      const quietOver = Date.parse(s.lastCustomerAt) + timings.quietWindowMs;
      candidates.push({ kind: 'quiet_window_over', at: Math.max(quietOver, s.aiTurnNotBefore ? Date.parse(s.aiTurnNotBefore) : 0) });
    } else if (s.lastAiReplyAt && (!s.lastCustomerAt || s.lastCustomerAt <= s.lastAiReplyAt)) {
      // The AI answered and the customer has been silent since.
      if (timings.nudge && !s.nudgedAt) {
        candidates.push({ kind: 'nudge_customer', at: Date.parse(s.lastAiReplyAt) + timings.inactivityMs });
      } else {
        const since = s.nudgedAt ?? s.lastAiReplyAt;
        candidates.push({ kind: 'resolve_inactive', at: Date.parse(since) + timings.inactivityMs });
      }
    }
    if (s.handoffAtOpening) candidates.push({ kind: 'office_hours_open', at: Date.parse(s.handoffAtOpening) });
    return candidates.reduce((a, b) => (b.at < a.at ? b : a));
  }

  snapshot(inbox: InboxItem[]): CarriedConversation {
    this.view.counters.continuedAsNew++;
    return {
      view: this.view,
      session: this.session,
      seenEventIds: this.seenEventIds,
      decisions: this.decisionLog,
      inbox,
    };
  }
}
