/**
 * One workflow per Freshchat conversation: the AI-reply / escalate / resolve lifecycle as
 * durable code (SPEC §4). Handlers only queue what arrives (and cancel an AI turn when a
 * human may have taken over); the main loop handles the queue in order, runs AI turns and
 * waits on the session's timers.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AssistantActivities, AiTurnOutcome, SessionPolicy } from '../activities/assistant-activities.js';
import type { ContactActivities } from '../activities/contact-activities.js';
import type { CustomerNoticeKind, FreshchatActivities, LostOwnership, NoteContent, PostOutcome } from '../activities/freshchat-activities.js';
import type { AiDecision } from '../lib/decision.js';
import { freshchatPermanentFailureType, isFreshchatFailureType } from '../activities/failure-types.js';
import { detectLanguage } from '../ai/language.js';
import { boundCustomerText } from '../rules/text.js';
import { applyDecisionRules, matchHandoffPhrase, type RuleName } from '../rules/handoff-rules.js';
import { describeOpening, officeHoursAt } from '../rules/office-hours.js';
import { Conversation, type Deadline } from './conversation.js';
import {
  decisionsQuery,
  forceHandoffSignal,
  freshchatEventSignal,
  handBackToAiSignal,
  resolveConversationSignal,
  stateQuery,
  type ConversationEvent,
  type ConversationStateView,
  type ConversationWorkflowInput,
  type DecisionRecord,
  type InboxItem,
  type ResolutionKind,
} from './messages.js';
import { searchAttributes } from './search-attributes.js';

/** 429 and 5xx are retried (Retry-After honoured by the activity); permanent 4xx are not. */
const freshchatRetry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 } as const;

const freshchat = proxyActivities<FreshchatActivities>({
  startToCloseTimeout: '20 seconds',
  retry: freshchatRetry,
});

/**
 * The AI turn reads the transcript from Freshchat, so it runs with Freshchat's retry policy;
 * the activity makes the AI's own failures final at its third attempt (aiAttempts).
 */
const assistant = proxyActivities<AssistantActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: freshchatRetry,
});

const contacts = proxyActivities<ContactActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 2 },
});

/** Hard cap next to the server's suggestion, so history never nears its limits. */
const maxHistoryEvents = 10_000;
/** Freshchat still failing after all its retries: the AI turn is tried again this much later. */
const freshchatOutageRetryMs = 5 * 60 * 1000;
/** A new run looks this far back for customer messages nobody answered (events Freshchat gave up on). */
const reconcileLookbackMs = 24 * 60 * 60 * 1000;
/**
 * Workflows that were running before reconciliation and the Freshchat-failure branch existed
 * replay their history without them (https://docs.temporal.io/develop/typescript/versioning).
 */
const withReconciliation = (): boolean => patched('reconcile-with-freshchat');

/** Workflow time: the sandbox makes Date.now() the deterministic time of the current workflow task. */
const now = (): number => Date.now();
const isoNow = (): string => new Date(now()).toISOString();
/**
 * Freshchat's timestamps bound what activities read back from Freshchat; a little slack
 * absorbs clock skew between Freshchat and the worker.
 */
const clockSkewMs = 5_000;
const freshchatTime = (at: string): number => (Number.isNaN(Date.parse(at)) ? now() : Math.min(Date.parse(at), now())) - clockSkewMs;
const notBeforeNow = (): string => new Date(now() - clockSkewMs).toISOString();

