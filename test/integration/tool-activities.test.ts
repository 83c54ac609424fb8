import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createToolActivities, type ToolActivities } from '../../activities/tool-activities.js';
import { createLogger } from '../../lib/logger.js';
import { ToolSchema, type ToolSettings } from '../../settings/tool-schema.js';
import { failureTypes, type FailureDetails } from '../../workflow-safe/failures.js';
import { toolActivityName, type ToolCallInput, type ToolCallResult } from '../../workflow-safe/tool-calls.js';

/**
 * The tool activities against a local HTTP server (real requests), each run in a
 * MockActivityEnvironment for its activity Context (attempt, cancellation signal).
 */
interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Responder = (req: IncomingMessage, res: ServerResponse) => void;

const token = 'shop-SECRET-token-4711';
/** An argument value that must never appear in a failure message or a log line. */
const orderNumber = '98765432';
const maxResponseBytes = 1024;

const answer =
  (status: number, body: string, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

const orderInput = {
  type: 'object',
  properties: { orderNumber: { type: 'string', pattern: '^\\d{4,10}$' } },
  required: ['orderNumber'],
  additionalProperties: false,
};

function toolsOf(): ToolSettings[] {
  return [
    ToolSchema.parse({
      name: 'order_status',
      description: 'Looks up an order.',
      input: orderInput,
      request: { method: 'GET', url: '${SHOP_API_URL}/orders/{orderNumber}?view=summary', headers: { Authorization: 'Bearer ${SHOP_API_TOKEN}', 'X-Shop': 'acme' } },
      response: ['status', 'eta'],
      timeoutSeconds: 2,
    }),
    ToolSchema.parse({
      name: 'refund',
      description: 'Refunds an order.',
      input: {
        type: 'object',
        properties: { orderNumber: { type: 'string', pattern: '^\\d{4,10}$' }, amount: { type: 'number', exclusiveMinimum: 0 } },
        required: ['orderNumber', 'amount'],
        additionalProperties: false,
      },
      request: { method: 'POST', url: '${SHOP_API_URL}/orders/{orderNumber}/refunds', headers: { Authorization: 'Bearer ${SHOP_API_TOKEN}' } },
      response: ['refundId'],
      approval: 'rep',
    }),
    ToolSchema.parse({
      name: 'cancel_order',
      description: 'Cancels an order.',
      input: orderInput,
      request: { method: 'DELETE', url: '${SHOP_API_URL}/orders/{orderNumber}' },
      response: ['cancelled'],
    }),
    ToolSchema.parse({
      name: 'slow_lookup',
      description: 'An order lookup with a short timeout.',
      input: orderInput,
      request: { method: 'GET', url: '${SHOP_API_URL}/slow/{orderNumber}' },
      response: ['status'],
      timeoutSeconds: 0.3,
    }),
  ];
}

describe('tool activities (against a local HTTP server)', function () {
  let server: Server;
  let baseUrl: string;
  let requests: RecordedRequest[];
  let responders: Responder[];
  let logLines: string[];
  let env: Record<string, string | undefined>;
  let activities: ToolActivities;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const respond = responders.shift() ?? answer(500, '{"error":"no responder queued"}');
        respond(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests = [];
    responders = [];
    logLines = [];
    env = { SHOP_API_URL: `${baseUrl}/api`, SHOP_API_TOKEN: token };
    activities = createToolActivities({
      tools: toolsOf(),
      maxResponseBytes,
      env,
      logger: createLogger('tool-activities-test', { write: (line: string) => void logLines.push(line) }),
    });
  });

  afterEach(() => {
    const logs = logLines.join('\n');
    expect(logs).not.to.contain(token);
    expect(logs).not.to.contain(orderNumber);
  });

  function call(tool: string, args: Record<string, unknown>, options: { attempt?: number; idempotencyKey?: string } = {}): Promise<ToolCallResult> {
    const activity = activities[toolActivityName(tool)];
    if (!activity) throw new Error(`no activity for ${tool}`);
    const input: ToolCallInput = { arguments: args, idempotencyKey: options.idempotencyKey ?? 'wf-1:s1:t1:c1' };
    return mockEnvironment(options.attempt ?? 1).run(activity, input);
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure & { code: string; status?: number }> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(ApplicationFailure);
      const failure = error as ApplicationFailure;
      expect(failure.type).to.equal(failureTypes.tool);
      // What the message may hold: the tool, the host, the status, the code. Never the arguments or a secret.
      expect(failure.message).not.to.contain(orderNumber).and.not.to.contain(token).and.not.to.contain('/orders');
      const details = failure.details?.[0] as FailureDetails;
      expect(failure.message).to.contain(details.code);
      return Object.assign(failure, { code: details.code, status: details.status });
    }
    throw new Error('expected the tool call to fail');
  }

  it('has one activity per tool, named tool:<name>', () => {
    expect(Object.keys(activities)).to.deep.equal(['tool:order_status', 'tool:refund', 'tool:cancel_order', 'tool:slow_lookup']);
  });

  it('looks up an order: GET with the argument in the path, the headers, and only the picked fields back', async () => {
    responders.push(answer(200, JSON.stringify({ status: 'shipped', eta: '2025-01-14', customer: { email: 'jane@example.com' }, internalNotes: 'VIP' })));
    const result = await call('order_status', { orderNumber }, { attempt: 3, idempotencyKey: 'wf-7:s2:t3:c1' });

    expect(result.result).to.deep.equal({ status: 'shipped', eta: '2025-01-14' });
    expect(result.status).to.equal(200);
    expect(result.latencyMs).to.be.a('number').and.at.least(0);
    expect(requests).to.have.length(1);
    const [request] = requests;
    expect(request!.method).to.equal('GET');
    expect(request!.url).to.equal(`/api/orders/${orderNumber}?view=summary`);
    expect(request!.headers.authorization).to.equal(`Bearer ${token}`);
    expect(request!.headers['x-shop']).to.equal('acme');
    expect(request!.headers['idempotency-key']).to.equal('wf-7:s2:t3:c1');
    expect(request!.headers.accept).to.equal('application/json');
    expect(request!.body).to.equal('');

    // One log line: tool, status, latency and attempt; no arguments, no body.
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({ event: 'tool_call', tool: 'order_status', status: 200, attempt: 3 });
    expect(lines[0]!.latencyMs).to.be.a('number');
    expect(logLines[0]).not.to.contain('shipped').and.not.to.contain('jane');
  });

  it('a POST sends the arguments as a JSON body', async () => {
    responders.push(answer(201, JSON.stringify({ refundId: 'rf_1', amount: 12.5 })));
    const result = await call('refund', { orderNumber, amount: 12.5 }, { idempotencyKey: 'wf-1:s1:t2:c2' });
    expect(result).to.deep.include({ result: { refundId: 'rf_1' }, status: 201 });
    const [request] = requests;
    expect(request!.method).to.equal('POST');
    expect(request!.url).to.equal(`/api/orders/${orderNumber}/refunds`);
    expect(request!.headers['content-type']).to.match(/^application\/json/);
    expect(JSON.parse(request!.body)).to.deep.equal({ orderNumber, amount: 12.5 });
    expect(request!.headers['idempotency-key']).to.equal('wf-1:s1:t2:c2');
  });

  it('a DELETE goes out without a body (and does not wait for one)', async () => {
    responders.push(answer(200, '{"cancelled":true}'));
    expect((await call('cancel_order', { orderNumber })).result).to.deep.equal({ cancelled: true });
    expect(requests[0]).to.deep.include({ method: 'DELETE', body: '' });
  });

  it('500 is a retryable ToolError TOOL_SERVER_ERROR naming the tool, host and status', async () => {
    responders.push(answer(500, JSON.stringify({ error: `order ${orderNumber} exploded` })));
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_SERVER_ERROR', status: 500, nonRetryable: false });
    expect(failure.message).to.equal(`Tool order_status (${new URL(baseUrl).host}) answered 500 (TOOL_SERVER_ERROR)`);
    const line = JSON.parse(logLines[0]!) as Record<string, unknown>;
    expect(line).to.deep.include({ event: 'tool_call', tool: 'order_status', status: 500, code: 'TOOL_SERVER_ERROR', attempt: 1 });
  });

  it('408 is retryable TOOL_SERVER_ERROR too', async () => {
    responders.push(answer(408, '{}'));
    expect(await failureOf(call('order_status', { orderNumber }))).to.include({ code: 'TOOL_SERVER_ERROR', status: 408, nonRetryable: false });
  });

  it('429 with Retry-After: 2 is retryable TOOL_RATE_LIMITED, next retry in 2000 ms', async () => {
    responders.push(answer(429, '{}', { 'retry-after': '2' }));
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_RATE_LIMITED', status: 429, nonRetryable: false });
    expect(failure.nextRetryDelay).to.equal(2000);
  });

  it('404 is non-retryable TOOL_HTTP_ERROR, the status kept in the details', async () => {
    responders.push(answer(404, JSON.stringify({ error: `no order ${orderNumber}` })));
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_HTTP_ERROR', status: 404, nonRetryable: true });
    expect(failure.details).to.deep.equal([{ status: 404, code: 'TOOL_HTTP_ERROR' }]);
  });

  it('does not follow a redirect (it would carry the secrets elsewhere): non-retryable TOOL_HTTP_ERROR', async () => {
    responders.push(answer(302, '', { location: `${baseUrl}/elsewhere` }));
    expect(await failureOf(call('order_status', { orderNumber }))).to.include({ code: 'TOOL_HTTP_ERROR', status: 302, nonRetryable: true });
    expect(requests).to.have.length(1);
  });

  it('a Content-Length over the cap fails at once, without waiting for the body', async () => {
    let closed = false;
    responders.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
      res.write('{"status":"');
      res.on('close', () => (closed = true)); // the rest never comes: only an immediate refusal passes
    });
    const started = Date.now();
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_RESPONSE_TOO_LARGE', status: 200, nonRetryable: true });
    expect(Date.now() - started).to.be.below(1500);
    await waitFor(() => closed);
  });

  it('a complete body over the cap with a Content-Length is refused', async () => {
    responders.push(answer(200, JSON.stringify({ status: 'x'.repeat(maxResponseBytes) })));
    expect(await failureOf(call('order_status', { orderNumber }))).to.include({ code: 'TOOL_RESPONSE_TOO_LARGE', nonRetryable: true });
  });

  it('a chunked body (no Content-Length) is read only up to the cap: an endless one fails and is closed', async () => {
    let closed = false;
    let sent = 0;
    responders.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: chunked
      res.write('{"status":"');
      const timer = setInterval(() => {
        sent += 256;
        res.write('x'.repeat(256));
      }, 5);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_RESPONSE_TOO_LARGE', status: 200, nonRetryable: true });
    await waitFor(() => closed);
    expect(sent).to.be.below(64 * 1024);
  });

  it('a body of exactly the cap is read', async () => {
    const body = JSON.stringify({ status: 'ok', pad: '' });
    const exact = JSON.stringify({ status: 'ok', pad: 'p'.repeat(maxResponseBytes - body.length) });
    expect(Buffer.byteLength(exact)).to.equal(maxResponseBytes);
    responders.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(exact.slice(0, 100));
      res.end(exact.slice(100));
    });
    expect((await call('order_status', { orderNumber })).result).to.deep.equal({ status: 'ok' });
  });

  it('a 2xx body that is not a JSON object is non-retryable TOOL_BAD_RESPONSE', async () => {
    for (const body of ['<html>Order 98765432</html>', '[{"status":"shipped"}]', '', 'null']) {
      responders.push(answer(200, body, { 'content-type': 'text/html' }));
      expect(await failureOf(call('order_status', { orderNumber })), body).to.include({ code: 'TOOL_BAD_RESPONSE', status: 200, nonRetryable: true });
    }
  });

  it('invalid arguments are non-retryable TOOL_INVALID_ARGUMENTS, and no request is sent', async () => {
    const failure = await failureOf(call('order_status', { orderNumber: 'DROP-98765432' }));
    expect(failure).to.include({ code: 'TOOL_INVALID_ARGUMENTS', nonRetryable: true });
    expect(failure.message).to.contain('orderNumber').and.contain('pattern');
    expect(await failureOf(call('refund', { orderNumber, amount: -5, note: orderNumber }))).to.include({ code: 'TOOL_INVALID_ARGUMENTS', nonRetryable: true });
    expect(requests).to.have.length(0);
  });

  it('a server slower than timeoutSeconds is retryable TOOL_TIMEOUT', async () => {
    responders.push((_req, res) => {
      const timer = setTimeout(() => answer(200, '{"status":"late"}')(_req, res), 3000);
      res.on('close', () => clearTimeout(timer));
    });
    const started = Date.now();
    const failure = await failureOf(call('slow_lookup', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_TIMEOUT', nonRetryable: false });
    expect(Date.now() - started).to.be.at.least(250);
  });

  it('a refused connection is retryable TOOL_NETWORK_ERROR', async () => {
    const closedServer = createServer();
    await new Promise<void>((resolve) => closedServer.listen(0, '127.0.0.1', resolve));
    const port = (closedServer.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closedServer.close(() => resolve()));
    env.SHOP_API_URL = `http://127.0.0.1:${port}/api`;
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_NETWORK_ERROR', nonRetryable: false });
    expect(failure.message).to.contain('ECONNREFUSED');
  });

  it('an environment variable unset at call time is non-retryable TOOL_NOT_CONFIGURED, naming it, and sends nothing', async () => {
    delete env.SHOP_API_TOKEN;
    const failure = await failureOf(call('order_status', { orderNumber }));
    expect(failure).to.include({ code: 'TOOL_NOT_CONFIGURED', nonRetryable: true });
    expect(failure.message).to.contain('${SHOP_API_TOKEN}');
    expect(requests).to.have.length(0);
  });

  it("the activity's cancellation aborts the request", async () => {
    let closed = false;
    responders.push((_req, res) => res.on('close', () => (closed = true)));
    const mock = mockEnvironment(1);
    const running = mock.run(activities[toolActivityName('order_status')]!, { arguments: { orderNumber }, idempotencyKey: 'wf-1:s1:t1:c1' });
    await waitFor(() => requests.length === 1);
    mock.cancel();
    let error: unknown;
    try {
      await running;
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(CancelledFailure);
    await waitFor(() => closed);
  });
});

/** The SDK's own "Activity failed" warnings would fill the test output: errors only. */
const mockEnvironment = (attempt: number) => new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') });

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
