/**
 * The steps of a conversation (SPEC §4): handle what arrived, claim, run an AI turn, escalate,
 * resolve, nudge, reconcile with Freshchat. The workflow (conversation-workflow.ts) owns the
 * activity proxies, the message handlers and the main loop, and calls into this class; the
 * state lives in the Conversation domain class, which owns every write to it.
 */
import { CancellationScope, condition, isCancellation, log, patched, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AiStepOutcome, AiTurnOutcome, AiTurnRequest, AssistantActivities, SessionPolicy } from '../activities/assistant-activities.js';
import type { ContactActivities } from '../activities/contact-activities.js';
import type { CustomerNoticeKind, FreshchatActivities, LostOwnership, NoteContent, PostOutcome } from '../activities/freshchat-activities.js';
import type { AiDecision } from '../workflow-safe/decision.js';
import { failureTypes, isFreshchatFailure, readActivityFailure, type CrossedFailure } from '../workflow-safe/failures.js';
import { applyDecisionRules, escalationBeforeAi, type RuleName } from '../workflow-safe/handoff-rules.js';
import { describeOpening, officeHoursAt } from '../workflow-safe/office-hours.js';
import { boundCustomerText } from '../workflow-safe/text.js';
import { idempotencyKeyOf, type ToolActivity, type ToolCallRecord, type ToolCallRequest, type ToolPolicy, type ToolStep } from '../workflow-safe/tool-calls.js';
import type { Conversation, Deadline, SessionTimings, TurnRef } from './conversation.js';
import type { ConversationEvent, ConversationStateView, InboxItem, ResolutionKind } from './messages.js';
import { patchIds } from './patches.js';
import { searchAttributesOf } from './search-attributes.js';
import type { SessionRecorder } from './session-recorder.js';

export interface ConversationActivities {
  freshchat: FreshchatActivities;
  assistant: AssistantActivities;
  contacts: ContactActivities;
  /**
   * The reads in front of a reply (the session policy, missed messages, the contact, earlier
   * summaries): local activities in runs that began with them (no task-queue round trip each),
   * the ordinary ones above in runs from before. Whatever changes Freshchat (the claim, an
   * assignment, a post) is an ordinary activity: each is one attempt the server counts.
   */
  reads: Pick<ConversationActivities, 'freshchat' | 'assistant' | 'contacts'>;
  /** A tool's activity (`tool:<name>`), with the tool's own timeout. */
  tool: (tool: ToolPolicy) => ToolActivity;
}

/** How a wait for a rep's verdict on an action ended. */
type ActionWait = { kind: 'approved'; by: string } | { kind: 'declined'; by: string; reason: string } | { kind: 'timed_out' } | { kind: 'cancelled' };

/** An approval wait without a timeout setting (policies from before `actions`). */
const defaultApprovalTimeoutMs = 30 * 60 * 1000;

/** Workflow time: in the workflow sandbox, Date.now() is the deterministic time of the current workflow task. */
const now = (): number => Date.now();
const isoNow = (): string => new Date(now()).toISOString();
/**
 * Freshchat's timestamps bound what activities read back from Freshchat; a little slack
 * absorbs clock skew between Freshchat and the worker.
 */
const clockSkewMs = 5_000;
const freshchatInstant = (at: string): number => (Number.isNaN(Date.parse(at)) ? now() : Math.min(Date.parse(at), now()));
const freshchatTime = (at: string): number => freshchatInstant(at) - clockSkewMs;
const notBeforeNow = (): string => new Date(now() - clockSkewMs).toISOString();

/** Freshchat still failing after all its retries: the AI turn is tried again this much later. */
const freshchatOutageRetryMs = 5 * 60 * 1000;
/** A new run looks this far back for customer messages nobody answered (events Freshchat gave up on). */
const reconcileLookbackMs = 24 * 60 * 60 * 1000;
/**
 * Workflows that were running before reconciliation and the Freshchat-failure branch existed
 * replay their history without them (test/integration/replay.test.ts).
 */
const withReconciliation = (): boolean => patched(patchIds.reconcileWithFreshchat);
/** Likewise for announcing a handoff once per session, the session store, and the policy read per session. */
const withHandoffNoticeOnce = (): boolean => patched(patchIds.handoffNoticeOnce);
const withSessionRecords = (): boolean => patched(patchIds.sessionRecords);
const withPolicyPerSession = (): boolean => patched(patchIds.policyPerSession);
/** Found by the soak: a turn's outcome that arrived together with a rep's resolution and a reopen was acted on in the new session. */
const withStaleTurnDropped = (): boolean => patched(patchIds.staleTurnDropped);
/** Found by the soak: the AI resolved over customer messages that arrived after its closing words. */
const withResolveUnlessCustomerWrote = (): boolean => patched(patchIds.resolveUnlessCustomerWrote);
/** Found by the soak: a rep's message in the five seconds before a reopen counted as a takeover of the new session. */
const withExactSessionStart = (): boolean => patched(patchIds.exactSessionStart);
/** Found by the soak: a hand-back whose webhook Freshchat gave up on left the customer unanswered for the rest of the session. */
const withLostAssignmentsMadeUp = (): boolean => patched(patchIds.lostAssignmentsMadeUp);
/** Found by the soak: a rep took the chat and handed it back while the AI thought; the AI answered what had been the rep's. */
const withHandBackDuringTurn = (): boolean => patched(patchIds.handBackDuringTurn);
/** Found by the soak: a rep moved a resolved conversation to the queue (it was open again in Freshchat); the customer's next message was claimed by the AI. */
const withPersonReassignsResolved = (): boolean => patched(patchIds.personReassignsResolved);
/** Found by the soak: a customer message written as the AI's resolution landed was left unanswered; the resolution is taken back. */
const withResolutionTakenBack = (): boolean => patched(patchIds.resolutionTakenBack);
/** Found by the soak: a message read back from Freshchat went ahead of the resolution and reopen queued before it. */
const withUnseenInFreshchatOrder = (): boolean => patched(patchIds.unseenInFreshchatOrder);
/** A new run's opening reads go side by side; runs that began before this read them one after the other. */
const withOpeningReadsTogether = (): boolean => patched(patchIds.openingReadsTogether);
/** Found by the soak: a late (or retried) claim reopened a conversation a rep had just resolved, or took one a rep had taken. */
const withGuardedClaim = (): boolean => patched(patchIds.guardedClaim);

/** Search attributes change only when their values do, to keep history small. */
export class SearchAttributePublisher {
  private published = '';

  publish(view: ConversationStateView): void {
    const attributes = searchAttributesOf(view);
    const key = JSON.stringify(attributes.map((a) => a.value));
    if (key === this.published) return;
    this.published = key;
    upsertSearchAttributes(attributes);
  }
}

