/**
 * The soak's verdict, as plain functions over plain data: the sandbox's own record of a
 * conversation (its webhook deliveries, which list every event in the order it happened,
 * the product's own posts included) and what the workflow says of itself. No I/O here, so the
 * checks are unit-tested on hand-made transcripts (test/unit/soak-checks.test.ts).
 *
 * The model walks the events the way the product promises to behave (SPEC §4): in a session
 * the AI answers (or hands off) each customer message; once a human acts (writes, takes the
 * chat, resolves, moves it to the queue) the AI posts nothing the customer sees until a rep
 * hands the chat back (assigns it to the AI agent) or a new session begins.
 */
import type { WebhookDeliveryView } from '../sandbox/control-client.js';

/** One delivery as GET /sandbox/webhooks lists it (the checks need no creation time). */
export type DeliveryRecord = Omit<WebhookDeliveryView, 'created_time'>;

/** What an AI customer-facing message is, told apart by its text. */
export type AiMessageKind = 'reply' | 'handoff_notice' | 'nudge' | 'closing' | 'other';

export interface Classifier {
  aiAgentId: string;
  /** The kind of a customer-facing message the AI agent posted. */
  kindOf(text: string): AiMessageKind;
}

export type TimelineEvent =
  | { type: 'customer'; messageId: string; at: string }
  | { type: 'ai'; messageId: string; at: string; kind: AiMessageKind; text: string; lastLook?: LastLook }
  /** session: the session the note names ("AI handoff — session 2"), which may be one that has ended since. */
  | { type: 'ai_note'; messageId: string; at: string; handoff: boolean; session?: number }
  | { type: 'rep'; messageId: string; at: string; repId: string }
  | { type: 'assignment'; at: string; toAgentId: string; toAi: boolean; byAi: boolean; byRep: boolean }
  | { type: 'resolution'; at: string; byRep: boolean }
  /** byAi: the product reopened it through the REST API (its resolution met the customer's message). */
  | { type: 'reopen'; at: string; byAi: boolean };

/**
 * The integration's last look before a post of its own reached Freshchat: its latest reads of
 * the conversation and of its messages (SandboxStore.apiRecord). A human act after that look
 * crossed the post in flight: no integration can see it (Freshchat has no conditional post).
 */
export interface LastLook {
  conversation?: string;
  messages?: string;
}

/** The sandbox's record of what the integration read and posted, and when (one clock with the events). */
export interface ApiRecord {
  conversationReads: string[];
  messageReads: string[];
  postArrivals: Record<string, string>;
}

export function lastLookBefore(record: ApiRecord | undefined, messageId: string): LastLook | undefined {
  const arrived = record?.postArrivals[messageId];
  if (!record || !arrived) return undefined;
  const latest = (reads: string[]) => reads.filter((r) => r < arrived).at(-1);
  return { conversation: latest(record.conversationReads), messages: latest(record.messageReads) };
}

interface Envelope {
  actor?: { actor_type?: string; actor_id?: string };
  action?: string;
  action_time?: string;
  data?: {
    message?: { id: string; actor_type: string; actor_id?: string; message_type?: string; created_time?: string; message_parts?: Array<{ text?: { content?: string } }> };
    assignment?: { to_agent_id?: string };
  };
}

