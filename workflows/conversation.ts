/**
 * The conversation's state as a plain domain class: what the workflow remembers, how events
 * change it, and when its next timer is due. It owns every write to that state (callers use
 * its methods) and stamps session, turn and time on each decision record. No Temporal calls
 * and no I/O here, so it can be unit-tested alone; time is the clock's (in the workflow,
 * Date.now() is the deterministic time of the current workflow task).
 */
import type { AiDecision } from '../workflow-safe/decision.js';
import type { RuleName } from '../workflow-safe/handoff-rules.js';
import { chooseLanguage, type LanguageGuess } from '../workflow-safe/language.js';
import type { ActionVerdict, ToolCallRecord } from '../workflow-safe/tool-calls.js';
import type {
  ActionVerdictResult,
  CarriedConversation,
  ConversationEvent,
  ConversationStateView,
  DecisionRecord,
  FreshchatFailure,
  InboxItem,
  PendingAction,
  PendingMessage,
  ResolutionKind,
  ResolvedBy,
  SessionMemory,
  SessionRecord,
  SessionState,
} from './messages.js';

export type { PendingMessage, SessionMemory } from './messages.js';

/** Bounds that keep state (and so continue-as-new input and query results) small. */
export const limits = {
  seenEventIds: 1000,
  decisions: 100,
  pendingMessages: 50,
  citations: 5,
  actions: 10,
} as const;

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

/** Which session and turn a decision belongs to: taken when a turn begins, so a later session cannot claim it. */
export interface TurnRef {
  session: number;
  turn: number;
}

/** A decision as the caller knows it; the conversation adds session, turn and time. */
export type DecisionInput = Omit<DecisionRecord, 'session' | 'turn' | 'at' | 'sources'> & { sources?: string[] };

/** Told of every decision and resolution, e.g. to count them (workflows/product-metrics.ts). */
export interface ConversationObserver {
  decided(record: DecisionRecord): void;
  resolved(by: ResolvedBy, kind?: ResolutionKind): void;
}

export class Conversation {
  readonly view: ConversationStateView;
  private session: SessionMemory;
  private readonly seenEventIds: string[];
  private readonly decisionLog: DecisionRecord[];
  private readonly inbox: InboxItem[];
  private lastActivityAt: number;
  /** The AI agent's Freshchat id, once the session policy is known: it tells a takeover from our own echo. */
  private aiAgentId?: string;
  private observer?: ConversationObserver;

  constructor(
    conversationId: string,
    mode: ConversationStateView['mode'],
    now: number,
    carried?: CarriedConversation,
    private readonly clock: () => number = Date.now,
  ) {
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
    this.inbox = [...(carried?.inbox ?? [])];
    this.lastActivityAt = now;
  }

  get state(): SessionState {
    return this.view.state;
  }

  get decisions(): DecisionRecord[] {
    return this.decisionLog;
  }

  /** This session's working memory, read-only: changes go through the methods below. */
  get currentSession(): Readonly<SessionMemory> {
    return this.session;
  }

  /** The customer messages waiting for an answer, oldest first. */
  get pending(): readonly PendingMessage[] {
    return this.session.pending;
  }

  /** The routing mode and the AI agent of this run; a new conversation starts in the default language. */
  adopt(policy: { routingMode: ConversationStateView['mode']; aiAgentId: string; defaultLanguage: string }, isNewConversation: boolean): void {
    this.view.mode = policy.routingMode;
    this.aiAgentId = policy.aiAgentId;
    if (isNewConversation) this.view.language = policy.defaultLanguage;
  }

  // ---- the inbox: what arrived and is not handled yet ------------------------------------