/**
 * Runs Freshchat activities for the workflow. A permanent refusal (401/403/404…) or retries
 * running out is recorded in the state and the search attributes (for `doctor`) instead of
 * failing the workflow; the caller gets undefined and moves on.
 */
export class FreshchatCalls {
  constructor(
    private readonly conversation: Conversation,
    private readonly searchAttributes: SearchAttributePublisher,
  ) {}

  async run<T>(activity: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      const failure = readActivityFailure(error);
      if (!failure) throw error;
      this.record(activity, failure);
      return undefined;
    }
  }

  record(activity: string, failure: CrossedFailure): void {
    this.conversation.recordFailure({ at: isoNow(), activity, status: failure.status, code: failure.code, message: failure.message });
    log.error('Freshchat call failed for good', { conversationId: this.conversation.view.conversationId, activity, status: failure.status, code: failure.code });
    this.searchAttributes.publish(this.conversation.view);
  }
}

/** The AI call in progress, if any: anything that may mean a human took over cancels it at once. */
export class InterruptibleAiTurn {
  private scope?: CancellationScope;

  cancelIf(mayBeTakeover: boolean): void {
    if (mayBeTakeover) this.cancel();
  }

  cancel(): void {
    this.scope?.cancel();
  }

  async run<T>(think: () => Promise<T>): Promise<T> {
    let mine: CancellationScope | undefined;
    try {
      return await CancellationScope.cancellable(async () => {
        mine = this.scope = CancellationScope.current();
        return think();
      });
    } finally {
      // A call dropped unread (asked beside the claim) settles after the next one began: that one stays cancellable.
      if (this.scope === mine) this.scope = undefined;
    }
  }
}

/** The AI's first step of a turn, asked before the turn began (beside the claim): the request it was asked with, and the messages it answers. */
interface EarlyAiStep {
  request: string;
  answering: string[];
  outcome: Promise<AiStepOutcome>;
}

export interface ConversationProcessDeps {
  conversation: Conversation;
  activities: ConversationActivities;
  aiTurn: InterruptibleAiTurn;
  freshchatCalls: FreshchatCalls;
  searchAttributes: SearchAttributePublisher;
  recorder: SessionRecorder;
  /**
   * Decided once per run (patch `claim-after-queued-assignments`): a customer message that comes
   * with assignment events still queued is claimed once they are handled, and a person moving a
   * waiting chat to the queue hands it to the team.
   */
  claimAfterQueuedAssignments: boolean;
  /**
   * Decided once per run (patch `ai-beside-claim`): with no quiet window, the AI is asked while
   * a claim runs; its answer counts only if the claim makes the chat the AI's and the turn asks
   * the same of the same messages.
   */
  askAiBesideClaim: boolean;
  /**
   * Decided once per run (patch `rep-keeps-message-while-claim-waits`): a customer message whose
   * claim waits for queued assignments, while a rep is the assignee last learned, is the rep's.
   */
  repKeepsMessageWhileClaimWaits: boolean;
}

export class ConversationProcess {
  private readonly conversation: Conversation;
  /** Set by begin(): the session policy the run started with, read again at each new session. */
  private policy!: SessionPolicy;
  private readonly freshchat: FreshchatActivities;
  private readonly assistant: AssistantActivities;
  private readonly contacts: ContactActivities;
  private readonly reads: ConversationActivities['reads'];
  private readonly tool: ConversationActivities['tool'];
  private readonly aiTurn: InterruptibleAiTurn;
  private readonly calls: FreshchatCalls;
  private readonly searchAttributes: SearchAttributePublisher;
  private readonly recorder: SessionRecorder;
  private readonly conversationId: string;
  private readonly claimAfterQueuedAssignments: boolean;
  private readonly askAiBesideClaim: boolean;
  private readonly repKeepsMessageWhileClaimWaits: boolean;
  /** The AI call made beside the claim, until the turn takes it or it is dropped (cancelled). */
  private earlyStep?: EarlyAiStep;
  /** A customer message's claim waits for the assignments queued behind it (handleInbox runs it when they are handled). */
  private claimDeferred = false;

  constructor(deps: ConversationProcessDeps) {
    this.conversation = deps.conversation;
    this.freshchat = deps.activities.freshchat;
    this.assistant = deps.activities.assistant;
    this.contacts = deps.activities.contacts;
    this.reads = deps.activities.reads;
    this.tool = deps.activities.tool;
    this.aiTurn = deps.aiTurn;
    this.calls = deps.freshchatCalls;
    this.searchAttributes = deps.searchAttributes;
    this.recorder = deps.recorder;
    this.conversationId = deps.conversation.view.conversationId;
    this.claimAfterQueuedAssignments = deps.claimAfterQueuedAssignments;
    this.askAiBesideClaim = deps.askAiBesideClaim;
    this.repKeepsMessageWhileClaimWaits = deps.repKeepsMessageWhileClaimWaits;
  }

  get timings(): SessionTimings {
    return { quietWindowMs: this.policy.quietWindowMs, inactivityMs: this.policy.inactivityMs, nudge: this.policy.nudge };
  }

  /**
   * The run begins: settings adopted, attributes published; a new run catches up with Freshchat.
   * The reads a new conversation's first reply waits on (the policy, messages Freshchat has that
   * the workflow never saw, the customer's contact and their earlier summaries) go side by side.
   */
  async begin(isNewRun: boolean, loadPolicy: () => Promise<SessionPolicy>): Promise<void> {
    // A new run may start for a conversation whose earlier events never arrived.
    const reconcile = () => (isNewRun && withReconciliation() ? this.takeUnseenCustomerMessages(new Date(now() - reconcileLookbackMs).toISOString()) : undefined);
    if (withOpeningReadsTogether()) {
      const [policy] = await Promise.all([loadPolicy(), reconcile(), this.identifyFirstCustomer()]);
      this.policy = policy;
      this.conversation.adopt(policy, isNewRun);
      this.publish();
      return;
    }
    this.policy = await loadPolicy();
    this.conversation.adopt(this.policy, isNewRun);
    this.publish();
    await reconcile();
  }

  /** The contact of the customer whose message started the run, and what the AI may know from their other conversations. */
  private async identifyFirstCustomer(): Promise<void> {
    const userId = this.conversation.queuedCustomerUserId;
    if (this.conversation.view.contactId || !userId) return;
    await this.identifyContact(userId);
    const contactId = this.conversation.view.contactId;
    if (contactId) this.conversation.rememberEarlierSummaries(await this.loadEarlierSummaries(contactId));
  }

  /** The workflow closes: the store gets the session's final counts too (continue-as-new carries them instead). */
  recordFinalCounts(): void {
    if (withSessionRecords()) this.recorder.flush(this.conversation.sessionRecord());
  }

