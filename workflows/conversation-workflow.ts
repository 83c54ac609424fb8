/**
 * One workflow per Freshchat conversation: the AI-reply / escalate / resolve lifecycle as
 * durable code (SPEC §4). Handlers only queue what arrives (and stop a thinking AI when a
 * human may have taken over); the main loop handles the queue in order and waits on the
 * session's one next deadline. The steps are ConversationProcess's, the state Conversation's.
 */
import {
  ActivityCancellationType,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AssistantActivities, SessionPolicy } from '../activities/assistant-activities.js';
import type { ContactActivities } from '../activities/contact-activities.js';
import type { FreshchatActivities } from '../activities/freshchat-activities.js';
import type { SessionStoreActivities } from '../activities/session-store-activities.js';
import { Conversation, type Deadline } from './conversation.js';
import { ConversationProcess, FreshchatCalls, InterruptibleAiTurn, SearchAttributePublisher } from './conversation-process.js';
import { SessionRecorder } from './session-recorder.js';
import { patchIds } from './patches.js';
import { productMetrics } from './product-metrics.js';
import { maxDeclineReasonLength, toolActivityName, type ToolActivity, type ToolPolicy } from '../workflow-safe/tool-calls.js';
import {
  approveActionUpdate,
  declineActionUpdate,
  decisionsQuery,
  forceHandoffSignal,
  freshchatEventSignal,
  handBackToAiSignal,
  reloadSettingsSignal,
  resolveConversationSignal,
  stateQuery,
  type ConversationStateView,
  type ConversationWorkflowInput,
} from './messages.js';

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

/**
 * The same activities, local: the reads in front of a reply run in the worker within the
 * workflow task, without a task-queue round trip each (on a new conversation, four of the
 * seven steps before its first reply). Freshchat's retry policy; past a few seconds of backoff
 * the SDK waits on a timer.
 */
const localReads = {
  freshchat: proxyLocalActivities<FreshchatActivities>({ startToCloseTimeout: '20 seconds', retry: freshchatRetry, localRetryThreshold: '10 seconds' }),
  assistant: proxyLocalActivities<AssistantActivities>({ startToCloseTimeout: '20 seconds', retry: freshchatRetry, localRetryThreshold: '10 seconds' }),
  contacts: proxyLocalActivities<ContactActivities>({ startToCloseTimeout: '15 seconds', retry: { maximumAttempts: 2 } }),
};

/**
 * A tool call (`tool:<name>`, so the Web UI reads as the steps taken) retries 5xx, 429 (after its
 * Retry-After) and timeouts: its Idempotency-Key makes a retry safe. Refusals (4xx, an answer too
 * large) are final at once.
 */
const toolRetry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 } as const;
const toolActivity = (tool: ToolPolicy): ToolActivity =>
  proxyActivities<Record<string, ToolActivity>>({ startToCloseTimeout: `${tool.timeoutSeconds + 5} seconds`, retry: toolRetry })[toolActivityName(tool.name)]!;

/** A store that is down delays the records, never the conversation: writes retry in the background, for up to a week. */
const sessionStore = proxyActivities<SessionStoreActivities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Hard cap next to the server's suggestion, so history never nears its limits. */
const maxHistoryEvents = 10_000;