  /** Queues what arrived; true when it may mean a human took over (the AI must stop thinking at once). */
  receive(item: InboxItem): boolean {
    this.inbox.push(item);
    switch (item.type) {
      case 'event':
        // The echo of a resolution the AI took back must not cancel the turn that answers the customer.
        if (item.event.kind === 'resolution' && this.session.ownResolutionEchoes) return false;
        return this.aiAgentId !== undefined && mayBeTakeover(item.event, this.aiAgentId);
      case 'forceHandoff':
      case 'resolve':
        return true;
      case 'handBackToAi':
      case 'reloadSettings':
        return false;
    }
  }

  /**
   * Messages read back from Freshchat that never arrived as events go first, once each. With
   * `inFreshchatOrder`, after the queued events Freshchat had before them (found by the soak: a
   * message written after a rep's resolution and the customer's reopen, both still queued, went
   * ahead of them into the session they ended, and the next session never answered it).
   */
  receiveUnseenCustomerMessages(messages: Array<Omit<Extract<ConversationEvent, { kind: 'customer_message' }>, 'kind'>>, inFreshchatOrder = false): number {
    const queued = new Set(this.inbox.flatMap((item) => (item.type === 'event' ? [item.event.eventId] : [])));
    const unseen = messages.filter((m) => !queued.has(m.eventId) && !this.seenEventIds.includes(m.eventId));
    const itemOf = (m: (typeof unseen)[number]): InboxItem => ({ type: 'event', event: { kind: 'customer_message', ...m } });
    if (!inFreshchatOrder) {
      this.inbox.unshift(...unseen.map(itemOf));
      return unseen.length;
    }
    for (const m of unseen) {
      const at = Date.parse(m.at);
      const earlier = this.inbox.map((item, index) => (item.type === 'event' && Date.parse(item.event.at) <= at ? index : -1));
      this.inbox.splice(Math.max(-1, ...earlier) + 1, 0, itemOf(m));
    }
    return unseen.length;
  }

  get hasInbox(): boolean {
    return this.inbox.length > 0;
  }

  /** The Freshchat user of the first customer message waiting in the inbox, if one does. */
  get queuedCustomerUserId(): string | undefined {
    for (const item of this.inbox) if (item.type === 'event' && item.event.kind === 'customer_message' && item.event.userId) return item.event.userId;
    return undefined;
  }

  /** An assignment event waits in the inbox: Freshchat's assignee may be newer than what the workflow has handled. */
  get hasQueuedAssignment(): boolean {
    return this.inbox.some((item) => item.type === 'event' && item.event.kind === 'assignment');
  }