  /** Handles everything that arrived, in order; a claim deferred behind queued assignments comes once they are handled. */
  async handleInbox(): Promise<void> {
    for (;;) {
      for (let item = this.conversation.takeNext(); item; item = this.conversation.takeNext()) await this.handle(item);
      if (this.conversation.state !== 'ai_active') this.dropEarlyStep(); // a rep, ops or Freshchat holds it now
      if (!this.claimDeferred) return;
      this.claimDeferred = false;
      if (this.conversation.state !== 'waiting') continue; // the assignments decided: a rep, the queue or the AI holds it
      await this.claimIfOurs();
      this.publish();
    }
  }

  async onDeadline(deadline: Deadline): Promise<void> {
    switch (deadline.kind) {
      case 'quiet_window_over':
        return this.runAiTurn();
      case 'nudge_customer': {
        if (withReconciliation() && (await this.takeUnseenCustomerMessages(this.sinceLastAiReply()))) return;
        const outcome = await this.postNotice('nudge');
        if (outcome?.posted) this.conversation.recordNudge(now());
        else if (outcome) this.followFreshchat(outcome);
        return;
      }
      case 'resolve_inactive':
        if (withReconciliation() && (await this.takeUnseenCustomerMessages(this.sinceLastAiReply()))) return;
        this.conversation.recordDecision({ action: 'resolve', rule: 'customer_inactive', reason: 'customer inactive', outcome: 'resolved' });
        return this.resolve({ by: 'ai', kind: 'assumed', rule: 'customer_inactive', reason: 'customer inactive' });
      case 'office_hours_open': {
        const reason = 'Office hours began: the team takes over from the AI';
        this.conversation.recordDecision({ action: 'escalate', rule: 'office_hours', reason, outcome: 'escalated' });
        return this.escalate('office_hours', reason);
      }
      case 'close_idle_workflow':
        return;
    }
  }

  // ---- what arrived ------------------------------------------------------------------------

  private async handle(item: InboxItem): Promise<void> {
    const c = this.conversation;
    switch (item.type) {
      case 'event':
        if (c.rememberEvent(item.event.eventId)) await this.onFreshchatEvent(item.event);
        return;
      case 'forceHandoff':
        if (c.state === 'resolved' || c.state === 'human') return;
        c.recordDecision({ action: 'escalate', rule: 'ops_signal', reason: item.reason, outcome: 'escalated' });
        return this.escalate('ops_signal', item.reason);
      case 'handBackToAi':
        if (c.state === 'ai_active' || c.state === 'resolved') return;
        if (await this.assignToAiAgent()) {
          c.handedBackToAi(now());
          this.publish();
        }
        return;
      case 'resolve':
        if (c.state === 'resolved') return;
        return this.resolve({ by: 'ops', rule: 'ops_signal', reason: item.reason });
      case 'reloadSettings':
        return this.reloadPolicy();
    }
  }

  private async onFreshchatEvent(event: ConversationEvent): Promise<void> {
    const c = this.conversation;
    const aiAgentId = this.policy.aiAgentId;
    switch (event.kind) {
      case 'customer_message':
        return this.onCustomerMessage(event);
      case 'agent_message':
        if (event.private && event.command) return this.onActionVerdict(event);
        if (event.private || event.agentId === aiAgentId || c.state === 'resolved') return;
        // Automation greetings come as agent messages too: only a real agent is a rep.
        if (await this.calls.run('isRepAgent', () => this.freshchat.isRepAgent(event.agentId))) this.humanTookOver();
        return;
      case 'assignment':
        c.learnedAssignee(event.toAgentId ?? '');
        if (c.state === 'resolved') {
          // A person (not the AI's own late claim) opens it again in Freshchat this way: the next session begins in their hands.
          if (event.actorType === 'agent' && withPersonReassignsResolved()) c.reassignedWhileResolved(event.toAgentId ?? '');
          return;
        }
        if (event.toAgentId === aiAgentId && c.consumeOwnEcho('assignment')) return;
        return this.followAssignment(event.toAgentId, Math.min(Date.parse(event.at) || now(), now()), event.actorType);
      case 'resolution':
        if (c.state === 'resolved') {
          c.reassignedWhileResolved(undefined);
          return;
        }
        if (c.consumeOwnEcho('resolution')) return;
        c.resolved('rep');
        this.publish();
        return;
      case 'reopen':
        if (c.state !== 'resolved') return;
        await this.startNextSession(event.at);
        this.publish();
        return;
    }
  }

  /** A rep's `/approve` or `/decline <reason>` note: the verdict on the action waiting, if one is (the first verdict stands). */
  private async onActionVerdict(event: Extract<ConversationEvent, { kind: 'agent_message' }>): Promise<void> {
    const c = this.conversation;
    if (!c.pendingAction || !event.command || event.agentId === this.policy.aiAgentId) return;
    if (!(await this.calls.run('isRepAgent', () => this.freshchat.isRepAgent(event.agentId)))) return;
    const by = `rep:${event.agentId}`;
    c.decideAction(event.command.verdict === 'approve' ? { verdict: 'approve', by } : { verdict: 'decline', by, reason: event.command.reason || 'no reason given' });
  }

  private async onCustomerMessage(event: Extract<ConversationEvent, { kind: 'customer_message' }>): Promise<void> {
    const c = this.conversation;
    // Freshchat reopens a resolved conversation when the customer writes again.
    if (c.state === 'resolved') await this.startNextSession(event.at);
    if ((c.state === 'human' || c.state === 'escalated') && withLostAssignmentsMadeUp()) await this.takeUpLostAssignment();
    // Freshchat's assignee may already be what a queued assignment says (the workflow is behind): the claim goes by that event
    // first (found by the soak: a claim read "unassigned" after a rep had moved the chat to the queue, and the AI answered).
    const claimLater = c.state === 'waiting' && this.claimAfterQueuedAssignments && c.hasQueuedAssignment;
    if (claimLater) this.claimDeferred = true;
    // The API bounds customer text already; signals from elsewhere (ops, older APIs) are bounded here.
    c.addCustomerMessage({ eventId: event.eventId, at: isoNow(), text: boundCustomerText(event.text) }, event.at, event.languages);
    // A rep holds the conversation: the rep answers, so nothing waits for the AI. While the claim waits, the assignee the events
    // so far leave is who held it when the customer wrote, as the claim would have found (Freshchat keeps a rep through a reopen;
    // found by the soak: the AI answered such a message after the rep handed the chat back).
    if (c.state === 'human' || (claimLater && this.repKeepsMessageWhileClaimWaits && this.heldByRep())) c.markAnswered([event.eventId]);
    const identify = !c.view.contactId && event.userId ? () => this.identifyContact(event.userId) : undefined;
    const claim = c.state === 'waiting' && !claimLater ? () => this.claimIfOurs() : undefined;
    await identify?.();
    if (claim) {
      const claiming = claim();
      // No quiet window: the AI is asked while the claim runs, instead of after it (the answer waits for the claim's verdict).
      if (this.mayAskBesideClaim()) this.earlyStep = this.askAhead();
      await claiming; // a claim that leaves the chat to someone else drops the early step (handleInbox)
    }
    this.publish();
  }