export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<ConversationStateView> {
  const { conversationId } = input;
  const conversation = new Conversation(conversationId, input.carried?.view.mode ?? 'auto', now(), input.carried);
  const inbox: InboxItem[] = [...(input.carried?.inbox ?? [])];
  let policy: SessionPolicy | undefined;
  let aiTurnScope: CancellationScope | undefined;

  /** Anything that may mean a human took over stops the AI's thinking at once. */
  const cancelAiTurnIf = (mayBeTakeover: boolean) => {
    if (mayBeTakeover) aiTurnScope?.cancel();
  };

  setHandler(freshchatEventSignal, (event) => {
    inbox.push({ type: 'event', event });
    cancelAiTurnIf(policy !== undefined && mayBeTakeover(event, policy.aiAgentId));
  });
  setHandler(forceHandoffSignal, (request) => {
    inbox.push({ type: 'forceHandoff', reason: typeof request?.reason === 'string' && request.reason ? request.reason : 'Handed off by ops' });
    cancelAiTurnIf(true);
  });
  setHandler(handBackToAiSignal, () => {
    inbox.push({ type: 'handBackToAi' });
  });
  setHandler(resolveConversationSignal, (request) => {
    inbox.push({ type: 'resolve', reason: typeof request?.reason === 'string' && request.reason ? request.reason : 'Resolved by ops' });
    cancelAiTurnIf(true);
  });
  setHandler(stateQuery, () => conversation.view);
  setHandler(decisionsQuery, () => conversation.decisions);

  let published = '';
  let freshchatUrl: string | undefined;
  policy = await loadSessionPolicy();
  conversation.view.mode = policy.routingMode;
  if (!input.carried) conversation.view.language = policy.defaultLanguage;
  const timings = { quietWindowMs: policy.quietWindowMs, inactivityMs: policy.inactivityMs, nudge: policy.nudge };
  publishSearchAttributes();
  // A new run may start for a conversation whose earlier events never arrived.
  if (!input.carried && withReconciliation()) await takeUnseenCustomerMessages(new Date(now() - reconcileLookbackMs).toISOString());

  for (;;) {
    while (inbox.length > 0) await handle(inbox.shift()!);

    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) {
      await condition(allHandlersFinished);
      // Events that arrived but were not handled yet travel with the state; none is lost.
      await continueAsNew<typeof conversationWorkflow>({ conversationId, carried: conversation.snapshot(inbox) });
    }

    const deadline = conversation.nextDeadline(timings);
    const waitMs = deadline.at - now();
    if (waitMs > 0) {
      const eventArrived = await condition(() => inbox.length > 0, waitMs, { summary: deadlineSummaries[deadline.kind] });
      if (eventArrived) continue;
    }
    if (deadline.kind === 'close_idle_workflow') return conversation.view;
    await onDeadline(deadline);
  }

  /**
   * The policy needs the AI agent's Freshchat id. While Freshchat refuses (wrong token, no
   * such agent) the failure is recorded for `doctor` and the workflow waits, keeping every
   * event it receives, instead of failing.
   */
  async function loadSessionPolicy(): Promise<SessionPolicy> {
    for (;;) {
      const loaded = await freshchatStep('loadSessionPolicy', () => assistant.loadSessionPolicy());
      if (loaded) return loaded;
      await sleep('5 minutes', { summary: 'settings or Freshchat refused: wait, then try again' });
    }
  }

  // ---- events ------------------------------------------------------------------------

  async function handle(item: InboxItem): Promise<void> {
    conversation.lastActivityAt = now();
    switch (item.type) {
      case 'event':
        if (conversation.rememberEvent(item.event.eventId)) await onFreshchatEvent(item.event);
        return;
      case 'forceHandoff':
        if (conversation.state === 'resolved' || conversation.state === 'human') return;
        recordDecisionWithoutAi('escalate', 'ops_signal', item.reason, 'escalated');
        return escalate('ops_signal', item.reason);
      case 'handBackToAi':
        if (conversation.state === 'ai_active' || conversation.state === 'resolved') return;
        if (await assignToAiAgent()) {
          conversation.moveTo('ai_active');
          publishSearchAttributes();
        }
        return;
      case 'resolve':
        if (conversation.state === 'resolved') return;
        return resolveConversation({ by: 'ops', rule: 'ops_signal', reason: item.reason });
    }
  }

  async function onFreshchatEvent(event: ConversationEvent): Promise<void> {
    const aiAgentId = policy!.aiAgentId;
    switch (event.kind) {
      case 'customer_message':
        return onCustomerMessage(event);
      case 'agent_message':
        if (event.private || event.agentId === aiAgentId || conversation.state === 'resolved') return;
        // Automation greetings come as agent messages too: only a real agent is a rep.
        if (await freshchatStep('isRepAgent', () => freshchat.isRepAgent(event.agentId))) humanTookOver();
        return;
      case 'assignment':
        if (conversation.state === 'resolved') return;
        if (event.toAgentId === aiAgentId) {
          if (conversation.consumeOwnAssignmentEcho()) return;
          if (conversation.state !== 'ai_active') {
            conversation.moveTo('ai_active');
            publishSearchAttributes();
          }
        } else if (event.toAgentId) {
          humanTookOver();
        } else if (conversation.state === 'ai_active' && event.actorType === 'agent') {
          // A person moved the conversation to the queue: the AI steps back.
          conversation.escalated('ops_signal', 'Moved to the queue by an agent in Freshchat');
          publishSearchAttributes();
        }
        return;
      case 'resolution':
        if (conversation.state === 'resolved') return;
        conversation.resolved('rep');
        publishSearchAttributes();
        return;
      case 'reopen':
        if (conversation.state !== 'resolved') return;
        conversation.startSession(freshchatTime(event.at));
        publishSearchAttributes();
        return;
    }
  }

  async function onCustomerMessage(event: Extract<ConversationEvent, { kind: 'customer_message' }>): Promise<void> {
    // The API bounds customer text already; signals from elsewhere (ops, older APIs) are bounded here.
    const text = boundCustomerText(event.text);
    // Freshchat reopens a resolved conversation when the customer writes again.
    if (conversation.state === 'resolved') conversation.startSession(freshchatTime(event.at));
    conversation.addCustomerMessage({ eventId: event.eventId, at: isoNow(), text }, event.at);
    // A rep holds the conversation: the rep answers, so nothing waits for the AI.
    if (conversation.state === 'human') conversation.markAnswered([event.eventId]);
    // Pure, deterministic and linear (it samples the text); sticky to the language so far.
    conversation.view.language = detectLanguage(text, conversation.view.language);
    if (!conversation.view.contactId && event.userId) {
      const contact = await freshchatStep('identifyContact', () => freshchat.identifyContact(event.userId));
      if (contact) conversation.view.contactId = contact.contactId;
    }
    if (conversation.state === 'waiting') await claimIfOurs();
    publishSearchAttributes();
  }

  /** SPEC §4 routing: whose conversation is this, and may the AI answer it? */
  async function claimIfOurs(): Promise<void> {
    const owner = await freshchatStep('readConversationOwner', () => freshchat.readConversationOwner(conversationId));
    if (!owner) return;
    // A closed conversation (messages taken up by reconciliation) is not claimed: that would reopen it.
    if (owner.status === 'resolved' && withReconciliation()) return;
    if (owner.url && owner.url !== freshchatUrl) {
      freshchatUrl = owner.url;
      upsertMemo({ freshchatUrl });
    }
    if (owner.assignedAgentId === policy!.aiAgentId) {
      conversation.moveTo('ai_active');
    } else if (owner.assignedAgentId) {
      humanTookOver();
    } else if (policy!.routingMode === 'auto') {
      if (await assignToAiAgent()) conversation.moveTo('ai_active');
    }
  }

  async function assignToAiAgent(): Promise<boolean> {
    const done = (await freshchatStep('assignToAiAgent', () => freshchat.assignToAiAgent(conversationId))) !== undefined;
    if (done) conversation.expectOwnAssignmentEcho();
    return done;
  }

  /** Freshchat says the AI no longer holds the conversation: follow Freshchat. */
  function lostOwnership(lost: LostOwnership): void {
    if (lost.lostTo === 'rep') return humanTookOver();
    if (lost.lostTo === 'resolved') {
      conversation.resolved('rep');
    } else if (conversation.state === 'ai_active') {
      conversation.escalated('lost_ownership_race', lost.reason);
    }
    publishSearchAttributes();
  }

  function humanTookOver(): void {
    if (conversation.state === 'human' || conversation.state === 'resolved') return;
    conversation.moveTo('human');
    // The rep answers what is waiting; the AI must not answer it if handed the chat later.
    conversation.markAnswered(conversation.session.pending.map((m) => m.eventId));
    publishSearchAttributes();
  }

  // ---- timers ------------------------------------------------------------------------

  async function onDeadline(deadline: Deadline): Promise<void> {
    switch (deadline.kind) {
      case 'quiet_window_over':
        return aiTurn();
      case 'nudge_customer': {
        if (withReconciliation() && (await takeUnseenCustomerMessages(sinceLastAiReply()))) return;
        const outcome = await postNotice('nudge');
        if (outcome?.posted) conversation.recordNudge(now());
        else if (outcome) lostOwnership(outcome);
        return;
      }
      case 'resolve_inactive':
        if (withReconciliation() && (await takeUnseenCustomerMessages(sinceLastAiReply()))) return;
        recordDecisionWithoutAi('resolve', 'customer_inactive', 'customer inactive', 'resolved');
        return resolveConversation({ by: 'ai', kind: 'assumed', rule: 'customer_inactive', reason: 'customer inactive' });
      case 'office_hours_open': {
        const reason = 'Office hours began: the team takes over from the AI';
        recordDecisionWithoutAi('escalate', 'office_hours', reason, 'escalated');
        return escalate('office_hours', reason);
      }
      case 'close_idle_workflow':
        return;
    }
  }

  /**
   * Reconciles with Freshchat: customer messages nobody answered that the workflow has never
   * seen (their webhooks were lost, e.g. while Temporal was down) join the inbox, ahead of what
   * is queued, once each. True when there were any.
   */
  async function takeUnseenCustomerMessages(since: string): Promise<boolean> {
    const unanswered = await freshchatStep('readUnansweredCustomerMessages', () => freshchat.readUnansweredCustomerMessages({ conversationId, since }));
    const queued = new Set(inbox.flatMap((item) => (item.type === 'event' ? [item.event.eventId] : [])));
    const unseen = (unanswered ?? []).filter((m) => !queued.has(m.eventId) && !conversation.hasSeenEvent(m.eventId));
    if (unseen.length === 0) return false;
    log.info('customer messages taken up from Freshchat', { conversationId, count: unseen.length });
    inbox.unshift(...unseen.map((m): InboxItem => ({ type: 'event', event: { kind: 'customer_message', ...m } })));
    return true;
  }

  function sinceLastAiReply(): string {
    const since = conversation.session.lastAiReplyAt ?? conversation.session.startedAt;
    return new Date(Date.parse(since) - clockSkewMs).toISOString();
  }

  /** Decisions made without asking the AI (timers, ops, lost races), in the same log, so "why?" has one answer. */
  function recordDecisionWithoutAi(action: DecisionRecord['action'], rule: RuleName, reason: string, outcome: DecisionRecord['outcome']): void {
    conversation.recordDecision({ session: conversation.view.session, turn: conversation.session.turn, at: isoNow(), action, rule, reason, sources: [], outcome });
  }

  // ---- the AI turn -------------------------------------------------------------------

  async function aiTurn(): Promise<void> {
    const p = policy!;
    const turn = conversation.startTurn();
    const answering = conversation.session.pending.map((m) => m.eventId);
    const customerText = conversation.session.pending.map((m) => m.text).join('\n');
    const base = { session: conversation.view.session, turn, at: isoNow(), sources: [] as string[] };
    const notBefore = notBeforeNow();

    const phrase = matchHandoffPhrase(customerText, p.handoff.phrases);
    if (phrase) {
      conversation.markAnswered(answering);
      const reason = `The customer asked for a person ("${phrase}")`;
      conversation.recordDecision({ ...base, action: 'escalate', rule: 'handoff_phrase', reason, outcome: 'escalated' });
      return escalate('handoff_phrase', reason);
    }
    const hours = officeHoursAt(new Date(now()), p.officeHours);
    if (!hours.open && p.officeHours?.afterHours === 'handoff') {
      conversation.markAnswered(answering);
      const reason = 'Outside office hours';
      conversation.recordDecision({ ...base, action: 'escalate', rule: 'office_hours', reason, outcome: 'escalated' });
      return escalate('office_hours', reason);
    }

    if (conversation.session.earlierSummaries === undefined && conversation.view.contactId) {
      conversation.session.earlierSummaries = await contacts
        .loadEarlierSummaries({ contactId: conversation.view.contactId, conversationId })
        .catch(() => []); // context for the AI, never a reason to keep the customer waiting
    }
    let outcome: AiTurnOutcome;
    try {
      outcome = await CancellationScope.cancellable(async () => {
        aiTurnScope = CancellationScope.current();
        return assistant.decideNextStep({
          conversationId,
          sessionStartedAt: conversation.session.startedAt,
          language: conversation.view.language,
          earlierSummaries: conversation.session.earlierSummaries,
        });
      });
    } catch (error) {
      if (isCancellation(error)) {
        conversation.recordDecision({ ...base, action: 'reply', rule: 'lost_ownership_race', reason: 'AI turn cancelled: a human may have taken over', outcome: 'dropped' });
        return;
      }
      const failure = failureDetails(error);
      if (failure && isFreshchatFailureType(failure.type) && withReconciliation()) {
        // Freshchat failed, not the AI: no "AI unavailable" handoff (Freshchat could not take it either).
        recordFreshchatFailure('decideNextStep', failure);
        if (failure.type === freshchatPermanentFailureType) {
          conversation.markAnswered(answering);
          conversation.recordDecision({ ...base, action: 'reply', rule: 'freshchat_failure', reason: 'Freshchat refused the transcript read', outcome: 'failed' });
        } else {
          conversation.postponeAiTurn(now() + freshchatOutageRetryMs);
          conversation.recordDecision({ ...base, action: 'reply', rule: 'freshchat_failure', reason: 'Freshchat unavailable: the AI turn is tried again later', outcome: 'failed' });
        }
        return;
      }
      log.warn('AI failed after its retries', { conversationId, error: describeFailure(error) });
      conversation.markAnswered(answering);
      conversation.recordDecision({ ...base, action: 'escalate', rule: 'ai_failure', reason: 'AI unavailable', outcome: 'escalated' });
      return escalate('ai_failure', 'AI unavailable');
    } finally {
      aiTurnScope = undefined;
    }

    // Ownership check 1 of 2: events that arrived while the AI was thinking come first.
    while (inbox.length > 0) await handle(inbox.shift()!);
    const decided = { ...base, topic: outcome.decision.topic, sentiment: outcome.decision.sentiment, confidence: outcome.decision.confidence, sources: outcome.sources, model: outcome.model, latencyMs: outcome.latencyMs };
    conversation.view.language = outcome.language;
    conversation.view.sentiment = outcome.decision.sentiment;
    conversation.view.summary = outcome.decision.summary;
    if (conversation.state !== 'ai_active') {
      conversation.recordDecision({ ...decided, action: outcome.decision.action, rule: 'lost_ownership_race', reason: `A human took over while the AI was thinking (now ${conversation.state})`, outcome: 'dropped' });
      return;
    }

    const ruled = applyDecisionRules(outcome.decision, { topics: p.topics, handoff: p.handoff, aiRepliesSoFar: conversation.aiRepliesThisSession() });
    conversation.markAnswered(answering);
    switch (ruled.action) {
      case 'reply': {
        // Ownership check 2 of 2 happens inside postAiReply, against Freshchat's own state.
        const posted = await freshchatStep('postAiReply', () =>
          freshchat.postAiReply({ conversationId, text: outcome.decision.reply, sessionStartedAt: conversation.session.startedAt, notBefore }),
        );
        if (posted?.posted) {
          conversation.recordAiReply(now());
          conversation.recordDecision({ ...decided, action: 'reply', rule: ruled.rule, reason: ruled.reason, outcome: 'posted' });
          if (!hours.open && hours.nextOpening && p.officeHours?.afterHours === 'ai-until-open') {
            conversation.session.handoffAtOpening ??= hours.nextOpening.toISOString();
          }
        } else if (posted) {
          conversation.recordDecision({ ...decided, action: 'reply', rule: 'lost_ownership_race', reason: posted.reason, outcome: 'dropped' });
          lostOwnership(posted);
        } else {
          conversation.recordDecision({ ...decided, action: 'reply', rule: ruled.rule, reason: 'Freshchat refused the reply', outcome: 'failed' });
        }
        break;
      }
      case 'escalate':
        conversation.recordDecision({ ...decided, action: 'escalate', rule: ruled.rule, reason: ruled.reason, outcome: 'escalated' });
        await escalate(ruled.rule, ruled.reason, outcome.decision);
        break;
      case 'resolve':
        conversation.recordDecision({ ...decided, action: 'resolve', rule: ruled.rule, reason: ruled.reason, outcome: 'resolved' });
        await resolveConversation({ by: 'ai', kind: 'confirmed', rule: ruled.rule, reason: ruled.reason, decision: outcome.decision });
        break;
    }
    publishSearchAttributes();
  }

  // ---- effects on Freshchat ----------------------------------------------------------

  /** Handoff: tell the customer, put the chat in the reps' queue, leave the reps a private note. */
  async function escalate(rule: RuleName, reason: string, decision?: AiDecision): Promise<void> {
    const notBefore = notBeforeNow();
    conversation.escalated(rule, reason); // first: from here on nothing of the AI's reaches the customer
    publishSearchAttributes();
    const hours = officeHoursAt(new Date(now()), policy!.officeHours);
    const notice =
      !hours.open && hours.nextOpening && policy!.officeHours
        ? await postNotice('afterHours', { nextOpening: describeOpening(hours.nextOpening, policy!.officeHours.timeZone, conversation.view.language, new Date(now())) }, notBefore)
        : await postNotice('handoff', undefined, notBefore);
    if (notice && !notice.posted) {
      // A rep (or Freshchat) has the conversation already: leave its assignment alone.
      lostOwnership(notice);
    } else {
      await freshchatStep('handOffToQueue', () => freshchat.handOffToQueue(conversationId));
    }
    await postNote({ kind: 'handoff', rule, reason, decision }, notBefore);
  }

  async function resolveConversation(r: { by: 'ai' | 'ops'; kind?: ResolutionKind; rule: RuleName; reason: string; decision?: AiDecision }): Promise<void> {
    const notBefore = notBeforeNow();
    if (r.by === 'ai') {
      const closing = r.decision?.reply
        ? await freshchatStep('postAiReply', () =>
            freshchat.postAiReply({ conversationId, text: r.decision!.reply, sessionStartedAt: conversation.session.startedAt, notBefore }),
          )
        : await postNotice('closing', undefined, notBefore);
      if (closing && !closing.posted) {
        // Never resolve a conversation a human holds now.
        recordDecisionWithoutAi('resolve', 'lost_ownership_race', closing.reason, 'dropped');
        return lostOwnership(closing);
      }
    }
    conversation.resolved(r.by, r.kind);
    publishSearchAttributes();
    await freshchatStep('resolveInFreshchat', () => freshchat.resolveInFreshchat(conversationId));
    await postNote({ kind: 'resolution', rule: r.rule, reason: r.reason, decision: r.decision, resolutionKind: r.kind }, notBefore);
  }

  function postNotice(kind: CustomerNoticeKind, vars?: Record<string, string>, notBefore = notBeforeNow()): Promise<PostOutcome | undefined> {
    return freshchatStep('postCustomerNotice', () =>
      freshchat.postCustomerNotice({ conversationId, kind, language: conversation.view.language, vars, sessionStartedAt: conversation.session.startedAt, notBefore }),
    );
  }

  async function postNote(
    n: { kind: NoteContent['kind']; rule: RuleName; reason: string; decision?: AiDecision; resolutionKind?: ResolutionKind },
    notBefore: string,
  ): Promise<void> {
    const lastDecision: DecisionRecord | undefined = conversation.view.lastDecision;
    const note: NoteContent = {
      kind: n.kind,
      session: conversation.view.session,
      rule: n.rule,
      reason: n.reason,
      summary: n.decision?.summary,
      sentiment: n.decision?.sentiment ?? conversation.view.sentiment,
      topic: n.decision?.topic ?? lastDecision?.topic,
      contactId: conversation.view.contactId,
      resolutionKind: n.resolutionKind,
    };
    await freshchatStep('postPrivateNote', () => freshchat.postPrivateNote({ conversationId, note, notBefore }));
  }

  /**
   * Runs one Freshchat activity. A permanent refusal (401/403/404...) or retries running out
   * is recorded in the state and the search attributes instead of failing the workflow.
   */
  async function freshchatStep<T>(activity: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      const failure = failureDetails(error);
      if (!failure) throw error;
      recordFreshchatFailure(activity, failure);
      return undefined;
    }
  }

  function recordFreshchatFailure(activity: string, failure: FailureDetails): void {
    conversation.recordFailure({ at: isoNow(), activity, status: failure.status, code: failure.code ?? failure.type ?? 'UNKNOWN', message: failure.message });
    log.error('Freshchat call failed for good', { conversationId, activity, status: failure.status, code: failure.code });
    publishSearchAttributes();
  }

  /** Search attributes change only when their values do, to keep history small. */
  function publishSearchAttributes(): void {
    const v = conversation.view;
    const values = {
      conversationId,
      state: v.state,
      contactId: v.contactId ?? '',
      sentiment: v.sentiment ?? '',
      resolvedBy: v.resolvedBy ?? '',
      resolutionKind: v.resolutionKind ?? '',
      handoffRule: v.escalationRule ?? '',
      freshchatError: v.lastError ? `${v.lastError.activity}:${v.lastError.status ?? v.lastError.code}` : '',
      session: v.session,
    };
    const key = JSON.stringify(values);
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: searchAttributes.conversationId, value: values.conversationId },
      { key: searchAttributes.state, value: values.state },
      { key: searchAttributes.contactId, value: values.contactId },
      { key: searchAttributes.sentiment, value: values.sentiment },
      { key: searchAttributes.resolvedBy, value: values.resolvedBy },
      { key: searchAttributes.resolutionKind, value: values.resolutionKind },
      { key: searchAttributes.handoffRule, value: values.handoffRule },
      { key: searchAttributes.freshchatError, value: values.freshchatError },
      { key: searchAttributes.session, value: values.session },
    ]);
  }
}

/** Events that may mean a human took over; the main loop decides for sure. */
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

const deadlineSummaries: Record<Deadline['kind'], string> = {
  quiet_window_over: 'quiet window: wait for more customer messages',
  nudge_customer: 'customer silent: wait before asking if they are still there',
  resolve_inactive: 'customer silent: wait before resolving as inactive',
  office_hours_open: 'after hours: wait for office hours to hand off',
  close_idle_workflow: 'nothing to do: wait for the next event',
};

interface FailureDetails {
  type?: string;
  status?: number;
  code?: string;
  message: string;
}

/** What an activity's failure says about itself; undefined when the error is not an activity failure. */
function failureDetails(error: unknown): FailureDetails | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
  const details = (cause?.details?.[0] ?? {}) as { status?: number; code?: string };
  return { type: cause?.type ?? undefined, status: details.status, code: details.code, message: cause?.message ?? error.message };
}

function describeFailure(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return `${error.cause.name}: ${error.cause.message}`;
  return error instanceof Error ? error.message : String(error);
}
