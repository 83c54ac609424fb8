/**
 * The product metrics activities emit, through the SDK's activity metric meter: they go out
 * on the worker's Prometheus exporter (METRICS_PORT), tagged with namespace, task queue and
 * activity type. Labels are actions and HTTP statuses, never ids or customer text.
 */
import { Context } from '@temporalio/activity';
import type { AiAction } from '../workflow-safe/decision.js';

export const activityMetricNames = {
  aiLatency: 'freshchat_ai_ai_latency_seconds',
  freshchatFailures: 'freshchat_ai_freshchat_failures_total',
} as const;

/** Bucket bounds (seconds) for the worker's exporter: an AI turn takes from milliseconds (faq) to a minute (a slow model). */
export const activityHistogramBuckets: Record<string, number[]> = {
  [activityMetricNames.aiLatency]: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
};

/** How long one AI turn took (transcript read and the AI's decision), by the action it chose. */
export function recordAiLatency(latencyMs: number, action: AiAction): void {
  Context.current()
    .metricMeter.createHistogram(activityMetricNames.aiLatency, 'float', 's', 'Time of one AI turn: the transcript read and the decision, by the action chosen')
    .record(latencyMs / 1000, { action });
}

/** A Freshchat API call that failed an activity attempt, by HTTP status ("network" when none came back). */
export function countFreshchatFailure(status: number | undefined): void {
  Context.current()
    .metricMeter.createCounter(activityMetricNames.freshchatFailures, undefined, 'Freshchat API calls that failed an activity attempt, by HTTP status')
    .add(1, { status: status === undefined ? 'network' : String(status) });
}