  /** The assignee last learned is someone other than the AI agent (the claim leaves such a chat to them). */
  private heldByRep(): boolean {
    const assignee = this.conversation.knownAssignee;
    return assignee !== undefined && assignee !== '' && assignee !== this.policy.aiAgentId;
  }

  /** Auto routing's guarded claim, no quiet window, and nothing that hands off before the AI is asked; the inputs of the turn known. */
  private mayAskBesideClaim(): boolean {
    const c = this.conversation;
    const p = this.policy;
    if (!this.askAiBesideClaim || p.routingMode !== 'auto' || !withGuardedClaim() || p.quietWindowMs !== 0) return false;
    if (c.view.contactId && c.currentSession.earlierSummaries === undefined) return false; // the turn loads them first
    const customerText = c.pending.map((m) => m.text).join('\n');
    return !escalationBeforeAi(customerText, p.handoff.phrases, officeHoursAt(new Date(now()), p.officeHours), p.officeHours?.afterHours);
  }

  /** The first AI call of the turn to come, asked now (see askAi). A handled rejection: a step dropped unread fails nothing. */
  private askAhead(): EarlyAiStep {
    const request = this.aiStepRequest([], (this.policy.actions?.maxToolCallsPerTurn ?? 0) > 0);
    const outcome = this.aiTurn.run(() => this.assistant.decideNextStep(request));
    outcome.catch(() => undefined);
    return { request: JSON.stringify(request), answering: this.conversation.pending.map((m) => m.eventId), outcome };
  }

  /** The early step, if the turn asks the same of the same messages; otherwise it is cancelled and the turn asks anew. */
  private takeEarlyStep(request: AiTurnRequest, answering: string[]): Promise<AiStepOutcome> | undefined {
    const early = this.earlyStep;
    if (early && early.request === JSON.stringify(request) && early.answering.join() === answering.join()) {
      this.earlyStep = undefined;
      return early.outcome;
    }
    this.dropEarlyStep();
    return undefined;
  }

  private dropEarlyStep(): void {
    if (!this.earlyStep) return;
    this.earlyStep = undefined;
    this.aiTurn.cancel();
  }

  /**
   * While a rep or the queue holds the chat, the customer's message asks Freshchat who has it: an
   * assignment whose webhook Freshchat gave up on (a hand-back to the AI, a rep taking the chat
   * from the queue) is handled as if it had arrived. One read per message the AI does not answer.
   */
  private async takeUpLostAssignment(): Promise<void> {
    const known = this.conversation.knownAssignee;
    if (known === undefined) return; // nothing learned yet to compare with (a workflow from before this)
    const owner = await this.calls.run('readConversationOwner', () => this.freshchat.readConversationOwner(this.conversationId));
    if (!owner || owner.status === 'resolved' || owner.assignedAgentId === known) return;
    // Not lost, only not handled yet (the workflow is behind Freshchat, or the webhook came during the read): the event
    // comes next and says what happened when (found by the soak: the customer's message went to the AI, not the rep).
    if (this.conversation.hasQueuedAssignment) return;
    log.info('an assignment Freshchat did not deliver, taken up', { conversationId: this.conversationId });
    this.conversation.learnedAssignee(owner.assignedAgentId);
    // As the assignment event would have (never the echo of the AI's own assignment: it does not assign itself while a
    // human holds the chat), from now on: the AI agent is a hand-back, a rep a takeover; the queue leaves it where it is.
    this.followAssignment(owner.assignedAgentId, now(), 'agent');
  }

  /** Freshchat assigned the chat (`at`: when, by Freshchat's clock): to the AI agent, a rep, or the queue. */
  private followAssignment(toAgentId: string, at: number, actorType: string): void {
    const c = this.conversation;
    if (toAgentId === this.policy.aiAgentId) {
      if (c.state !== 'ai_active') {
        c.handedBackToAi(at);
        this.publish();
      }
    } else if (toAgentId) {
      this.humanTookOver();
    } else if (actorType === 'agent' && (c.state === 'ai_active' || (c.state === 'waiting' && this.claimAfterQueuedAssignments))) {
      this.movedToQueueByPerson();
      this.publish();
    }
  }

  /** A person put the conversation in the queue: the AI steps back (no notice, no note: the team has it already). */
  private movedToQueueByPerson(): void {
    this.conversation.escalated('ops_signal', 'Moved to the queue by an agent in Freshchat');
  }

  private async identifyContact(userId: string): Promise<void> {
    const contact = await this.calls.run('identifyContact', () => this.reads.freshchat.identifyContact(userId));
    if (contact) this.conversation.identifiedContact(contact.contactId);
  }

  /** Context for the AI, never a reason to keep the customer waiting: a failure is no summaries. */
  private loadEarlierSummaries(contactId: string): Promise<string[]> {
    return this.reads.contacts.loadEarlierSummaries({ contactId, conversationId: this.conversationId }).catch(() => []);
  }

  /** SPEC §4 routing: whose conversation is this, and may the AI answer it? */
  private async claimIfOurs(): Promise<void> {
    const auto = this.policy.routingMode === 'auto';
    // Auto routing asks once: who holds it, and the AI's assignment when it is open and nobody's (fewer calls before the reply).
    const guarded = auto && withGuardedClaim();
    const claim = guarded ? await this.calls.run('claimForAiAgent', () => this.freshchat.claimForAiAgent(this.conversationId)) : undefined;
    const owner = guarded ? claim?.owner : await this.calls.run('readConversationOwner', () => this.freshchat.readConversationOwner(this.conversationId));
    if (!owner) return;
    this.conversation.learnedAssignee(owner.assignedAgentId);
    // A closed conversation (messages taken up by reconciliation) is not claimed: that would reopen it.
    if (owner.status === 'resolved' && withReconciliation()) return;
    if (owner.url && owner.url !== this.conversation.view.freshchatUrl) {
      this.conversation.foundInFreshchat(owner.url);
      upsertMemo({ freshchatUrl: owner.url });
    }
    if (claim?.claimed) {
      this.conversation.expectOwnEcho('assignment');
      this.conversation.learnedAssignee(this.policy.aiAgentId);
      this.conversation.moveTo('ai_active');
    } else if (owner.assignedAgentId === this.policy.aiAgentId) {
      this.conversation.moveTo('ai_active');
    } else if (owner.assignedAgentId) {
      this.humanTookOver();
    } else if (auto && !guarded) {
      if (await this.assignToAiAgent()) this.conversation.moveTo('ai_active');
    }
  }

