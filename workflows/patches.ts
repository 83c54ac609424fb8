/**
 * The ids of the workflow's `patched()` branches, in one place: workflows that were running
 * before a branch existed replay their history without it (test/integration/replay.test.ts),
 * and the data-protection test knows which marker payloads the SDK writes in plain JSON.
 */
export const patchIds = {
  /** Every patch of a run is decided in its first workflow task, before any local activity (see decidePatchesAtStart). */
  decidedAtStart: 'patches-decided-at-start',
  /** Reconciliation with Freshchat and the Freshchat-failure branch of the AI turn. */
  reconcileWithFreshchat: 'reconcile-with-freshchat',
  /** A handoff is announced to the customer once per session. */
  handoffNoticeOnce: 'handoff-notice-once',
  /** Sessions are written to the session store. */
  sessionRecords: 'session-records',
  /** The session policy is read again at each new session and on the reloadSettings signal. */
  policyPerSession: 'policy-per-session',
  /** An AI turn's result (a reply, or a failure's handoff) is acted on only in the session and state it began in. */
  staleTurnDropped: 'stale-turn-dropped',
  /** The AI resolves only when the customer has not written since its closing words (found by the soak). */
  resolveUnlessCustomerWrote: 'resolve-unless-customer-wrote',
  /** A new session starts at Freshchat's time of the reopen, not a few seconds before it (found by the soak). */
  exactSessionStart: 'exact-session-start',
  /** A customer message while a human or the queue holds the chat checks Freshchat's assignee (a lost assignment webhook). */
  lostAssignmentsMadeUp: 'lost-assignments-made-up',
  /** The AI claims a new conversation only if Freshchat shows it open and nobody else's (claimForAiAgent). */
  guardedClaim: 'guarded-claim',
  /** A turn during which a rep took the chat and handed it back is dropped: its messages were the rep's (found by the soak). */
  handBackDuringTurn: 'hand-back-during-turn',
  /** A person's assignment of a resolved conversation (to the queue or a rep) holds for the next session: no AI claim (found by the soak). */
  personReassignsResolved: 'person-reassigns-resolved',
  /** The reads in front of a reply run as local activities (a run decides once, at its start). */
  localReads: 'local-reads',
  /** Session records are sent when the workflow waits, not while a reply is on its way (decided once per run). */
  recordsWhenWaiting: 'records-when-waiting',
  /** The AI's resolution taken back because the customer wrote as it landed: its resolution event is the AI's own (found by the soak). */
  resolutionTakenBack: 'resolution-taken-back',
  /** Customer messages read back from Freshchat join the inbox after the queued events Freshchat had before them (found by the soak). */
  unseenInFreshchatOrder: 'unseen-in-freshchat-order',
  /** A new run's opening reads (policy, missed messages, contact and earlier summaries) go side by side, not one after the other. */
  openingReadsTogether: 'opening-reads-together',
  /** A customer message that comes with assignments still queued is claimed after them; a person moving a waiting chat to the queue hands it off (found by the soak; decided once per run). */
  claimAfterQueuedAssignments: 'claim-after-queued-assignments',
  /** With no quiet window, the AI is asked while a claim runs, its answer used if the claim makes the chat the AI's (decided once per run). */
  aiBesideClaim: 'ai-beside-claim',
  /** A customer message whose claim waits for queued assignments is the rep's when a rep is the assignee last learned (found by the soak; decided once per run). */
  repKeepsMessageWhileClaimWaits: 'rep-keeps-message-while-claim-waits',
} as const;