/** The conversation's events, oldest first, from its deliveries (the sandbox records them in the order they happened). */
export function timelineOf(deliveries: DeliveryRecord[], classifier: Classifier, apiRecord?: ApiRecord): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const delivery of deliveries) {
    const envelope = JSON.parse(delivery.body) as Envelope;
    const at = envelope.action_time ?? '';
    const actorType = envelope.actor?.actor_type ?? '';
    const actorId = envelope.actor?.actor_id ?? '';
    switch (delivery.action) {
      case 'message_create': {
        const m = envelope.data?.message;
        if (!m) break;
        const type = m.message_type ?? 'normal';
        const text = (m.message_parts ?? []).map((p) => p.text?.content ?? '').join('\n');
        if (m.actor_type === 'user' && type === 'normal') events.push({ type: 'customer', messageId: m.id, at });
        else if (m.actor_type === 'agent' && m.actor_id === classifier.aiAgentId) {
          if (type === 'private') events.push({ type: 'ai_note', messageId: m.id, at, handoff: text.startsWith('AI handoff'), session: sessionNamedBy(text) });
          else events.push({ type: 'ai', messageId: m.id, at, kind: classifier.kindOf(text), text, lastLook: lastLookBefore(apiRecord, m.id) });
        } else if (m.actor_type === 'agent' && type === 'normal' && m.actor_id) events.push({ type: 'rep', messageId: m.id, at, repId: m.actor_id });
        break;
      }
      case 'conversation_assignment':
        events.push({
          type: 'assignment', at, toAgentId: envelope.data?.assignment?.to_agent_id ?? '',
          toAi: (envelope.data?.assignment?.to_agent_id ?? '') === classifier.aiAgentId,
          // The product acts through the REST API: Freshchat names no person as the actor then.
          byAi: actorType === 'system', byRep: actorType === 'agent' && actorId !== classifier.aiAgentId,
        });
        break;
      case 'conversation_resolution':
        events.push({ type: 'resolution', at, byRep: actorType === 'agent' && actorId !== classifier.aiAgentId });
        break;
      case 'conversation_reopen':
        events.push({ type: 'reopen', at, byAi: actorType === 'system' });
        break;
    }
  }
  return events;
}

/** The session number in a note's first line (renderNote: "<title> — session <n>"). */
function sessionNamedBy(noteText: string): number | undefined {
  const named = /— session (\d+)$/.exec(noteText.split('\n', 1)[0] ?? '');
  return named ? Number(named[1]) : undefined;
}

export type BreachKind =
  | 'no_outcome'
  | 'duplicate_post'
  | 'ai_after_human'
  | 'ai_after_handoff'
  | 'accepted_not_handled'
  | 'state_mismatch'
  | 'workflow_failed'
  | 'workflow_stuck';

export interface Breach {
  kind: BreachKind;
  conversationId: string;
  detail: string;
}

export type Outcome = 'ai_reply' | 'handoff' | 'rep';

/** Who the product should consider holding the conversation at the end, as workflow states it may report. */
export type ModelOwner = 'ai' | 'queue' | 'rep' | 'rep_queue' | 'resolved';

export interface TranscriptVerdict {
  sessions: number;
  customerMessages: number;
  outcomes: Record<Outcome, number>;
  aiReplies: number;
  breaches: Breach[];
  /** AI messages that crossed a human act in flight (after the product's last look): not a breach, a figure. */
  talkedOverInFlight: number;
  finalOwner: ModelOwner;
}

/**
 * Walks one conversation's events. Each customer message gets its first outcome (the AI's
 * reply or handoff after it, or a rep who has acted in the session); each AI reply must have
 * a customer message of its own to answer (a reply with none is a duplicate); the same text
 * posted twice with no customer message between is a duplicate; a second handoff in one stretch
 * of AI ownership is a duplicate; a customer-facing AI message once a human acted (or after
 * the handoff) breaks "the AI never talks over a human".
 */