export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<ConversationStateView> {
  const conversation = new Conversation(input.conversationId, input.carried?.view.mode ?? 'auto', Date.now(), input.carried);
  conversation.observe(productMetrics());
  const aiTurn = new InterruptibleAiTurn();

  setHandler(freshchatEventSignal, (event) => aiTurn.cancelIf(conversation.receive({ type: 'event', event })));
  setHandler(forceHandoffSignal, (request) => aiTurn.cancelIf(conversation.receive({ type: 'forceHandoff', reason: reasonOf(request, 'Handed off by ops') })));
  setHandler(handBackToAiSignal, () => void conversation.receive({ type: 'handBackToAi' }));
  setHandler(resolveConversationSignal, (request) => aiTurn.cancelIf(conversation.receive({ type: 'resolve', reason: reasonOf(request, 'Resolved by ops') })));
  setHandler(reloadSettingsSignal, () => void conversation.receive({ type: 'reloadSettings' }));
  // The validator refuses an update when no action waits: nothing changes, nothing enters history.
  const actionWaiting = { validator: (_request?: unknown) => conversation.assertActionWaiting() };
  setHandler(approveActionUpdate, (request) => conversation.decideAction({ verdict: 'approve', by: opsName(request) })!, actionWaiting);
  setHandler(declineActionUpdate, (request) => conversation.decideAction({ verdict: 'decline', by: opsName(request), reason: reasonOf(request, 'Declined by ops').slice(0, maxDeclineReasonLength) })!, actionWaiting);
  setHandler(stateQuery, () => conversation.view);
  setHandler(decisionsQuery, () => conversation.decisions);

  decidePatchesAtStart();
  const searchAttributes = new SearchAttributePublisher();
  const { firstExecutionRunId: chainId, workflowId } = workflowInfo();
  // Decided once per run: runs that began before these existed replay their history as it was.
  const reads = patched(patchIds.localReads) ? localReads : { freshchat, assistant, contacts };
  const holdRecordsUntilWaiting = patched(patchIds.recordsWhenWaiting);
  const claimAfterQueuedAssignments = patched(patchIds.claimAfterQueuedAssignments);
  const askAiBesideClaim = patched(patchIds.aiBesideClaim);
  const repKeepsMessageWhileClaimWaits = patched(patchIds.repKeepsMessageWhileClaimWaits);
  const recorder = new SessionRecorder((write) => sessionStore.recordSession(write), { chainId, workflowId }, input.carried?.records, holdRecordsUntilWaiting);
  const freshchatCalls = new FreshchatCalls(conversation, searchAttributes);
  const process = new ConversationProcess({ conversation, activities: { freshchat, assistant, contacts, reads, tool: toolActivity }, aiTurn, freshchatCalls, searchAttributes, recorder, claimAfterQueuedAssignments, askAiBesideClaim, repKeepsMessageWhileClaimWaits });
  await process.begin(input.carried === undefined, () => loadSessionPolicy(freshchatCalls, reads.assistant));

  for (;;) {
    await process.handleInbox();

    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) {
      await condition(allHandlersFinished);
      // Events that arrived but were not handled yet, and session records not yet stored, travel with the state.
      await continueAsNew<typeof conversationWorkflow>({ conversationId: input.conversationId, carried: { ...conversation.snapshot(), records: recorder.snapshot() } });
    }

    const deadline = conversation.nextDeadline(process.timings);
    const waitMs = deadline.at - Date.now();
    if (waitMs > 0) {
      recorder.sendQueued();
      if (await condition(() => conversation.hasInbox, waitMs, { summary: deadlineSummaries[deadline.kind] })) continue;
    }
    if (deadline.kind === 'close_idle_workflow') {
      process.recordFinalCounts();
      recorder.sendQueued();
      await condition(() => recorder.idle || conversation.hasInbox, '7 days', { summary: 'closing: wait for the session store to take the last record' });
      if (!conversation.hasInbox) return conversation.view;
      continue;
    }
    await process.onDeadline(deadline);
  }
}

/**
 * The policy needs the AI agent's Freshchat id. While Freshchat refuses (wrong token, no such
 * agent) the failure is recorded for `doctor` and the workflow waits, keeping every event it
 * receives, instead of failing.
 */
async function loadSessionPolicy(freshchatCalls: FreshchatCalls, reads: AssistantActivities): Promise<SessionPolicy> {
  for (;;) {
    const loaded = await freshchatCalls.run('loadSessionPolicy', () => reads.loadSessionPolicy());
    if (loaded) return loaded;
    await sleep('5 minutes', { summary: 'settings or Freshchat refused: wait, then try again' });
  }
}

/**
 * A run that begins with the `patches-decided-at-start` marker decides every patch now, in its first workflow task; later
 * `patched()` calls return the same answer without a marker of their own. A patch first decided right after a local
 * activity could land one workflow task after the activity's marker (a query for a workflow its worker does not cache
 * ended the task in between), and replay, which looks for a patch's marker in the task it resolves the activity in,
 * then failed every task of that workflow (test/integration/workflow-races.test.ts). Runs from before decide each patch
 * where they reach it, as they did.
 */
function decidePatchesAtStart(): void {
  if (!patched(patchIds.decidedAtStart)) return;
  for (const id of Object.values(patchIds)) patched(id);
}

/** Ops signals may carry a reason; the CLI may send none, or not a string. */
function reasonOf(request: { reason?: unknown } | undefined, fallback: string): string {
  return typeof request?.reason === 'string' && request.reason ? request.reason : fallback;
}

/** Who decided through an ops update: `ops`, or `ops:<by>` when the operator said who. */
function opsName(request: { by?: unknown } | undefined): string {
  return typeof request?.by === 'string' && request.by.trim() ? `ops:${request.by.trim().slice(0, 100)}` : 'ops';
}

const deadlineSummaries: Record<Deadline['kind'], string> = {
  quiet_window_over: 'quiet window: wait for more customer messages',
  nudge_customer: 'customer silent: wait before asking if they are still there',
  resolve_inactive: 'customer silent: wait before resolving as inactive',
  office_hours_open: 'after hours: wait for office hours to hand off',
  close_idle_workflow: 'nothing to do: wait for the next event',
};
