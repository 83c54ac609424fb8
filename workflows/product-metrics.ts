/**
 * The product counters of the conversation workflow, through the SDK's workflow metric meter:
 * they go out on the worker's Prometheus exporter (METRICS_PORT) with the SDK's own metrics,
 * tagged with namespace, task queue and workflow type. The meter emits nothing while a
 * workflow replays, so a replayed decision is not counted twice. Labels are rule names and
 * kinds, never ids or customer text.
 */
import { metricMeter } from '@temporalio/workflow';
import type { ConversationObserver } from './conversation.js';
import type { DecisionRecord, ResolutionKind, ResolvedBy } from './messages.js';

export const productMetricNames = {
  replies: 'freshchat_ai_replies_total',
  escalations: 'freshchat_ai_escalations_total',
  resolutions: 'freshchat_ai_resolutions_total',
  lostOwnershipRaces: 'freshchat_ai_lost_ownership_races_total',
} as const;

/** Counts what the conversation decides; created in the workflow (the meter needs its context). */
export function productMetrics(): ConversationObserver {
  const replies = metricMeter.createCounter(productMetricNames.replies, undefined, 'AI replies posted to customers');
  const escalations = metricMeter.createCounter(productMetricNames.escalations, undefined, 'Conversations handed to the reps, by the rule that decided');
  const resolutions = metricMeter.createCounter(productMetricNames.resolutions, undefined, 'Sessions resolved, by who (ai, rep, ops) and kind (confirmed, assumed, none)');
  const lostRaces = metricMeter.createCounter(
    productMetricNames.lostOwnershipRaces,
    undefined,
    'AI actions dropped because a human took the conversation first, by the action dropped',
  );
  return {
    decided(record: DecisionRecord): void {
      if (record.action === 'reply' && record.outcome === 'posted') replies.add(1);
      if (record.outcome === 'escalated') escalations.add(1, { rule: record.rule });
      if (record.rule === 'lost_ownership_race') lostRaces.add(1, { action: record.action });
    },
    resolved(by: ResolvedBy, kind?: ResolutionKind): void {
      resolutions.add(1, { by, kind: kind ?? 'none' });
    },
  };
}