export function checkTranscript(conversationId: string, events: TimelineEvent[]): TranscriptVerdict {
  const breaches: Breach[] = [];
  const outcomes: Record<Outcome, number> = { ai_reply: 0, handoff: 0, rep: 0 };
  const breach = (kind: BreachKind, detail: string) => breaches.push({ kind, conversationId, detail });

  let session = 1;
  let owner = 'ai' as ModelOwner;
  let resolvedByRep = false;
  /** Customer messages with no outcome yet. */
  let pending: string[] = [];
  /** Customer messages covered by a handoff that the AI may still answer after a hand-back. */
  let parked: string[] = [];
  /** How many customer messages an AI reply may still answer (each reply answers at least one). */
  let credits = 0;
  /** A handoff in progress (notice posted, note not yet) and handoffs in this stretch of AI ownership. */
  let handoffOpen = false;
  let handoffs = 0;
  let textsSinceCustomer = new Set<string>();
  let customerMessages = 0;
  let aiReplies = 0;
  let talkedOverInFlight = 0;
  let assigneeIsRep = false;
  /** The human acts since a human took the conversation: rep messages show in its messages, the rest in its state. */
  let humanActsSeen: Array<{ at: string; shows: 'messages' | 'conversation' }> = [];

  const settle = (outcome: Outcome) => {
    outcomes[outcome] += pending.length;
    pending = [];
  };
  const humanActs = (next: ModelOwner, at: string, shows: 'messages' | 'conversation') => {
    humanActsSeen.push({ at, shows });
    // Moved to the queue, the chat is escalated: what waited stays answerable after a hand-back; a rep holding it answers all.
    parked = next === 'rep_queue' ? [...parked, ...pending] : [];
    settle('rep');
    credits = 0;
    owner = next;
  };
  const handoff = (what: string) => {
    handoffs++;
    if (handoffs > 1) breach('duplicate_post', `session ${session}: a second handoff (${what}) without a hand-back in between`);
    // Messages that came while the AI was thinking stay pending in the product: answerable after a hand-back.
    parked.push(...pending);
    settle('handoff');
    credits = 0;
    owner = 'queue';
  };
  const endSession = () => {
    for (const id of pending) breach('no_outcome', `session ${session}: customer message ${id} was never answered, handed off or left to a rep`);
    pending = [];
  };

  for (const event of events) {
    switch (event.type) {
      case 'reopen':
        // The AI taking back its own resolution (the customer wrote as it landed): the session goes on, its messages still to answer.
        if (event.byAi && owner === 'resolved' && !resolvedByRep) {
          owner = 'ai';
          break;
        }
        endSession();
        session++;
        resolvedByRep = false;
        humanActsSeen = [];
        // Freshchat keeps the assignee through resolve and reopen: a chat a rep holds stays theirs (never touched by the AI).
        if (assigneeIsRep) {
          owner = 'rep';
          humanActsSeen.push({ at: event.at, shows: 'conversation' });
        } else owner = 'ai';
        parked = [];
        credits = 0;
        handoffOpen = false;
        handoffs = 0;
        textsSinceCustomer = new Set();
        break;
      case 'customer':
        customerMessages++;
        textsSinceCustomer = new Set();
        if (owner === 'rep') outcomes.rep++;
        else if (owner === 'rep_queue') {
          // Left to the reps, and still answerable by the AI after a hand-back (the product keeps it pending).
          outcomes.rep++;
          parked.push(event.messageId);
        } else if (owner === 'queue') {
          outcomes.handoff++;
          parked.push(event.messageId);
        } else if (owner === 'ai') {
          pending.push(event.messageId);
          credits++;
        } else breach('no_outcome', `session ${session}: customer message ${event.messageId} into a resolved conversation without a reopen`);
        break;
      case 'ai': {
        if (textsSinceCustomer.has(event.text)) breach('duplicate_post', `session ${session}: the AI posted the same text twice (message ${event.messageId})`);
        textsSinceCustomer.add(event.text);
        if (owner === 'rep' || owner === 'rep_queue' || (owner === 'resolved' && resolvedByRep)) {
          const look = event.lastLook;
          // Without a record of the product's reads, every such message counts as a breach.
          const couldSee = !look || humanActsSeen.some((act) => {
            const lookedAt = act.shows === 'messages' ? look.messages : look.conversation;
            return lookedAt !== undefined && act.at < lookedAt;
          });
          if (couldSee) breach('ai_after_human', `session ${session}: AI message ${event.messageId} (${event.kind}) after a human acted, which the product had seen`);
          else talkedOverInFlight++;
          break;
        }
        if (owner === 'queue' || owner === 'resolved') {
          breach('ai_after_handoff', `session ${session}: AI message ${event.messageId} (${event.kind}) while the conversation was ${owner === 'queue' ? 'handed off' : 'resolved'}`);
          break;
        }
        if (event.kind === 'reply') {
          aiReplies++;
          if (credits === 0) breach('duplicate_post', `session ${session}: AI reply ${event.messageId} with no customer message left to answer`);
          else credits--;
          settle('ai_reply');
        } else if (event.kind === 'handoff_notice') {
          handoffOpen = true;
          handoff('notice');
        }
        break;
      }
      case 'ai_note':
        if (!event.handoff) break;
        // The note of a handoff in a session that has ended since (retried past a rep's resolution and a reopen) is no handoff in this one.
        if (event.session !== undefined && event.session < session) break;
        if (handoffOpen) handoffOpen = false;
        else if (owner === 'ai' || owner === 'queue') handoff('note'); // a second one in the queue is a duplicate
        break;
      case 'rep':
        humanActs('rep', event.at, 'messages');
        break;
      case 'assignment':
        assigneeIsRep = event.toAgentId !== '' && !event.toAi;
        // A rep moving the AI's chat to the queue escalates it; moving one a human holds leaves it theirs.
        if (event.byRep && event.toAgentId === '') humanActs(owner === 'ai' || owner === 'queue' ? 'rep_queue' : 'rep', event.at, 'conversation');
        else if (event.byRep && !event.toAi) humanActs('rep', event.at, 'conversation');
        else if (event.byRep) {
          humanActsSeen = [];
          // A hand-back: the AI owns the chat again and may answer what waited in the queue.
          // A handoff still being carried out (its note not posted yet) stays open: the note belongs to it.
          owner = 'ai';
          credits += parked.length;
          parked = [];
          handoffs = 0;
        } else if (event.byAi && event.toAgentId === '' && owner === 'ai') {
          handoffOpen = true;
          handoff('unassignment');
        }
        break;
      case 'resolution':
        if (event.byRep) humanActs('resolved', event.at, 'conversation');
        resolvedByRep = event.byRep;
        owner = 'resolved';
        break;
    }
  }
  endSession();
  return { sessions: session, customerMessages, outcomes, aiReplies, breaches, talkedOverInFlight, finalOwner: owner };
}

