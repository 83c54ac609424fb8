import { randomUUID, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.js';
import { FreshchatError } from './errors.js';
import { signBody } from './signing.js';
import type { WebhookAction, WebhookDelivery, WebhookEnvelope } from './types.js';

export interface WebhookSenderOptions {
  privateKey: KeyObject;
  logger: Logger;
  webhookUrl?: string;
  /** Retries after the first attempt (Freshchat: 5). */
  maxRetries?: number;
  /** Wait before retry n (0-based) is baseBackoffMs × 2^n. */
  baseBackoffMs?: number;
  /** Freshchat gives up on a receiver after about 3 s. */
  attemptTimeoutMs?: number;
}

/**
 * Posts webhook events to the receiver the way Freshchat does: signed, at least once, with
 * retries. Events of one conversation go out one at a time in the order they happened (a
 * FIFO per conversation, which waits while its head is being retried); different
 * conversations are delivered in parallel.
 */
export class WebhookSender {
  private webhookUrl: string | undefined;
  private readonly privateKey: KeyObject;
  private readonly logger: Logger;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly attemptTimeoutMs: number;

  private readonly deliveries: WebhookDelivery[] = [];
  /** Deliveries waiting per conversation; the head is the one being attempted. */
  private readonly queues = new Map<string, WebhookDelivery[]>();
  /** Queue workers and redeliveries in flight: drain() waits for all of them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Aborts requests and backoff waits when the sandbox closes. */
  private readonly shutdown = new AbortController();

  constructor(options: WebhookSenderOptions) {
    this.webhookUrl = options.webhookUrl || undefined;
    this.privateKey = options.privateKey;
    this.logger = options.logger;
    this.maxRetries = options.maxRetries ?? 5;
    this.baseBackoffMs = options.baseBackoffMs ?? 200;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 3000;
  }

  /** Where deliveries go now; undefined = nowhere (they are recorded as 'skipped'). */
  get url(): string | undefined {
    return this.webhookUrl;
  }

  setWebhookUrl(url: string): void {
    this.webhookUrl = url || undefined;
  }

  /** Records the event and queues it behind earlier events of the same conversation. */
  enqueue(action: WebhookAction, conversationId: string, envelope: WebhookEnvelope): WebhookDelivery {
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      action,
      conversation_id: conversationId,
      body: JSON.stringify(envelope),
      status: 'pending',
      attempts: 0,
      created_time: new Date().toISOString(),
    };
    this.deliveries.push(delivery);
    if (this.shutdown.signal.aborted) return delivery;

    const queue = this.queues.get(conversationId);
    if (queue) {
      queue.push(delivery);
    } else {
      const newQueue = [delivery];
      this.queues.set(conversationId, newQueue);
      this.track(this.workThrough(conversationId, newQueue));
    }
    return delivery;
  }

  /** Every delivery so far, oldest first, optionally of one conversation. */
  list(conversationId?: string): WebhookDelivery[] {
    return this.deliveries.filter((delivery) => !conversationId || delivery.conversation_id === conversationId);
  }

  /** Sends a recorded delivery again, identical body, next X-Retry-Count; one attempt, outside the FIFO. */
  async redeliver(deliveryId: string): Promise<WebhookDelivery> {
    const delivery = this.deliveries.find((candidate) => candidate.id === deliveryId);
    if (!delivery) throw new FreshchatError(404, `No webhook delivery ${deliveryId}`);
    if (!this.webhookUrl) throw new FreshchatError(400, 'No webhook URL is set');
    const sent = this.attempt(delivery).then((ok) => {
      delivery.status = ok ? 'delivered' : 'failed';
    });
    this.track(sent);
    await sent;
    return delivery;
  }

  /** Resolves once every queued delivery has been attempted to completion. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Stops retrying and aborts requests in flight; undelivered events stay 'pending'. */
  async close(): Promise<void> {
    this.shutdown.abort();
    await this.drain();
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async workThrough(conversationId: string, queue: WebhookDelivery[]): Promise<void> {
    try {
      while (queue.length > 0 && !this.shutdown.signal.aborted) {
        await this.deliverWithRetries(queue[0]);
        queue.shift();
      }
    } finally {
      // No await between the loop's last check and here, so enqueue() can't slip an event
      // into a queue that is about to be forgotten.
      this.queues.delete(conversationId);
    }
  }

  private async deliverWithRetries(delivery: WebhookDelivery): Promise<void> {
    for (let retry = 0; ; retry++) {
      if (!this.webhookUrl) {
        delivery.status = 'skipped';
        return;
      }
      if (await this.attempt(delivery)) {
        delivery.status = 'delivered';
        return;
      }
      if (retry >= this.maxRetries || this.shutdown.signal.aborted) break;
      try {
        await sleep(this.baseBackoffMs * 2 ** retry, undefined, { signal: this.shutdown.signal });
      } catch {
        break; // closing
      }
    }
    if (!this.shutdown.signal.aborted) {
      delivery.status = 'failed';
      this.logger.warn(
        { deliveryId: delivery.id, conversationId: delivery.conversation_id, attempts: delivery.attempts },
        'webhook delivery failed, retries exhausted',
      );
    }
  }

  /** One POST of the delivery's body. True when the receiver answered 2xx. */
  private async attempt(delivery: WebhookDelivery): Promise<boolean> {
    const url = this.webhookUrl;
    if (!url) return false;
    const body = Buffer.from(delivery.body, 'utf8');
    const retryCount = delivery.attempts;
    delivery.attempts += 1;
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-Freshchat-Signature': signBody(this.privateKey, body),
          'X-Retry-Count': String(retryCount),
          'X-Freshchat-Payload-Version': '1',
          'User-Agent': 'Freshchat-Sandbox-Webhook/1',
        },
        signal: AbortSignal.any([AbortSignal.timeout(this.attemptTimeoutMs), this.shutdown.signal]),
      });
      await response.arrayBuffer().catch(() => undefined); // let the connection be reused
      delivery.last_status_code = response.status;
      delivery.last_error = undefined;
      const ok = response.status >= 200 && response.status < 300;
      this.logger.debug(
        { deliveryId: delivery.id, conversationId: delivery.conversation_id, status: response.status, retryCount },
        'webhook attempt',
      );
      return ok;
    } catch (error) {
      delivery.last_status_code = undefined;
      delivery.last_error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.logger.debug(
        { deliveryId: delivery.id, conversationId: delivery.conversation_id, error: delivery.last_error, retryCount },
        'webhook attempt failed',
      );
      return false;
    }
  }
}