  private async assignToAiAgent(): Promise<boolean> {
    const assigned = await this.calls.run('assignToAiAgent', () => this.freshchat.assignToAiAgent(this.conversationId));
    if (assigned === undefined) return false;
    this.conversation.expectOwnEcho('assignment');
    this.conversation.learnedAssignee(assigned);
    return true;
  }

  /** `at`: Freshchat's time of the reopen or the first message. A new session follows the settings file as it is now. */
  private async startNextSession(at: string): Promise<void> {
    // Exactly when Freshchat reopened: a rep's words just before belong to the session before (with the slack, they took the
    // new session from the AI). A first message Freshchat timed a little earlier still moves the start back to it.
    const reassigned = this.conversation.currentSession.reassignedWhileResolved;
    this.conversation.startSession(withExactSessionStart() ? freshchatInstant(at) : freshchatTime(at));
    if (withPolicyPerSession()) await this.reloadPolicy();
    // Where a person put the conversation while it was resolved: the queue or a rep holds it (no claim); the AI agent is a hand-back.
    if (reassigned === '') this.movedToQueueByPerson();
    else if (reassigned && reassigned !== this.policy.aiAgentId) this.conversation.humanTookOver();
  }

  /** The settings file as the worker reads it now; while Freshchat or the settings refuse, the current policy stays. */
  private async reloadPolicy(): Promise<void> {
    const policy = await this.calls.run('loadSessionPolicy', () => this.reads.assistant.loadSessionPolicy());
    if (!policy) return;
    this.policy = policy;
    this.conversation.adopt(policy, false);
  }

  /** Freshchat says the AI no longer holds the conversation: the workflow follows Freshchat. */
  private followFreshchat(lost: LostOwnership): void {
    // The new session's events (the rep's resolution, the reopen, the customer's message) are in the inbox: they say what comes next.
    if (lost.lostTo === 'new_session') return;
    if (lost.lostTo === 'rep') return this.humanTookOver();
    if (lost.lostTo === 'resolved') {
      this.conversation.resolved('rep');
    } else if (this.conversation.state === 'ai_active') {
      this.conversation.escalated('lost_ownership_race', lost.reason);
    }
    this.publish();
  }

  private humanTookOver(): void {
    if (this.conversation.state === 'human' || this.conversation.state === 'resolved') return;
    this.conversation.humanTookOver();
    this.publish();
  }

  /**
   * Reconciles with Freshchat: customer messages nobody answered that the workflow has never
   * seen (their webhooks were lost, e.g. while Temporal was down) join the inbox, ahead of what
   * is queued, once each. True when there were any.
   */
  private async takeUnseenCustomerMessages(since: string): Promise<boolean> {
    const unanswered = await this.calls.run('readUnansweredCustomerMessages', () =>
      this.reads.freshchat.readUnansweredCustomerMessages({ conversationId: this.conversationId, since }),
    );
    const taken = this.conversation.receiveUnseenCustomerMessages(unanswered ?? [], withUnseenInFreshchatOrder());
    if (taken > 0) log.info('customer messages taken up from Freshchat', { conversationId: this.conversationId, count: taken });
    return taken > 0;
  }

  private sinceLastAiReply(): string {
    const session = this.conversation.currentSession;
    return new Date(Date.parse(session.lastAiReplyAt ?? session.startedAt) - clockSkewMs).toISOString();
  }

  // ---- the AI turn ---------------------------------------------------------------------------

  private async runAiTurn(): Promise<void> {
    const c = this.conversation;
    const p = this.policy;
    const turn = c.startTurn();
    const handedBackAt = c.latestHandBack;
    const answering = c.pending.map((m) => m.eventId);
    const customerText = c.pending.map((m) => m.text).join('\n');
    const notBefore = notBeforeNow();

    const hours = officeHoursAt(new Date(now()), p.officeHours);
    const handOff = escalationBeforeAi(customerText, p.handoff.phrases, hours, p.officeHours?.afterHours);
    if (handOff) {
      this.dropEarlyStep();
      c.markAnswered(answering);
      c.recordDecision({ action: 'escalate', rule: handOff.rule, reason: handOff.reason, outcome: 'escalated' }, turn);
      return this.escalate(handOff.rule, handOff.reason);
    }

    if (c.currentSession.earlierSummaries === undefined && c.view.contactId) c.rememberEarlierSummaries(await this.loadEarlierSummaries(c.view.contactId));
    const outcome = await this.decideWithTools(turn, answering, handedBackAt);
    if (!outcome) return;

    // Ownership check 1 of 2: events that arrived while the AI was thinking come first.
    await this.handleInbox();
    const decided = {
      topic: outcome.decision.topic,
      sentiment: outcome.decision.sentiment,
      confidence: outcome.decision.confidence,
      sources: outcome.sources,
      // Outcomes recorded before citations existed have none (test/integration/replay.test.ts).
      citations: outcome.citations?.length ? outcome.citations : undefined,
      model: outcome.model,
      latencyMs: outcome.latencyMs,
      toolCalls: outcome.toolCalls,
    };
    c.recordAiOutcome(outcome);
    // A resolution and a reopen may have come in meanwhile: the new session is the AI's again, but this answer was for the old one.
    // A takeover and a hand-back may both have come in: the chat is the AI's again, but the messages of this turn were the rep's.
    const heldMeanwhile = c.state === 'ai_active' && c.latestHandBack !== handedBackAt && withHandBackDuringTurn();
    if (c.state !== 'ai_active' || (c.view.session !== turn.session && withStaleTurnDropped()) || heldMeanwhile) {
      const since = heldMeanwhile ? 'handed back since' : c.state;
      c.recordDecision({ ...decided, action: outcome.decision.action, rule: 'lost_ownership_race', reason: `A human took over while the AI was thinking (now ${since})`, outcome: 'dropped' }, turn);
      return;
    }

    const ruled = applyDecisionRules(outcome.decision, { topics: p.topics, handoff: p.handoff, aiRepliesSoFar: c.aiRepliesThisSession() });
    c.markAnswered(answering);
    switch (ruled.action) {
      case 'reply': {
        // Ownership check 2 of 2 happens inside postAiReply, against Freshchat's own state.
        const posted = await this.postAiReply(outcome.decision.reply, notBefore, answering);
        if (posted?.posted) {
          c.recordAiReply(now());
          c.recordDecision({ ...decided, action: 'reply', rule: ruled.rule, reason: ruled.reason, outcome: 'posted' }, turn);
          if (!hours.open && hours.nextOpening && p.officeHours?.afterHours === 'ai-until-open') c.handOffAtOpening(hours.nextOpening);
        } else if (posted) {
          c.recordDecision({ ...decided, action: 'reply', rule: 'lost_ownership_race', reason: posted.reason, outcome: 'dropped' }, turn);
          this.followFreshchat(posted);
        } else {
          c.recordDecision({ ...decided, action: 'reply', rule: ruled.rule, reason: 'Freshchat refused the reply', outcome: 'failed' }, turn);
        }
        break;
      }
      case 'escalate':
        c.recordDecision({ ...decided, action: 'escalate', rule: ruled.rule, reason: ruled.reason, outcome: 'escalated' }, turn);
        await this.escalate(ruled.rule, ruled.reason, outcome.decision);
        break;
      case 'resolve':
        c.recordDecision({ ...decided, action: 'resolve', rule: ruled.rule, reason: ruled.reason, outcome: 'resolved' }, turn);
        await this.resolve({ by: 'ai', kind: 'confirmed', rule: ruled.rule, reason: ruled.reason, decision: outcome.decision });
        break;
    }
    this.publish();
  }

