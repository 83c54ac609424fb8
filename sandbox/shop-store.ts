/**
 * The sample shop's state ("Pinecone Goods", the fictional shop of the help center): its orders,
 * the refunds made, and every request its API answered. The shop API (shop-api.ts) changes it;
 * the control API shows it, adds orders and resets it. Tests of the product's tools read
 * `requests` and `refunds` to see what the AI really did, however many retries it took.
 */

/** An order as the shop API answers it. Orders added through the control API may carry any other fields. */
export type ShopOrder = { orderNumber: string } & Record<string, unknown>;

export interface ShopRefund {
  refundId: string;
  orderNumber: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  /** The caller's `reason`, when it gave one. */
  reason?: string;
  at: string;
}

/** The body of a successful refund; a request repeating its Idempotency-Key gets it again, unchanged. */
export interface ShopRefundAnswer {
  refundId: string;
  orderNumber: string;
  status: 'refunded';
  amount: number;
  currency: string;
}

export interface ShopRequest {
  method: string;
  /** Path and query as requested, e.g. `/shop/api/orders/1234/refund`. */
  path: string;
  idempotencyKey?: string;
  /** The status the client got (an injected fault's, if one hit); null until answered, and if the client left first. */
  status: number | null;
  /** When the request arrived. */
  at: string;
}

export type RefundOutcome =
  | { outcome: 'refunded' | 'replayed'; answer: ShopRefundAnswer }
  | { outcome: 'order_not_found' | 'already_refunded' | 'idempotency_key_reused' | 'amount_exceeds_total' | 'amount_required' };

