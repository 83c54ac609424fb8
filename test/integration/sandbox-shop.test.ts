/**
 * The sandbox's sample shop API over real HTTP (/shop/api): Bearer auth, the order lookup, a
 * refund that happens once per Idempotency-Key (also when its first answer was lost to an
 * injected fault), 429s with Retry-After, the request record, and the control API's orders.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { createLogger } from '../../lib/logger.js';
import { SandboxControl } from '../../sandbox/control-client.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { capturedLogs } from '../helpers/log-capture.js';

const SHOP_TOKEN = 'test-shop-token';

// Loosely typed JSON, as a tool parsing the shop's answers sees it.
type Json = any;

describe('sandbox sample shop API', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let control: SandboxControl;

  before(async () => {
    sandbox = await startSandbox({
      apiToken: 'unused-freshchat-token',
      aiAgentEmail: 'ai@sandbox.test',
      shopApiToken: SHOP_TOKEN,
      logger: createLogger('freshchat-sandbox', capturedLogs),
    });
    control = new SandboxControl(sandbox.baseUrl);
  });
  after(() => sandbox?.close());
  afterEach(async () => {
    await control.clearFaults();
    await control.resetShop();
  });

  async function shop(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; idempotencyKey?: string; authorization?: string | null } = {},
  ) {
    const headers: Record<string, string> = {};
    const authorization = options.authorization === undefined ? `Bearer ${SHOP_TOKEN}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${sandbox.shopApiUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Json };
  }
  const refund = (orderNumber: string, idempotencyKey?: string, body?: unknown) =>
    shop('POST', `/orders/${orderNumber}/refund`, { idempotencyKey, body });

  it('tells its URL and token; answers 401 without the Bearer token or with a wrong one, and records neither', async () => {
    expect(sandbox.shopApiUrl).to.equal(`${sandbox.baseUrl}/shop/api`);
    expect(sandbox.shopApiToken).to.equal(SHOP_TOKEN);
    for (const authorization of [null, 'Bearer wrong-token', `Basic ${SHOP_TOKEN}`, SHOP_TOKEN]) {
      const denied = await shop('GET', '/orders/1234', { authorization });
      expect(denied.status, String(authorization)).to.equal(401);
      expect(denied.body).to.deep.equal({ error: 'unauthorized' });
    }
    const deniedRefund = await shop('POST', '/orders/1234/refund', { authorization: 'Bearer nope', idempotencyKey: 'k-401' });
    expect(deniedRefund.status).to.equal(401);
    const state = await control.shop();
    expect(state.requests).to.deep.equal([]);
    expect(state.refunds).to.deep.equal([]);
    expect(state.orders.find((order) => order.orderNumber === '1234')).to.include({ status: 'shipped' });
  });

  it('looks up the sample orders, with the fields a tool must not pass on; 404 for an unknown one', async () => {
    const found = await shop('GET', '/orders/1234');
    expect(found.status).to.equal(200);
    expect(found.body).to.include({ orderNumber: '1234', status: 'shipped', carrier: 'DHL', total: 89.9, currency: 'EUR' });
    expect(found.body.eta).to.match(/^\d{4}-\d{2}-\d{2}$/);
    // Two days after the sandbox started (a day either way, should midnight fall in between).
    expect(Math.abs(Date.parse(found.body.eta) - (Date.now() + 2 * 24 * 3600_000))).to.be.at.most(24 * 3600_000);
    expect(found.body.trackingUrl).to.match(/^https:\/\//);
    expect(found.body.customerEmail).to.match(/@example\.com$/);
    expect(found.body.lastPaymentId).to.be.a('string');
    expect(found.body.items).to.have.length.greaterThan(0);
    expect(found.body.items[0]).to.have.all.keys('sku', 'name', 'quantity');

    expect((await shop('GET', '/orders/1235')).body).to.include({ status: 'processing', carrier: null, eta: null });
    expect((await shop('GET', '/orders/1236')).body).to.include({ status: 'delivered' });
    expect((await shop('GET', '/orders/1237')).body).to.include({ status: 'shipped', carrier: 'UPS' });

    const missing = await shop('GET', '/orders/9999');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ error: 'order_not_found' });
    expect((await shop('GET', '/no-such-route')).status).to.equal(404);

    const { requests } = await control.shop();
    expect(requests.map((request) => [request.method, request.path, request.status])).to.deep.equal([
      ['GET', '/shop/api/orders/1234', 200],
      ['GET', '/shop/api/orders/1235', 200],
      ['GET', '/shop/api/orders/1236', 200],
      ['GET', '/shop/api/orders/1237', 200],
      ['GET', '/shop/api/orders/9999', 404],
      ['GET', '/shop/api/no-such-route', 404],
    ]);
    expect(requests[0]).not.to.have.property('idempotencyKey');
    expect(Date.parse(requests[0]!.at)).to.be.a('number').and.not.NaN;
  });

  it('refunds once per Idempotency-Key: the same key answers the same body, another key is 409, no key is 400', async () => {
    const first = await refund('1234', 'key-a', { reason: 'arrived broken' });
    expect(first.status).to.equal(200);
    expect(first.body).to.have.all.keys('refundId', 'orderNumber', 'status', 'amount', 'currency');
    expect(first.body).to.include({ orderNumber: '1234', status: 'refunded', amount: 89.9, currency: 'EUR' });

    const again = await refund('1234', 'key-a', { reason: 'arrived broken' });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);

    const other = await refund('1234', 'key-b');
    expect(other.status).to.equal(409);
    expect(other.body).to.deep.equal({ error: 'already_refunded' });

    const keyless = await refund('1235');
    expect(keyless.status).to.equal(400);
    expect(keyless.body).to.deep.equal({ error: 'idempotency_key_required' });
    expect((await refund('1235', '   ')).status).to.equal(400); // blank is no key

    expect((await refund('9999', 'key-c')).body).to.deep.equal({ error: 'order_not_found' });
    expect((await refund('9999', 'key-c')).status).to.equal(404);
    // A key is one refund of one order.
    expect((await refund('1235', 'key-a')).status).to.equal(422);

    expect((await shop('GET', '/orders/1234')).body.status).to.equal('refunded');
    expect((await shop('GET', '/orders/1235')).body.status).to.equal('processing');
    const state = await control.shop();
    expect(state.refunds).to.have.length(1);
    expect(state.refunds[0]).to.include({
      refundId: first.body.refundId, orderNumber: '1234', amount: 89.9, currency: 'EUR', idempotencyKey: 'key-a', reason: 'arrived broken',
    });
    expect(state.requests.filter((request) => request.path === '/shop/api/orders/1234/refund').map((r) => [r.idempotencyKey, r.status])).to.deep.equal([
      ['key-a', 200],
      ['key-a', 200],
      ['key-b', 409],
    ]);
  });

  it('refunds a processing order and a partial amount; rejects a bad body with 400 and refunds nothing', async () => {
    for (const body of [{ amount: -5 }, { amount: 'ten' }, { reason: 42 }, [1, 2]]) {
      const rejected = await refund('1235', 'key-bad', body);
      expect(rejected.status, JSON.stringify(body)).to.equal(400);
      expect(rejected.body.error).to.equal('invalid_body');
    }
    const malformed = await shop('POST', '/orders/1235/refund', { idempotencyKey: 'key-bad', rawBody: '{"amount": ' });
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error).to.equal('invalid_body');
    expect((await refund('1235', 'key-bad', { amount: 1000 })).body.error).to.equal('amount_exceeds_total');
    expect((await control.shop()).refunds).to.deep.equal([]);

    // Fields the shop doesn't know are ignored, and null is "not given": a tool may send its arguments as they are.
    const partial = await refund('1235', 'key-ok', { orderNumber: '1235', amount: 10, reason: null });
    expect(partial.status).to.equal(200);
    expect(partial.body).to.include({ orderNumber: '1235', status: 'refunded', amount: 10 });
    expect((await shop('GET', '/orders/1235')).body.status).to.equal('refunded');
    expect((await control.shop()).refunds[0]).not.to.have.property('reason');
  });

  it('a 500 after the refund took effect: the retry with the same key answers 200 with the same refund, and one refund exists', async () => {
    await control.addFault({ path: '/shop/api/orders/1234/refund', status: 500, afterEffect: true });
    const lost = await refund('1234', 'key-retry');
    expect(lost.status).to.equal(500);
    expect(lost.body.error).to.equal('service_unavailable');

    const afterLoss = await control.shop();
    expect(afterLoss.refunds).to.have.length(1);
    expect(afterLoss.orders.find((order) => order.orderNumber === '1234')).to.include({ status: 'refunded' });

    const retried = await refund('1234', 'key-retry');
    expect(retried.status).to.equal(200);
    expect(retried.body).to.include({ refundId: afterLoss.refunds[0]!.refundId, orderNumber: '1234', status: 'refunded', amount: 89.9 });

    const state = await control.shop();
    expect(state.refunds).to.have.length(1);
    // The record says what the client got: the fault's 500, then the replayed 200.
    expect(state.requests.map((request) => [request.idempotencyKey, request.status])).to.deep.equal([
      ['key-retry', 500],
      ['key-retry', 200],
    ]);
  });

  it('a 429 with Retry-After refunds nothing; a delayed afterEffect answer refunds before it arrives', async () => {
    await control.addFault({ method: 'POST', path: '^/shop/api/orders/\\d+/refund$', status: 429, retryAfterSeconds: 1 });
    const limited = await refund('1237', 'key-429');
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.equal('1');
    expect(limited.body.error).to.equal('rate_limited');
    expect((await control.shop()).refunds).to.deep.equal([]);
    const allowed = await refund('1237', 'key-429');
    expect(allowed.status).to.equal(200);

    // Lookups are faulted the same way, after authentication (a 401 does not use a fault up).
    await control.addFault({ method: 'GET', path: '/shop/api/orders/1236$', status: 503 });
    expect((await shop('GET', '/orders/1236', { authorization: null })).status).to.equal(401);
    expect((await shop('GET', '/orders/1236')).status).to.equal(503);
    expect((await shop('GET', '/orders/1236')).status).to.equal(200);

    await control.addFault({ path: '/orders/1234/refund', delayMs: 1500, afterEffect: true });
    let aborted = false;
    try {
      await fetch(`${sandbox.shopApiUrl}/orders/1234/refund`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SHOP_TOKEN}`, 'idempotency-key': 'key-slow' },
        signal: AbortSignal.timeout(300), // the tool's timeout is shorter than the held answer
      });
    } catch {
      aborted = true;
    }
    expect(aborted).to.equal(true);
    expect((await control.shop()).refunds.map((r) => r.idempotencyKey)).to.deep.equal(['key-429', 'key-slow']);
    await sleep(1300); // let the held answer go out before the next test
  });

  it('control API: adds and replaces orders (a huge one too), rejects a bad order number, resets to the samples', async () => {
    const added = await control.addShopOrder({ orderNumber: 'BIG-1', status: 'shipped', carrier: 'DHL', notes: 'x'.repeat(2 * 1024 * 1024) });
    expect(added).to.include({ orderNumber: 'BIG-1', status: 'shipped' });
    const big = await shop('GET', '/orders/BIG-1');
    expect(big.status).to.equal(200);
    expect(big.body.notes).to.have.length(2 * 1024 * 1024);

    const replaced = await fetch(`${sandbox.baseUrl}/sandbox/shop/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderNumber: 'BIG-1', status: 'delivered' }),
    });
    expect(replaced.status).to.equal(200);
    expect(await replaced.json()).to.deep.equal({ orderNumber: 'BIG-1', status: 'delivered' });
    // An order without a total needs an amount to be refunded.
    expect((await refund('BIG-1', 'key-big')).body.error).to.equal('amount_required');
    expect((await refund('BIG-1', 'key-big', { amount: 5 })).body).to.include({ amount: 5, currency: 'EUR' });

    for (const orderNumber of ['', 'has space', 'x'.repeat(33), 42]) {
      const rejected = await fetch(`${sandbox.baseUrl}/sandbox/shop/orders`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderNumber }),
      });
      expect(rejected.status, JSON.stringify(orderNumber)).to.equal(400);
    }

    await refund('1234', 'key-before-reset');
    expect((await control.shop()).orders.map((order) => order.orderNumber)).to.deep.equal(['1234', '1235', '1236', '1237', 'BIG-1']);
    const samples = (await control.shop()).orders.filter((order) => order.orderNumber !== 'BIG-1');

    await control.resetShop();
    const state = await control.shop();
    expect(state.orders.map((order) => order.orderNumber)).to.deep.equal(['1234', '1235', '1236', '1237']);
    expect(state.orders[0]).to.include({ status: 'shipped' });
    expect(state.orders.slice(1)).to.deep.equal(samples.slice(1));
    expect(state.requests).to.deep.equal([]);
    expect(state.refunds).to.deep.equal([]);
    // The key is forgotten too: the same key refunds the restored order again.
    expect((await refund('1234', 'key-before-reset')).status).to.equal(200);
  });
});