  /**
   * The AI turn as a bounded loop: a model call, and while the model asks for a tool, the tool's
   * activity (after a rep's approval where the settings ask for one), then the next model call,
   * at most `actions.maxToolCallsPerTurn` tool calls. Undefined when the turn ended without a
   * decision: see askAi; an action declined or not approved in time hands off; a human took over.
   */
  private async decideWithTools(turn: TurnRef, answering: string[], handedBackAt: string | undefined): Promise<(AiTurnOutcome & { toolCalls?: ToolCallRecord[] }) | undefined> {
    const c = this.conversation;
    const maxCalls = this.policy.actions?.maxToolCallsPerTurn ?? 0;
    const steps: ToolStep[] = [];
    const records: ToolCallRecord[] = [];
    for (;;) {
      const outcome = await this.askAi(turn, answering, steps, steps.length < maxCalls);
      if (!outcome) return undefined;
      if (!('toolCall' in outcome)) return records.length > 0 ? { ...outcome, toolCalls: records } : outcome;
      if (steps.length >= maxCalls) {
        // The provider was told to decide: a call now is the AI failing, like an invalid answer.
        c.markAnswered(answering);
        c.recordDecision({ action: 'escalate', rule: 'ai_failure', reason: 'The AI asked for more tool calls than a turn allows', outcome: 'escalated', toolCalls: records }, turn);
        await this.escalate('ai_failure', 'AI unavailable');
        return undefined;
      }
      const step = await this.callTool(turn, outcome.toolCall, steps.length + 1, records, answering, handedBackAt);
      if (!step) return undefined;
      steps.push(step);
      // What arrived during the call comes first: the next model call is the AI's only while the chat is (and was all along).
      await this.handleInbox();
      if (!this.stillTheAis(turn, handedBackAt)) {
        c.recordDecision({ action: 'reply', rule: 'lost_ownership_race', reason: `A human took over while the AI used its tools (now ${c.state})`, outcome: 'dropped', toolCalls: records }, turn);
        return undefined;
      }
    }
  }

  /**
   * One tool call of the turn, as a step for the model; undefined when the turn ends here (the
   * action was declined, timed out or taken over). Its Idempotency-Key is the same on every attempt.
   */
  private async callTool(turn: TurnRef, call: ToolCallRequest, step: number, records: ToolCallRecord[], answering: string[], handedBackAt: string | undefined): Promise<ToolStep | undefined> {
    const c = this.conversation;
    const done = (outcome: ToolStep['outcome'], details: Omit<ToolCallRecord, 'tool' | 'outcome'> & { result?: Record<string, unknown> } = {}): ToolStep => {
      const { result, ...recorded } = details;
      const record: ToolCallRecord = { tool: call.tool, outcome, ...recorded };
      records.push(record);
      c.recordToolCall(record);
      return { tool: call.tool, arguments: call.arguments, outcome, ...(result && { result }), ...(details.error && { error: details.error }) };
    };
    const tool = this.policy.tools?.find((t) => t.name === call.tool);
    if (!tool) return done('failed', { error: 'UNKNOWN_TOOL' });
    if (call.invalid) return done('invalid_arguments', { error: 'TOOL_INVALID_ARGUMENTS' });

    let decidedBy: string | undefined;
    if (tool.approval === 'rep') {
      const waited = await this.awaitVerdict(turn, call, handedBackAt);
      switch (waited.kind) {
        case 'cancelled':
          done('cancelled');
          c.recordDecision({ action: 'reply', rule: 'lost_ownership_race', reason: `A human took over while ${call.tool} waited for approval (now ${c.state})`, outcome: 'dropped', toolCalls: records }, turn);
          return undefined;
        case 'declined':
        case 'timed_out': {
          const declined = waited.kind === 'declined';
          done(waited.kind, declined ? { decidedBy: waited.by } : {});
          const rule = declined ? 'action_declined' : 'action_timed_out';
          const minutes = Math.round((this.policy.actions?.approvalTimeoutMs ?? defaultApprovalTimeoutMs) / 60_000);
          const reason = declined ? `The ${call.tool} action was declined by ${waited.by}: ${waited.reason}` : `Nobody approved the ${call.tool} action within ${minutes} minutes`;
          c.markAnswered(answering);
          c.recordDecision({ action: 'escalate', rule, reason, outcome: 'escalated', toolCalls: records }, turn);
          await this.handOffAfterAction(rule, reason);
          return undefined;
        }
        case 'approved':
          decidedBy = waited.by;
      }
    }

    const { workflowId, firstExecutionRunId: chainId } = workflowInfo();
    const idempotencyKey = idempotencyKeyOf({ workflowId, chainId, session: turn.session, turn: turn.turn, step });
    try {
      const answered = await this.tool(tool)({ arguments: call.arguments, idempotencyKey });
      return done('ok', { latencyMs: answered.latencyMs, decidedBy, result: answered.result });
    } catch (error) {
      const failure = readActivityFailure(error);
      if (!failure) throw error;
      // Codes and statuses only: the tool's answer, like its arguments, may hold customer data.
      log.warn('Tool call failed after its retries', { conversationId: this.conversationId, tool: call.tool, code: failure.code, status: failure.status });
      return done('failed', { decidedBy, error: failure.code });
    }
  }