/** What the workflow says of itself at the end of the run. */
export interface WorkflowFacts {
  /** undefined: no workflow exists for the conversation. */
  status?: string;
  state?: string;
  /** The state query failed (e.g. a workflow task that keeps failing). */
  queryError?: string;
  pendingCustomerMessages?: number;
  customerMessagesHandled?: number;
  pendingActivities?: number;
  workflowTaskAttempt?: number;
}

const statesOf: Record<ModelOwner, string[]> = {
  ai: ['ai_active'],
  queue: ['escalated'],
  rep: ['human'],
  // A rep moved the AI's chat to the queue: escalated.
  rep_queue: ['escalated'],
  resolved: ['resolved'],
};

/**
 * The workflow's side: it exists when Freshchat's events were accepted, it runs (not failed,
 * terminated or timed out), it is not stuck (no failing workflow task, no activity still
 * retrying, no customer message waiting after the drain), it handled every accepted customer
 * message, and it ends in the state the events lead to.
 */
export function checkWorkflow(conversationId: string, deliveries: DeliveryRecord[], verdict: TranscriptVerdict, facts: WorkflowFacts): Breach[] {
  const breaches: Breach[] = [];
  const breach = (kind: BreachKind, detail: string) => breaches.push({ kind, conversationId, detail });
  const accepted = deliveries.filter((d) => d.status === 'delivered');
  const acceptedCustomer = new Set(
    accepted.filter((d) => d.action === 'message_create').flatMap((d) => {
      const m = (JSON.parse(d.body) as Envelope).data?.message;
      return m && m.actor_type === 'user' && (m.message_type ?? 'normal') === 'normal' ? [m.id] : [];
    }),
  );
  if (facts.status === undefined) {
    if (accepted.length > 0) breach('accepted_not_handled', `${accepted.length} accepted events but no workflow`);
    return breaches;
  }
  if (!['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(facts.status)) breach('workflow_failed', `workflow ${facts.status}`);
  if (facts.queryError) {
    breach('workflow_stuck', `state query failed: ${facts.queryError}`);
    return breaches;
  }
  if ((facts.workflowTaskAttempt ?? 0) > 1) breach('workflow_stuck', `workflow task at attempt ${facts.workflowTaskAttempt}`);
  if ((facts.pendingActivities ?? 0) > 0) breach('workflow_stuck', `${facts.pendingActivities} activities still pending after the drain`);
  // Messages wait legitimately while the chat is handed off (the AI answers them after a hand-back); not while the AI holds it.
  if ((facts.pendingCustomerMessages ?? 0) > 0 && facts.state === 'ai_active') breach('workflow_stuck', `${facts.pendingCustomerMessages} customer messages still pending after the drain`);
  if ((facts.customerMessagesHandled ?? 0) < acceptedCustomer.size) {
    breach('accepted_not_handled', `${acceptedCustomer.size} customer messages accepted, ${facts.customerMessagesHandled ?? 0} handled`);
  }
  if (facts.state && !statesOf[verdict.finalOwner].includes(facts.state)) {
    // With every event accepted, a wrong state means one was not handled; else a lost webhook was never made up for.
    const lost = deliveries.filter((d) => d.status !== 'delivered').length;
    breach(lost === 0 ? 'accepted_not_handled' : 'state_mismatch', `workflow state ${facts.state}, but the events lead to ${statesOf[verdict.finalOwner].join(' or ')}${lost ? ` (${lost} webhooks never accepted)` : ''}`);
  }
  return breaches;
}

export interface SoakFigures {
  conversations: number;
  sessions: number;
  customerMessages: number;
  outcomes: Record<Outcome, number>;
  aiReplies: number;
  /** AI messages that crossed a human act in flight (see LastLook). */
  talkedOverInFlight: number;
  deliveries: { total: number; delivered: number; failed: number; pending: number };
  breaches: Record<BreachKind, number>;
  /** Conversation ids per breach kind. */
  breachingConversations: Partial<Record<BreachKind, string[]>>;
}

export const breachKinds: BreachKind[] = ['no_outcome', 'duplicate_post', 'ai_after_human', 'ai_after_handoff', 'accepted_not_handled', 'state_mismatch', 'workflow_failed', 'workflow_stuck'];

export function figuresOf(results: Array<{ deliveries: DeliveryRecord[]; verdict: TranscriptVerdict; breaches: Breach[] }>): SoakFigures {
  const breaches = Object.fromEntries(breachKinds.map((k) => [k, 0])) as Record<BreachKind, number>;
  const breachingConversations: SoakFigures['breachingConversations'] = {};
  const figures: SoakFigures = {
    conversations: results.length, sessions: 0, customerMessages: 0, outcomes: { ai_reply: 0, handoff: 0, rep: 0 }, aiReplies: 0, talkedOverInFlight: 0,
    deliveries: { total: 0, delivered: 0, failed: 0, pending: 0 }, breaches, breachingConversations,
  };
  for (const { deliveries, verdict, breaches: found } of results) {
    figures.sessions += verdict.sessions;
    figures.customerMessages += verdict.customerMessages;
    figures.aiReplies += verdict.aiReplies;
    figures.talkedOverInFlight += verdict.talkedOverInFlight;
    for (const k of Object.keys(verdict.outcomes) as Outcome[]) figures.outcomes[k] += verdict.outcomes[k];
    for (const d of deliveries) {
      figures.deliveries.total++;
      if (d.status === 'delivered') figures.deliveries.delivered++;
      else if (d.status === 'failed') figures.deliveries.failed++;
      else if (d.status === 'pending') figures.deliveries.pending++;
    }
    for (const b of found) {
      breaches[b.kind]++;
      const ids = (breachingConversations[b.kind] ??= []);
      if (!ids.includes(b.conversationId)) ids.push(b.conversationId);
    }
  }
  return figures;
}

export function totalBreaches(figures: SoakFigures): number {
  return Object.values(figures.breaches).reduce((a, b) => a + b, 0);
}
