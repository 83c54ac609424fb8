import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { pino } from 'pino';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec.js';
import { createCodecRouter, type CodecRouterOptions } from '../../codec/codec-server.js';

const uiOrigin = 'http://localhost:8233';
const keyA = { id: 'key-a', key: randomBytes(32) };
const keyB = { id: 'key-b', key: randomBytes(32) };

interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any; // JSON of varying shape; the assertions check it
}

/** A real HTTP request (node:http, so that Origin and any other header go out exactly as given). */
function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const postJson = (baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(baseUrl, 'POST', path, {
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });

/** Payloads in the Temporal protobuf-JSON shape, as the Web UI sends them. */
function jsonPayloads(values: unknown[]) {
  return {
    payloads: values.map((value) => {
      const payload = defaultPayloadConverter.toPayload(value);
      return {
        metadata: Object.fromEntries(
          Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
        ),
        data: Buffer.from(payload.data ?? []).toString('base64'),
      };
    }),
  };
}

function valuesOf(body: { payloads: { metadata: Record<string, string>; data?: string }[] }): unknown[] {
  return body.payloads.map(({ metadata, data }) =>
    defaultPayloadConverter.fromPayload({
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(data ?? '', 'base64'),
    }),
  );
}

describe('codec server (HTTP)', function () {
  const servers: Server[] = [];

  async function startServer(options: Partial<CodecRouterOptions> = {}): Promise<string> {
    const app = express();
    app.use(
      createCodecRouter({
        codec: new AesGcmPayloadCodec([keyA]),
        allowedOrigins: [uiOrigin],
        logger: pino({ level: 'silent' }),
        ...options,
      }),
    );
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  after(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('decode(encode(x)) returns x, in the Temporal JSON shape', async () => {
    const baseUrl = await startServer();
    const values = [{ email: 'jane.doe@example.com', text: 'Wo ist mein Paket?' }, 'hello', 7];

    const encoded = await postJson(baseUrl, '/codec/encode', jsonPayloads(values));
    expect(encoded.status).to.equal(200);
    expect(encoded.body.payloads).to.have.length(3);
    const first = encoded.body.payloads[0];
    expect(Buffer.from(first.metadata.encoding, 'base64').toString()).to.equal('binary/encrypted');
    expect(Buffer.from(first.metadata['encryption-key-id'], 'base64').toString()).to.equal('key-a');
    expect(Buffer.from(first.data, 'base64').includes('jane.doe')).to.equal(false);
    expect(JSON.stringify(encoded.body)).not.to.include(Buffer.from('jane.doe').toString('base64').slice(0, 8));

    const decoded = await postJson(baseUrl, '/codec/decode', encoded.body);
    expect(decoded.status).to.equal(200);
    expect(valuesOf(decoded.body)).to.deep.equal(values);
  });

  it('passes payloads that are not encrypted through /decode', async () => {
    const baseUrl = await startServer();
    const plain = jsonPayloads(['not encrypted']);
    const decoded = await postJson(baseUrl, '/codec/decode', plain);
    expect(decoded.status).to.equal(200);
    expect(decoded.body).to.deep.equal(plain);
  });

  describe('CORS', () => {
    it('answers a preflight from an allowed origin', async () => {
      const baseUrl = await startServer({ authTokens: ['secret-token'] });
      const answer = await call(baseUrl, 'OPTIONS', '/codec/decode', {
        headers: {
          Origin: uiOrigin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        },
      });
      expect(answer.status).to.equal(204); // no bearer token needed for a preflight
      expect(answer.headers['access-control-allow-origin']).to.equal(uiOrigin);
      expect(answer.headers['access-control-allow-methods']).to.include('POST');
      const allowedHeaders = String(answer.headers['access-control-allow-headers']).toLowerCase();
      for (const header of ['content-type', 'x-namespace', 'authorization']) expect(allowedHeaders).to.include(header);
      expect(answer.headers['access-control-allow-credentials']).to.equal('true');
      expect(answer.headers['vary']).to.match(/origin/i);
    });

    it('gives no allow-origin to other origins', async () => {
      const baseUrl = await startServer();
      const preflight = await call(baseUrl, 'OPTIONS', '/codec/decode', {
        headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(preflight.headers['access-control-allow-origin']).to.equal(undefined);
      expect(preflight.headers['access-control-allow-credentials']).to.equal(undefined);

      const post = await postJson(baseUrl, '/codec/decode', jsonPayloads(['x']), { Origin: 'https://evil.example' });
      expect(post.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('adds the allow-origin header to POST answers for an allowed origin', async () => {
      const baseUrl = await startServer();
      const post = await postJson(baseUrl, '/codec/decode', jsonPayloads(['x']), { Origin: uiOrigin });
      expect(post.status).to.equal(200);
      expect(post.headers['access-control-allow-origin']).to.equal(uiOrigin);
    });
  });

  describe('bearer token', () => {
    it('is required when set: 401 without or with a wrong one, 200 with it', async () => {
      const baseUrl = await startServer({ authTokens: ['secret-token'] });
      const body = jsonPayloads(['x']);

      const without = await postJson(baseUrl, '/codec/encode', body, { Origin: uiOrigin });
      expect(without.status).to.equal(401);
      expect(without.headers['www-authenticate']).to.match(/^Bearer/);
      expect(without.headers['access-control-allow-origin']).to.equal(uiOrigin); // the UI can read the 401

      const wrong = await postJson(baseUrl, '/codec/encode', body, { Authorization: 'Bearer secret-tokeN' });
      expect(wrong.status).to.equal(401);
      const notBearer = await postJson(baseUrl, '/codec/encode', body, { Authorization: 'Basic secret-token' });
      expect(notBearer.status).to.equal(401);

      const withToken = await postJson(baseUrl, '/codec/encode', body, { Authorization: 'Bearer secret-token' });
      expect(withToken.status).to.equal(200);
      expect(withToken.body.payloads).to.have.length(1);
    });

    it('is not asked for when no token is configured', async () => {
      const baseUrl = await startServer();
      expect((await postJson(baseUrl, '/codec/encode', jsonPayloads(['x']))).status).to.equal(200);
    });
  });

  describe('bad requests', () => {
    it('answers 400 to a body that is not JSON', async () => {
      const baseUrl = await startServer();
      const answer = await call(baseUrl, 'POST', '/codec/decode', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"payloads": [',
      });
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.match(/not valid JSON/);
    });

    it('answers 400 with a reason to JSON of the wrong shape', async () => {
      const baseUrl = await startServer();
      const noPayloads = await postJson(baseUrl, '/codec/decode', { something: [] });
      expect(noPayloads.status).to.equal(400);
      expect(noPayloads.body.error).to.include('something');

      // Protobuf JSON leaves out an empty list: the temporal CLI sends `{}` for no payloads.
      const empty = await postJson(baseUrl, '/codec/decode', {});
      expect(empty.status).to.equal(200);
      expect(empty.body.payloads).to.deep.equal([]);

      const notBase64 = await postJson(baseUrl, '/codec/decode', { payloads: [{ metadata: {}, data: 'not base64!' }] });
      expect(notBase64.status).to.equal(400);
      expect(notBase64.body.error).to.include('payloads.0.data').and.include('base64');
      expect(notBase64.body.error).not.to.include('not base64!');
    });

    it('answers 415 to a body that is not declared as JSON', async () => {
      const baseUrl = await startServer();
      const answer = await call(baseUrl, 'POST', '/codec/decode', {
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify(jsonPayloads(['x'])),
      });
      expect(answer.status).to.equal(415);
    });

    it('answers 413 to a body over the limit', async () => {
      const baseUrl = await startServer();
      const big = { payloads: [{ metadata: {}, data: 'A'.repeat(5 * 1024 * 1024) }] };
      const answer = await postJson(baseUrl, '/codec/encode', big);
      expect(answer.status).to.equal(413);
    });

    it('answers 400 naming the key id when a payload was encrypted with an unknown key', async () => {
      const writer = await startServer({ codec: new AesGcmPayloadCodec([keyB]) });
      const reader = await startServer({ codec: new AesGcmPayloadCodec([keyA]) });
      const encoded = await postJson(writer, '/codec/encode', jsonPayloads([{ email: 'jane.doe@example.com' }]));

      const answer = await postJson(reader, '/codec/decode', encoded.body);
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.include('"key-b"').and.include('"key-a"');
      expect(answer.body.error).not.to.include('jane.doe');
    });
  });

  describe('namespaces', () => {
    it('serves any namespace by default and only allowed ones when a list is given', async () => {
      const open = await startServer();
      expect((await postJson(open, '/codec/decode', jsonPayloads(['x']), { 'X-Namespace': 'other' })).status).to.equal(200);

      const restricted = await startServer({ allowedNamespaces: ['default'] });
      expect((await postJson(restricted, '/codec/decode', jsonPayloads(['x']))).status).to.equal(200);
      const forbidden = await postJson(restricted, '/codec/decode', jsonPayloads(['x']), { 'X-Namespace': 'other' });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.body.error).to.include('"other"');
    });
  });

  it('leaves other routes of the app alone', async () => {
    const baseUrl = await startServer({ authTokens: ['secret-token'] });
    const health = await call(baseUrl, 'GET', '/health');
    expect(health.status).to.equal(200);
    expect(health.body).to.deep.equal({ ok: true });
  });
});
