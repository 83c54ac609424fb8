import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { EmbeddingsClient, embedMissingChunks } from '../../knowledge/embeddings.js';
import { KnowledgeLibrary } from '../../knowledge/knowledge-library.js';
import { loadChunks } from '../../knowledge/knowledge-store.js';
import { freshdeskSource } from '../../knowledge/sources/freshdesk-source.js';
import { syncSource } from '../../knowledge/sync.js';
import { createLogger } from '../../lib/logger.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { aiAgentEmail, sandboxToken, startSystem } from '../helpers/system.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId } from '../../workflows/knowledge-sync-workflow.js';
import { openTestStore, requireDialect, storeDialects, type TestStore } from '../helpers/stores.js';

/**
 * A local OpenAI-compatible /embeddings endpoint whose vectors know one thing a word match
 * cannot: "those yellow pickup boxes" are Packstations. Each text's vector counts concepts,
 * plus a little of every word (hashed), so every text has a direction.
 */
const concepts: string[][] = [
  ['packstation', 'pickup box', 'pickup boxes', 'parcel locker'],
  ['showroom', 'visit us', 'opening hours'],
  ['refund', 'money back'],
];
function embeddingOf(text: string): number[] {
  const folded = text.toLowerCase();
  const vector = concepts.map((words) => words.filter((w) => folded.includes(w)).length * 10);
  const words = new Array<number>(16).fill(0);
  for (const word of folded.split(/\W+/).filter(Boolean)) words[[...word].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 16, 7)]! += 0.1;
  return [...vector, ...words];
}

describe('hybrid retrieval with embeddings (a local /embeddings endpoint; the sandbox help center)', function () {
  this.timeout(60_000);
  let server: Server;
  let baseUrl: string;
  let sandbox: Sandbox;
  const requests: Array<{ model: string; inputs: number; authorization?: string }> = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const { model, input } = JSON.parse(body) as { model: string; input: string[] };
        requests.push({ model, inputs: input.length, authorization: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', model, data: input.map((text, index) => ({ object: 'embedding', index, embedding: embeddingOf(text) })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', capturedLogs) });
  });
  after(async () => {
    await sandbox?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("the worker's sync embeds every synced chunk, and a second sync embeds nothing", async function () {
    this.timeout(600_000);
    const system = await startSystem({ embeddings: { baseUrl, apiKey: 'embed-key-123', model: 'test-embed' } });
    try {
      const embedded = async () => Number((await system.store.db.selectFrom('knowledge_embeddings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
      const chunks = await loadChunks(system.store.db);
      expect(chunks.length).to.be.greaterThan(0);
      expect(await embedded()).to.equal(new Set(chunks.map((c) => `${c.title}\n${c.text}`)).size);
      const sent = requests.length;
      await system.client.workflow.execute(knowledgeSyncWorkflow, { taskQueue: system.taskQueue, workflowId: `${knowledgeSyncWorkflowId(system.taskQueue)}-again` });
      expect(requests.length).to.equal(sent);
    } finally {
      await system.close();
    }
  });

  for (const dialect of storeDialects) {
    describe(`on ${dialect}`, () => {
      let t: TestStore;
      beforeEach(async function () {
        await requireDialect(this, dialect);
        t = await openTestStore(dialect);
        await t.store.ready();
        requests.length = 0;
      });
      afterEach(async () => t?.dispose());

      it('embeds each chunk once (cached by content and model), and finds by meaning what BM25 misses', async () => {
        const source = freshdeskSource({ name: 'help-center', accountUrl: sandbox.baseUrl, apiKey: sandbox.freshdeskApiKey, language: 'en' });
        await syncSource(t.store.db, source, { signal: new AbortController().signal });
        const client = new EmbeddingsClient({ baseUrl, apiKey: 'embed-key-123', model: 'test-embed' });
        const chunks = await loadChunks(t.store.db);
        expect(await embedMissingChunks(t.store.db, client, chunks)).to.equal(new Set(chunks.map((c) => `${c.title}\n${c.text}`)).size);
        expect(requests.every((r) => r.model === 'test-embed' && r.inputs <= 64 && r.authorization === 'Bearer embed-key-123')).to.equal(true);
        const sent = requests.length;
        expect(await embedMissingChunks(t.store.db, client, chunks)).to.equal(0);
        expect(requests.length).to.equal(sent); // nothing new: nothing sent

        const question = 'Can I collect it from one of those yellow pickup boxes?';
        const lexical = (await new KnowledgeLibrary(t.store).retrieve(question, 5)).map((c) => c.articleId);
        const hybrid = (await new KnowledgeLibrary(t.store, client).retrieve(question, 5)).map((c) => c.articleId);
        expect(lexical).not.to.include('help-center:5000100006');
        expect(hybrid, hybrid.join(' ')).to.include('help-center:5000100006');
      });

      it('an embeddings endpoint that fails leaves retrieval to BM25 alone', async () => {
        const source = freshdeskSource({ name: 'help-center', accountUrl: sandbox.baseUrl, apiKey: sandbox.freshdeskApiKey, language: 'en' });
        await syncSource(t.store.db, source, { signal: new AbortController().signal });
        const working = new EmbeddingsClient({ baseUrl, apiKey: 'k', model: 'test-embed' });
        await embedMissingChunks(t.store.db, working, await loadChunks(t.store.db));
        const broken = new EmbeddingsClient({ baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'k', model: 'test-embed' });
        const question = 'How long does delivery take?';
        const expected = (await new KnowledgeLibrary(t.store).retrieve(question, 5)).map((c) => c.id);
        expect((await new KnowledgeLibrary(t.store, broken).retrieve(question, 5)).map((c) => c.id)).to.deep.equal(expected);
      });
    });
  }
});