  /**
   * An action that needs a rep: the customer is told the AI is checking with the team, the reps
   * get a private note with the action, its arguments and the AI's reason, and the turn waits
   * (durably, up to the approval timeout) for `/approve`, `/decline <reason>` or an ops update.
   * A rep taking over, a resolution or a handoff meanwhile cancels the action.
   */
  private async awaitVerdict(turn: TurnRef, call: ToolCallRequest, handedBackAt: string | undefined): Promise<ActionWait> {
    const c = this.conversation;
    const expiresAt = now() + (this.policy.actions?.approvalTimeoutMs ?? defaultApprovalTimeoutMs);
    const notBefore = notBeforeNow();
    c.awaitAction(call.tool, now(), expiresAt);
    const told = await this.postNotice('actionPending', undefined, notBefore);
    if (told && !told.posted) {
      c.endActionWait();
      this.followFreshchat(told);
      return { kind: 'cancelled' };
    }
    const request = { session: turn.session, tool: call.tool, arguments: call.arguments, reason: call.reason, expiresAt: new Date(expiresAt).toISOString() };
    await this.calls.run('postApprovalRequest', () => this.freshchat.postApprovalRequest({ conversationId: this.conversationId, request, notBefore }));
    for (;;) {
      const remainingMs = expiresAt - now();
      if (remainingMs > 0 && !c.hasInbox && !c.actionVerdict) {
        this.recorder.sendQueued();
        await condition(() => c.hasInbox || c.actionVerdict !== undefined, remainingMs, { summary: `waiting for a rep to approve ${call.tool}` });
      }
      await this.handleInbox();
      if (!this.stillTheAis(turn, handedBackAt)) {
        c.endActionWait();
        return { kind: 'cancelled' };
      }
      const verdict = c.actionVerdict;
      if (verdict) {
        c.endActionWait();
        return verdict.verdict === 'approve' ? { kind: 'approved', by: verdict.by } : { kind: 'declined', by: verdict.by, reason: verdict.reason };
      }
      if (now() >= expiresAt) {
        c.endActionWait();
        return { kind: 'timed_out' };
      }
    }
  }

  /** The turn may go on: the chat is the AI's, in the turn's session, and no human held it in between (a takeover, then a hand-back). */
  private stillTheAis(turn: TurnRef, handedBackAt: string | undefined): boolean {
    const c = this.conversation;
    return c.state === 'ai_active' && c.view.session === turn.session && c.latestHandBack === handedBackAt;
  }

  /** Declined or not approved in time: the customer hears so (that is the handoff's announcement too), then the team takes over. */
  private async handOffAfterAction(rule: RuleName, reason: string): Promise<void> {
    const told = await this.postNotice('actionDeclined');
    if (told?.posted) this.conversation.recordHandoffNotice();
    await this.escalate(rule, reason);
  }

  /**
   * One model call: the AI's decision or the tool it asks for, or undefined when the turn ended
   * without one: cancelled by a takeover, Freshchat unavailable (the turn waits), or the AI
   * failing (the customer is handed off).
   */
  private async askAi(turn: TurnRef, answering: string[], steps: ToolStep[], mayCallTools: boolean): Promise<AiStepOutcome | undefined> {
    const c = this.conversation;
    const request = this.aiStepRequest(steps, mayCallTools);
    try {
      return await (this.takeEarlyStep(request, answering) ?? this.aiTurn.run(() => this.assistant.decideNextStep(request)));
    } catch (error) {
      if (isCancellation(error)) {
        c.recordDecision({ action: 'reply', rule: 'lost_ownership_race', reason: 'AI turn cancelled: a human may have taken over', outcome: 'dropped' }, turn);
        return undefined;
      }
      const failure = readActivityFailure(error);
      if (isFreshchatFailure(failure) && withReconciliation()) {
        // Freshchat failed, not the AI: no "AI unavailable" handoff (Freshchat could not take it either).
        this.calls.record('decideNextStep', failure);
        if (failure.type === failureTypes.freshchatPermanent) {
          c.markAnswered(answering);
          c.recordDecision({ action: 'reply', rule: 'freshchat_failure', reason: 'Freshchat refused the transcript read', outcome: 'failed' }, turn);
        } else {
          c.postponeAiTurn(now() + freshchatOutageRetryMs);
          c.recordDecision({ action: 'reply', rule: 'freshchat_failure', reason: 'Freshchat unavailable: the AI turn is tried again later', outcome: 'failed' }, turn);
        }
        return undefined;
      }
      // Failure messages name endpoints and codes, never customer text (ai/openai-provider.ts).
      log.warn('AI failed after its retries', { conversationId: this.conversationId, error: failure ? `${failure.type}: ${failure.message}` : String(error) });
      if (withStaleTurnDropped()) {
        // Events that came with the failure (in the same workflow task, so they could not cancel the turn) come first:
        // a rep may have taken over or resolved, Freshchat may have begun a new session. Only a turn still the AI's hands off.
        await this.handleInbox();
        if (c.state !== 'ai_active' || c.view.session !== turn.session) {
          c.recordDecision({ action: 'escalate', rule: 'lost_ownership_race', reason: `The AI failed, but the turn is no longer the AI's (now ${c.state}, session ${c.view.session})`, outcome: 'dropped' }, turn);
          return undefined;
        }
      }
      c.markAnswered(answering);
      c.recordDecision({ action: 'escalate', rule: 'ai_failure', reason: 'AI unavailable', outcome: 'escalated' }, turn);
      await this.escalate('ai_failure', 'AI unavailable');
      return undefined;
    }
  }

  private aiStepRequest(steps: ToolStep[], mayCallTools: boolean): AiTurnRequest {
    const c = this.conversation;
    const tools = this.policy.tools?.length ? { ...(steps.length > 0 && { steps }), mayCallTools } : {};
    return { conversationId: this.conversationId, sessionStartedAt: c.currentSession.startedAt, language: c.view.language, earlierSummaries: c.currentSession.earlierSummaries, ...tools };
  }

  // ---- effects on Freshchat --------------------------------------------------------------------

  /** Handoff: tell the customer, put the chat in the reps' queue, leave the reps a private note. */
  private async escalate(rule: RuleName, reason: string, decision?: AiDecision): Promise<void> {
    const notBefore = notBeforeNow();
    this.conversation.escalated(rule, reason); // first: from here on nothing of the AI's reaches the customer
    this.publish();
    // After a hand-back, the customer already knows a person is coming: one announcement per session.
    const noticeOnce = this.conversation.currentSession.handoffNoticeSent && withHandoffNoticeOnce();
    const told = noticeOnce ? undefined : await this.announceHandoff(notBefore);
    const lost = noticeOnce ? await this.checkOwnership() : told && !told.posted ? told : undefined;
    if (lost) {
      // A rep (or Freshchat) has the conversation already: leave its assignment alone.
      this.followFreshchat(lost);
    } else {
      // The notice marks the session: a move retried past a resolution and a reopen leaves the new session alone.
      const notice = told?.posted ? { messageId: told.messageId, notBefore } : undefined;
      const handedOff = await this.calls.run('handOffToQueue', () => this.freshchat.handOffToQueue({ conversationId: this.conversationId, notice }));
      if (handedOff?.assignedAgentId !== undefined) this.conversation.learnedAssignee(handedOff.assignedAgentId);
    }
    await this.postNote({ kind: 'handoff', rule, reason, decision }, notBefore);
  }