  /** The next item to handle; handling it counts as activity (the idle close waits for quiet). */
  takeNext(): InboxItem | undefined {
    const item = this.inbox.shift();
    if (item) this.lastActivityAt = this.clock();
    return item;
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

  // ---- the session -----------------------------------------------------------------------

  moveTo(state: SessionState): void {
    this.view.state = state;
  }

  /**
   * `sentAt` is Freshchat's own timestamp: the session's transcript is read from Freshchat
   * from the session start on, so the start must not be later than the first message.
   * The language follows the customer's words, sticky to the language so far.
   */
  addCustomerMessage(message: PendingMessage, sentAt: string, languages?: readonly LanguageGuess[]): void {
    if (Date.parse(sentAt) < Date.parse(this.session.startedAt)) this.session.startedAt = new Date(Date.parse(sentAt)).toISOString();
    this.view.counters.customerMessages++;
    this.session.customerMessages = (this.session.customerMessages ?? 0) + 1;
    this.session.lastCustomerAt = message.at;
    this.session.nudgedAt = undefined;
    this.session.pending.push(message);
    if (this.session.pending.length > limits.pendingMessages) this.session.pending.shift();
    this.view.pendingCustomerMessages = this.session.pending.length;
    this.view.language = chooseLanguage(languages, this.view.language);
  }

  /** Messages answered by a turn leave the queue; later ones stay for the next turn. */
  markAnswered(upToEventIds: readonly string[]): void {
    this.session.pending = this.session.pending.filter((m) => !upToEventIds.includes(m.eventId));
    this.view.pendingCustomerMessages = this.session.pending.length;
  }

  identifiedContact(contactId: string): void {
    this.view.contactId = contactId;
  }

  foundInFreshchat(url: string): void {
    this.view.freshchatUrl = url;
  }

  rememberEarlierSummaries(summaries: string[]): void {
    this.session.earlierSummaries = summaries;
  }

  /** `at`: when the session began by Freshchat's clock (the reopen or the first message). */
  startSession(at: number): void {
    this.view.session++;
    this.view.state = 'waiting';
    this.view.resolvedBy = undefined;
    this.view.resolutionKind = undefined;
    this.view.escalationRule = undefined;
    this.view.escalationReason = undefined;
    this.session = { startedAt: new Date(at).toISOString(), turn: 0, pending: [], assignee: this.session.assignee };
    this.view.pendingCustomerMessages = 0;
    this.view.pendingAction = undefined;
  }

  /** A person's assignment of the resolved conversation (undefined: a resolution since, which leaves it resolved). */
  reassignedWhileResolved(agentId: string | undefined): void {
    this.session.reassignedWhileResolved = agentId;
  }

  /** What Freshchat says the assignee is now ('' = none), from an event, a read or the workflow's own assignment. */
  learnedAssignee(agentId: string): void {
    this.session.assignee = agentId;
  }

  get knownAssignee(): string | undefined {
    return this.session.assignee;
  }

  /** A rep holds the conversation now: the rep answers what is waiting, and the AI must not if handed the chat later. */
  humanTookOver(): void {
    this.view.state = 'human';
    this.markAnswered(this.session.pending.map((m) => m.eventId));
  }

  /** The chat is the AI's again from `at` on (Freshchat's time of the hand-back): a rep's earlier words are no takeover. */
  handedBackToAi(at: number): void {
    this.moveTo('ai_active');
    this.session.aiOwnedSince = new Date(at).toISOString();
  }

  /** When the chat was last handed back to the AI in this session (undefined: never): a turn that sees it change was interrupted by a human. */
  get latestHandBack(): string | undefined {
    return this.session.aiOwnedSince;
  }

  /** Since when a rep's message in Freshchat means a rep holds the chat: the session's start, or its latest hand-back. */
  get aiOwnedSince(): string {
    return this.session.aiOwnedSince ?? this.session.startedAt;
  }

  startTurn(): TurnRef {
    this.session.aiTurnNotBefore = undefined;
    this.session.turn++;
    this.view.counters.turns++;
    return { session: this.view.session, turn: this.session.turn };
  }

  /** The pending messages get their AI turn no earlier than `at` (Freshchat is down now). */
  postponeAiTurn(at: number): void {
    this.session.aiTurnNotBefore = new Date(at).toISOString();
  }

  /** What the AI learned in its turn, kept for notes, search attributes and the next turn. */
  recordAiOutcome(outcome: { language: string; decision: Pick<AiDecision, 'sentiment' | 'summary'>; citations?: SessionMemory['citations'] }): void {
    // Newest last, each article once, a handful at most: what a note lists as the session's sources.
    const cited = [...(this.session.citations ?? []), ...(outcome.citations ?? [])];
    const unique = cited.filter((c, i) => !cited.slice(i + 1).some((d) => d.articleId === c.articleId));
    if (unique.length > 0) this.session.citations = unique.slice(-limits.citations);
    this.view.language = outcome.language;
    this.view.sentiment = outcome.decision.sentiment;
    this.view.summary = outcome.decision.summary;
    this.session.aiSummary = outcome.decision.summary;
    this.session.aiSentiment = outcome.decision.sentiment;
  }

  recordAiReply(now: number): void {
    this.view.counters.aiReplies++;
    this.session.aiReplies = (this.session.aiReplies ?? 0) + 1;
    this.session.firstAiReplyAt ??= new Date(now).toISOString();
    this.session.lastAiReplyAt = new Date(now).toISOString();
    this.session.nudgedAt = undefined;
  }

  /** ai-until-open: the first AI reply after hours schedules the handoff for the opening. */
  handOffAtOpening(at: Date): void {
    this.session.handoffAtOpening ??= at.toISOString();
  }

  /** The workflow made a change whose webhook will come back: an assignment to the AI agent, or a resolution it took back. */
  expectOwnEcho(kind: OwnEchoKind): void {
    const counter = ownEchoCounters[kind];
    this.session[counter] = (this.session[counter] ?? 0) + 1;
  }

  /** True when the event is the echo of the workflow's own change (and counts it off). */
  consumeOwnEcho(kind: OwnEchoKind): boolean {
    const counter = ownEchoCounters[kind];
    if (!this.session[counter]) return false;
    this.session[counter]--;
    return true;
  }

  // ---- actions waiting for a rep's approval -------------------------------------------------

  /** The turn waits for a verdict on `tool` until `expiresAt` (the view shows it to ops). */
  awaitAction(tool: string, now: number, expiresAt: number): void {
    this.view.pendingAction = { tool, requestedAt: new Date(now).toISOString(), expiresAt: new Date(expiresAt).toISOString() };
    this.session.actionVerdict = undefined;
  }

  get pendingAction(): PendingAction | undefined {
    return this.view.pendingAction;
  }

  get actionVerdict(): ActionVerdict | undefined {
    return this.session.actionVerdict;
  }

  /** Refuses an ops update when no action waits for a verdict (nothing changes, nothing enters history). */
  assertActionWaiting(): void {
    if (!this.view.pendingAction) throw new Error('No action is waiting for approval in this conversation');
    if (this.session.actionVerdict) throw new Error(`The ${this.view.pendingAction.tool} action has its verdict already`);
  }

  /** A rep's or ops' verdict; undefined when no action waits or it has its verdict already (the first one stands). */
  decideAction(verdict: ActionVerdict): ActionVerdictResult | undefined {
    if (!this.view.pendingAction || this.session.actionVerdict) return undefined;
    this.session.actionVerdict = verdict;
    return { tool: this.view.pendingAction.tool, verdict: verdict.verdict };
  }

  /** The wait is over (a verdict, the timeout, a takeover): returns the verdict, if any; nothing waits any more. */
  endActionWait(): ActionVerdict | undefined {
    const verdict = this.session.actionVerdict;
    this.view.pendingAction = undefined;
    this.session.actionVerdict = undefined;
    return verdict;
  }

  /** A tool call of this session, for the notes (the latest few). */
  recordToolCall(record: ToolCallRecord): void {
    this.session.actions = [...(this.session.actions ?? []), record].slice(-limits.actions);
  }

  recordHandoffNotice(): void {
    this.session.handoffNoticeSent = true;
  }

  /** The session's topic: the most recent one other than "other" (a closing "thanks" has no topic of its own). */
  sessionTopic(): string | undefined {
    const topics = this.decisionLog.filter((d) => d.session === this.view.session && d.topic).map((d) => d.topic!);
    return [...topics].reverse().find((t) => t !== 'other') ?? topics.at(-1);
  }

  recordNudge(now: number): void {
    this.session.nudgedAt = new Date(now).toISOString();
  }

  aiRepliesThisSession(): number {
    return this.decisionLog.filter((d) => d.session === this.view.session && d.action === 'reply' && d.outcome === 'posted').length;
  }

  /** Records a decision, stamped with its session and turn (the current ones unless given) and the time. */
  recordDecision(decision: DecisionInput, turn: TurnRef = { session: this.view.session, turn: this.session.turn }): void {
    const record: DecisionRecord = { ...turn, at: new Date(this.clock()).toISOString(), ...decision, sources: decision.sources ?? [] };
    this.decisionLog.push(record);
    if (this.decisionLog.length > limits.decisions) this.decisionLog.shift();
    this.view.lastDecision = record;
    if (record.outcome === 'dropped') this.view.counters.droppedPosts++;
    if (record.session === this.view.session && isAiDecision(record)) this.session.aiDecisions = (this.session.aiDecisions ?? 0) + 1;
    this.observer?.decided(record);
  }

  escalated(rule: RuleName, reason: string): void {
    this.view.state = 'escalated';
    this.view.escalationRule = rule;
    this.view.escalationReason = reason;
    this.session.handoffAtOpening = undefined;
    this.session.escalation ??= { rule, reason: reportableReason(rule, reason), at: new Date(this.clock()).toISOString() };
  }

  resolved(by: ResolvedBy, kind?: ResolutionKind): void {
    this.view.state = 'resolved';
    this.view.resolvedBy = by;
    this.view.resolutionKind = kind;
    this.session.endedAt = new Date(this.clock()).toISOString();
    this.session.pending = [];
    this.session.handoffAtOpening = undefined;
    this.view.pendingCustomerMessages = 0;
    this.observer?.resolved(by, kind);
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

  /** What the session store keeps of the current session: ids, times, labels and counts. */
  sessionRecord(): SessionRecord {
    const { view, session } = this;
    const aiReplies = session.aiReplies ?? 0;
    const aiDecisions = session.aiDecisions ?? 0;
    return {
      conversationId: view.conversationId,
      session: view.session,
      state: view.state,
      contactId: view.contactId,
      startedAt: session.startedAt,
      firstAiReplyAt: session.firstAiReplyAt,
      endedAt: view.state === 'resolved' ? session.endedAt : undefined,
      resolvedBy: view.resolvedBy,
      resolutionKind: view.resolutionKind,
      aiTouched: aiReplies > 0 || aiDecisions > 0,
      escalation: session.escalation,
      topic: this.sessionTopic(),
      sentiment: session.aiSentiment,
      aiReplies,
      aiDecisions,
      customerMessages: session.customerMessages ?? 0,
      freshchatUrl: view.freshchatUrl,
    };
  }

  /** Everything the next run needs, including events that arrived but were not handled yet. */
  snapshot(): CarriedConversation {
    this.view.counters.continuedAsNew++;
    return {
      view: this.view,
      session: this.session,
      seenEventIds: this.seenEventIds,
      decisions: this.decisionLog,
      inbox: this.inbox,
    };
  }

  /** One observer per run: it is not part of the state carried to the next run. */
  observe(observer: ConversationObserver): void {
    this.observer = observer;
  }
}

/** Decisions the AI (or its rules) took; an ops signal or a Freshchat failure is not the AI deciding. */
function isAiDecision(record: DecisionRecord): boolean {
  return record.rule !== 'ops_signal' && record.rule !== 'freshchat_failure';
}

/** The store keeps the product's own wording of a reason; a model's free text (the 'ai_decision' rule) or a rep's decline may echo the customer. */
function reportableReason(rule: RuleName, reason: string): string | undefined {
  return rule === 'ai_decision' || rule === 'action_declined' ? undefined : reason.slice(0, 300);
}

/** Events that may mean a human took over; the main loop decides for sure. */
/** Where the session memory counts the echoes still to come, by kind (carried in histories under these names). */
const ownEchoCounters = { assignment: 'ownAssignmentEchoes', resolution: 'ownResolutionEchoes' } as const;
type OwnEchoKind = keyof typeof ownEchoCounters;

function mayBeTakeover(event: ConversationEvent, aiAgentId: string): boolean {
  switch (event.kind) {
    case 'agent_message':
      return !event.private && event.agentId !== aiAgentId;
    case 'assignment':
      return event.toAgentId !== aiAgentId && (event.toAgentId !== '' || event.actorType === 'agent');
    case 'resolution':
      return true;
    default:
      return false;
  }
}