export const DEFAULT_CURRENCY = 'EUR';
/** The order numbers of the sample orders, for tests that name them. */
export const SAMPLE_ORDER_NUMBERS = ['1234', '1235', '1236', '1237'] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD`, `days` from `from` (UTC): an ETA, as shops give it. */
const dateIn = (from: Date, days: number) => new Date(from.getTime() + days * DAY_MS).toISOString().slice(0, 10);

/**
 * The sample orders, dated from `startedAt` so that "arrives in 2 days" stays true whenever the
 * sandbox runs. Each has fields the product must not pass on to the AI (customerEmail,
 * lastPaymentId, ...): tests show they are dropped.
 */
export function sampleOrders(startedAt: Date): ShopOrder[] {
  return [
    {
      orderNumber: '1234',
      status: 'shipped',
      carrier: 'DHL',
      eta: dateIn(startedAt, 2),
      trackingUrl: 'https://tracking.pinecone-goods.example/dhl/JJD0099123400001',
      placedAt: dateIn(startedAt, -3),
      total: 89.9,
      currency: DEFAULT_CURRENCY,
      customerEmail: 'mia.keller@example.com',
      shippingAddress: { name: 'Mia Keller', street: 'Lindenstraße 12', postalCode: '10969', city: 'Berlin', country: 'DE' },
      items: [
        { sku: 'PG-MUG-ENAMEL', name: 'Enamel camp mug, forest green', quantity: 2 },
        { sku: 'PG-BLANKET-WOOL', name: 'Merino picnic blanket', quantity: 1 },
      ],
      lastPaymentId: 'pay_7Q2X91234',
    },
    {
      orderNumber: '1235',
      status: 'processing',
      carrier: null,
      eta: null,
      trackingUrl: null,
      placedAt: dateIn(startedAt, 0),
      total: 24.5,
      currency: DEFAULT_CURRENCY,
      customerEmail: 'jonas.weber@example.com',
      shippingAddress: { name: 'Jonas Weber', street: 'Am Hang 3', postalCode: '80331', city: 'München', country: 'DE' },
      items: [{ sku: 'PG-CANDLE-PINE', name: 'Pine forest candle', quantity: 1 }],
      lastPaymentId: 'pay_3KD81235',
    },
    {
      orderNumber: '1236',
      status: 'delivered',
      carrier: 'DHL',
      eta: dateIn(startedAt, -2),
      deliveredAt: dateIn(startedAt, -2),
      trackingUrl: 'https://tracking.pinecone-goods.example/dhl/JJD0099123600001',
      placedAt: dateIn(startedAt, -7),
      total: 149,
      currency: DEFAULT_CURRENCY,
      customerEmail: 'lena.fischer@example.com',
      shippingAddress: { name: 'Lena Fischer', street: 'Hafenweg 8', postalCode: '20457', city: 'Hamburg', country: 'DE' },
      items: [{ sku: 'PG-TENT-2P', name: 'Fir Ridge 2-person tent', quantity: 1 }],
      lastPaymentId: 'pay_9ZT41236',
    },
    {
      orderNumber: '1237',
      status: 'shipped',
      carrier: 'UPS',
      eta: dateIn(startedAt, 4),
      trackingUrl: 'https://tracking.pinecone-goods.example/ups/1Z999AA10123451237',
      placedAt: dateIn(startedAt, -1),
      total: 59.8,
      currency: DEFAULT_CURRENCY,
      customerEmail: 'sam.novak@example.com',
      shippingAddress: { name: 'Sam Novak', street: 'Kastanienallee 40', postalCode: '04109', city: 'Leipzig', country: 'DE' },
      items: [{ sku: 'PG-LANTERN', name: 'Beech wood lantern', quantity: 2 }],
      lastPaymentId: 'pay_5MV21237',
    },
  ];
}

export class ShopStore {
  private orders = new Map<string, ShopOrder>();
  private refundList: ShopRefund[] = [];
  /** Idempotency-Key → the answer its refund got: a repeat gets exactly that again. */
  private answersByKey = new Map<string, ShopRefundAnswer>();
  private requestList: ShopRequest[] = [];
  /** Refund ids count up from 1 since the last reset: deterministic, like the sample orders. */
  private refundCount = 0;

  /** `startedAt` dates the sample orders; a reset keeps it, so the samples come back unchanged. */
  constructor(private readonly startedAt: Date = new Date()) {
    this.reset();
  }

  /** The sample orders again; refunds, idempotency keys and the request record are forgotten. */
  reset(): void {
    this.orders = new Map(sampleOrders(this.startedAt).map((order) => [order.orderNumber, order]));
    this.refundList = [];
    this.answersByKey.clear();
    this.requestList = [];
    this.refundCount = 0;
  }

  /** Copies: what a caller does with them changes nothing here. */
  listOrders(): ShopOrder[] {
    return [...this.orders.values()].map((order) => structuredClone(order));
  }

  findOrder(orderNumber: string): ShopOrder | undefined {
    const order = this.orders.get(orderNumber);
    return order && structuredClone(order);
  }

  /** Adds the order, or replaces the one with its number; true when it is new. */
  putOrder(order: ShopOrder): boolean {
    const created = !this.orders.has(order.orderNumber);
    this.orders.set(order.orderNumber, structuredClone(order));
    return created;
  }

  get refunds(): ShopRefund[] {
    return this.refundList.map((refund) => ({ ...refund }));
  }

  get requests(): ShopRequest[] {
    return this.requestList.map((request) => ({ ...request }));
  }

  /** Records a request as it arrives; call the returned function with the status the client got. */
  recordRequest(request: Omit<ShopRequest, 'status' | 'at'>): (status: number) => void {
    const entry: ShopRequest = { ...request, status: null, at: new Date().toISOString() };
    this.requestList.push(entry);
    return (status) => {
      entry.status = status;
    };
  }

  /**
   * Refunds the order once per Idempotency-Key: a key seen before gets its first answer again
   * and refunds nothing more (also when that first answer never reached the caller). A key is
   * one refund of one order: the same key for another order is refused.
   */
  refund(orderNumber: string, idempotencyKey: string, request: { amount?: number; reason?: string }): RefundOutcome {
    const earlier = this.answersByKey.get(idempotencyKey);
    if (earlier) {
      return earlier.orderNumber === orderNumber ? { outcome: 'replayed', answer: { ...earlier } } : { outcome: 'idempotency_key_reused' };
    }
    const order = this.orders.get(orderNumber);
    if (!order) return { outcome: 'order_not_found' };
    if (order.status === 'refunded') return { outcome: 'already_refunded' };
    const total = typeof order.total === 'number' ? order.total : undefined;
    const amount = request.amount ?? total;
    if (amount === undefined) return { outcome: 'amount_required' };
    if (total !== undefined && amount > total) return { outcome: 'amount_exceeds_total' };
    const currency = typeof order.currency === 'string' ? order.currency : DEFAULT_CURRENCY;

    this.refundCount += 1;
    const refundId = `rf_${String(this.refundCount).padStart(6, '0')}`;
    order.status = 'refunded';
    this.refundList.push({
      refundId, orderNumber, amount, currency, idempotencyKey,
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
      at: new Date().toISOString(),
    });
    const answer: ShopRefundAnswer = { refundId, orderNumber, status: 'refunded', amount, currency };
    this.answersByKey.set(idempotencyKey, answer);
    return { outcome: 'refunded', answer: { ...answer } };
  }
}