  /** The handoff (or after-hours) words to the customer: the post, or what Freshchat says if it lost the race. */
  private async announceHandoff(notBefore: string): Promise<PostOutcome | undefined> {
    const officeHours = this.policy.officeHours;
    const hours = officeHoursAt(new Date(now()), officeHours);
    const notice =
      !hours.open && hours.nextOpening && officeHours
        ? await this.postNotice('afterHours', { nextOpening: describeOpening(hours.nextOpening, officeHours.timeZone, this.conversation.view.language, new Date(now())) }, notBefore)
        : await this.postNotice('handoff', undefined, notBefore);
    if (notice?.posted) this.conversation.recordHandoffNotice();
    return notice;
  }

  /** Without a post (whose activity checks ownership), the same check runs on its own before the AI lets go. */
  private checkOwnership(): Promise<LostOwnership | undefined> {
    // Rep messages count from the session's start or its latest hand-back, whichever is later.
    const sessionStartedAt = this.conversation.aiOwnedSince;
    return this.calls.run('checkOwnership', () => this.freshchat.checkOwnership({ conversationId: this.conversationId, sessionStartedAt }));
  }

  private async resolve(r: { by: 'ai' | 'ops'; kind?: ResolutionKind; rule: RuleName; reason: string; decision?: AiDecision }): Promise<void> {
    const notBefore = notBeforeNow();
    const heedCustomer = r.by === 'ai' && withResolveUnlessCustomerWrote();
    if (r.by === 'ai') {
      // The customer wrote while the AI decided: the decision was for fewer messages than there are.
      if (heedCustomer && (await this.customerWroteBeforeResolving())) return;
      const closing = r.decision?.reply ? await this.postAiReply(r.decision.reply, notBefore) : await this.postNotice('closing', undefined, notBefore);
      if (closing && !closing.posted) {
        // Never resolve a conversation a human holds now.
        this.conversation.recordDecision({ action: 'resolve', rule: 'lost_ownership_race', reason: closing.reason, outcome: 'dropped' });
        return this.followFreshchat(closing);
      }
      // ...or while the closing words were posted.
      if (heedCustomer && (await this.customerWroteBeforeResolving())) return;
    }
    if (heedCustomer) {
      // ...or the webhooks of what the customer wrote are still on their way: Freshchat is asked too.
      const done = await this.calls.run('resolveInFreshchat', () =>
        this.freshchat.resolveInFreshchat({ conversationId: this.conversationId, unlessCustomerWroteSince: notBefore }),
      );
      if (done && !done.resolved) {
        // Taken back in Freshchat (reopened, still the AI's): its resolution and reopen events are no one's decision.
        if (done.tookBack && withResolutionTakenBack()) this.conversation.expectOwnEcho('resolution');
        this.conversation.receiveUnseenCustomerMessages(done.customerMessages, withUnseenInFreshchatOrder());
        await this.customerWroteBeforeResolving();
        return;
      }
      this.conversation.resolved(r.by, r.kind);
      this.publish();
    } else {
      this.conversation.resolved(r.by, r.kind);
      this.publish();
      await this.calls.run('resolveInFreshchat', () => this.freshchat.resolveInFreshchat(this.conversationId));
    }
    await this.postNote({ kind: 'resolution', rule: r.rule, reason: r.reason, decision: r.decision, resolutionKind: r.kind, resolvedBy: r.by }, notBefore);
  }

  /**
   * What arrived is handled first; when the customer has written since (or a human acted), the
   * AI does not resolve: it answers the new messages in its next turn. True when it does not.
   */
  private async customerWroteBeforeResolving(): Promise<boolean> {
    await this.handleInbox();
    const c = this.conversation;
    if (c.state !== 'ai_active') return true; // a rep, ops or Freshchat decided meanwhile; what they did stands
    if (c.pending.length === 0) return false;
    c.recordDecision({ action: 'resolve', rule: 'customer_wrote_again', reason: 'The customer wrote again before the conversation was resolved', outcome: 'dropped' });
    return true;
  }

  /** `answering`: the customer messages (ids) the reply is for; Freshchat beginning a new session after them drops it. */
  private postAiReply(text: string, notBefore: string, answering?: string[]): Promise<PostOutcome | undefined> {
    const sessionStartedAt = this.conversation.aiOwnedSince;
    return this.calls.run('postAiReply', () => this.freshchat.postAiReply({ conversationId: this.conversationId, text, sessionStartedAt, notBefore, answering }));
  }

  private postNotice(kind: CustomerNoticeKind, vars?: Record<string, string>, notBefore = notBeforeNow()): Promise<PostOutcome | undefined> {
    const { language } = this.conversation.view;
    const sessionStartedAt = this.conversation.aiOwnedSince;
    return this.calls.run('postCustomerNotice', () =>
      this.freshchat.postCustomerNotice({ conversationId: this.conversationId, kind, language, vars, sessionStartedAt, notBefore }),
    );
  }

  private async postNote(
    n: { kind: NoteContent['kind']; rule: RuleName; reason: string; decision?: AiDecision; resolutionKind?: ResolutionKind; resolvedBy?: 'ai' | 'ops' },
    notBefore: string,
  ): Promise<void> {
    const view = this.conversation.view;
    const session = this.conversation.currentSession;
    // The best the session has; what is missing the activity reads off the session's messages.
    const note: NoteContent = {
      kind: n.kind,
      session: view.session,
      rule: n.rule,
      reason: n.reason,
      summary: n.decision?.summary ?? session.aiSummary,
      actions: session.actions,
      sentiment: n.decision?.sentiment ?? session.aiSentiment,
      topic: this.conversation.sessionTopic() ?? n.decision?.topic,
      contactId: view.contactId,
      resolutionKind: n.resolutionKind,
      resolvedBy: n.resolvedBy,
      citations: session.citations,
    };
    // What happened until the handoff or resolution began: the same on every retried attempt.
    const described = { startedAt: session.startedAt, until: new Date(Date.parse(notBefore) + clockSkewMs).toISOString() };
    await this.calls.run('postPrivateNote', () => this.freshchat.postPrivateNote({ conversationId: this.conversationId, note, notBefore, session: described }));
  }

  /** Search attributes and the session store follow every change of state. */
  private publish(): void {
    this.searchAttributes.publish(this.conversation.view);
    if (withSessionRecords()) this.recorder.record(this.conversation.sessionRecord());
  }
}
