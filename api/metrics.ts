import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** How a webhook was answered: one label value per answer the webhook gives (api/webhook-app.ts). */
export type WebhookOutcome =
  | 'accepted'
  | 'rejected_signature'
  | 'bad_request'
  | 'unsupported'
  | 'too_large'
  | 'ignored_action'
  | 'ignored'
  | 'temporal_rejected'
  | 'temporal_unavailable'
  | 'failed';

/** Why a verified event did not reach Temporal (api/temporal-call.ts). */
export type HandoverFailure = 'unavailable' | 'rejected';

export interface ApiMetrics {
  /** Serves `GET /metrics` on the ops listener. */
  registry: Registry;
  webhooks: Counter<'action' | 'outcome'>;
  webhookAckSeconds: Histogram;
  temporalHandoverFailures: Counter<'reason'>;
}

/**
 * The API's Prometheus metrics, in a registry of their own (not prom-client's global one), so
 * that each app a test builds counts alone. Labels are action names and outcomes, never ids
 * or anything a customer wrote.
 */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhooks: new Counter({
      name: 'freshchat_ai_webhooks_total',
      help: 'Freshchat webhooks received, by action (unknown when not read or not known) and how they were answered',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
    webhookAckSeconds: new Histogram({
      name: 'freshchat_ai_webhook_ack_seconds',
      help: 'Time from a webhook request to its answer; Freshchat gives up after about 3 s',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers: [registry],
    }),
    temporalHandoverFailures: new Counter({
      name: 'freshchat_ai_temporal_handover_failures_total',
      help: 'Verified webhook events not handed to Temporal: unavailable (answered 503, Freshchat retries) or rejected (answered 400)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
