import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec.js';
import { createDataConverter, encryptedFailureConverterPath } from '../../codec/data-converter.js';
import { parseEncryptionKeys } from '../../codec/encryption-keys.js';
import { listen, urlOf, webhookListenerTimeouts } from '../../api/listen.js';
import { Store } from '../../store/store.js';
import { knowledgeSyncWorkflow, knowledgeSyncWorkflowId } from '../../workflows/knowledge-sync-workflow.js';
import { createApiMetrics } from '../../api/metrics.js';
import { createOpsApp } from '../../api/ops-app.js';
import { createWebhookApp } from '../../api/webhook-app.js';
import { createAiProvider } from '../../ai/create-provider.js';
import { parseWebhookPublicKey } from '../../freshchat/webhook-signature.js';
import { createLogger } from '../../lib/logger.js';
import { workflowUiUrl } from '../../lib/temporal.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { loadAssistantSettings } from '../../settings/assistant-settings.js';
import { createConversationWorker, workflowsPath } from '../../worker/create-worker.js';
import { conversationWorkflowId } from '../../workflows/messages.js';
import { launchChromium, requireChromiumOrSkip } from '../helpers/browser.js';
import { capturedLogs } from '../helpers/log-capture.js';
import { quietBundlerLogger, startLocalTestEnvironment } from '../helpers/temporal-server.js';
import { aiAgentEmail, aiReplies, eventually, sandboxToken, startConversation, testContactIdSecret, testEncryptionKeySetting, writeTestSettings } from '../helpers/system.js';

const run = promisify(execFile);


/**
 * The Temporal Web UI, in headless Chromium, shows a conversation's payloads decrypted by the
 * product's codec server (`/codec` on the ops listener), while the server stores only ciphertext.
 *
 * This needs its own dev server: the Web UI must be started with `--ui-codec-endpoint`, which the
 * shared test server is not. The ops listener's port is fixed first (it listens before the
 * server exists: only the browser calls the codec).
 */
describe('Temporal Web UI with the codec server (headless Chromium, own dev server)', function () {
  this.timeout(180_000);

  let env: TestWorkflowEnvironment | undefined;
  let http: Server | undefined;
  let webhookHttp: Server | undefined;
  let sandbox: Sandbox | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let browser: Browser | undefined;
  let cliPath: string;
  let uiUrl: string;
  const store = new Store({ sqlitePath: ':memory:' });
  let client: Client;
  const webUiTaskQueue = `web-ui-${randomUUID()}`;
  const decodeRequests: Array<{ origin?: string; namespace?: string }> = [];

  before(async function () {
    this.timeout(600_000);
    requireChromiumOrSkip(this);

    const keys = parseEncryptionKeys(testEncryptionKeySetting);
    const dataConverter = createDataConverter(keys);

    // 1. The ops listener's port, fixed before the dev server starts; the app is plugged in once a client exists.
    let app: ReturnType<typeof createOpsApp> | undefined;
    http = createServer((req, res) => {
      if (req.url?.startsWith('/codec/decode') && req.method === 'POST') {
        decodeRequests.push({ origin: req.headers.origin, namespace: req.headers['x-namespace'] as string | undefined });
      }
      if (app) return void app(req, res);
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const opsUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    // 2. The dev server whose Web UI calls that codec endpoint.
    ({ env, cliPath, uiUrl } = await startLocalTestEnvironment(['--ui-codec-endpoint', `${opsUrl}/codec`]));
    client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter });

    // 3. Sandbox, the ops app (codec server without a token: the local UI cannot send one), the webhook, worker.
    const settings = loadAssistantSettings(writeTestSettings());
    sandbox = await startSandbox({ apiToken: sandboxToken, aiAgentEmail, logger: createLogger('freshchat-sandbox', capturedLogs) });
    app = createOpsApp({ client, logger: createLogger('api', capturedLogs), metrics: createApiMetrics(), store, codec: { codec: new AesGcmPayloadCodec(keys), allowedOrigins: [uiUrl] } });
    const webhookApp = createWebhookApp({
      client,
      taskQueue: webUiTaskQueue,
      webhookKey: parseWebhookPublicKey(sandbox.publicKeyOneLine),
      maxBodyBytes: 64 * 1024,
      logger: createLogger('api', capturedLogs), metrics: createApiMetrics(),
    });
    webhookHttp = await listen(webhookApp, { port: 0, host: '127.0.0.1', timeouts: webhookListenerTimeouts });
    sandbox.setWebhookUrl(`${urlOf(webhookHttp)}/webhooks/freshchat`);
    const bundle = await bundleWorkflowCode({ workflowsPath, failureConverterPath: encryptedFailureConverterPath, logger: quietBundlerLogger });
    worker = await createConversationWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: webUiTaskQueue,
      dataConverter,
      freshchat: { apiUrl: sandbox.apiUrl, apiToken: sandboxToken, aiAgentEmail },
      routingMode: 'auto',
      provider: createAiProvider({ provider: 'faq' }, settings),
      settings,
      uiUrl,
      contactIdSecret: testContactIdSecret,
      store,
      logger: createLogger('worker', capturedLogs),
      workflowBundle: bundle,
    });
    running = worker.run();
    // As a worker's first start does: the knowledge synced before the first chat.
    await client.workflow.execute(knowledgeSyncWorkflow, { taskQueue: webUiTaskQueue, workflowId: knowledgeSyncWorkflowId(webUiTaskQueue) });

    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (worker) {
      worker.shutdown();
      await running;
    }
    await sandbox?.close();
    if (http) await new Promise((resolve) => http!.close(resolve));
    if (webhookHttp) await new Promise((resolve) => webhookHttp!.close(resolve));
    await env?.teardown();
  });

  it("shows the customer's message decrypted on the workflow's page, which the server stores only encrypted", async () => {
    const text = `Where is my parcel? WEBUISECRET${randomUUID().slice(0, 8)}`;
    const conversationId = await startConversation(sandbox!, text);
    const workflowId = conversationWorkflowId(conversationId);
    await eventually(async () => (await aiReplies(sandbox!, conversationId)).length === 1, 'the AI reply', 30_000);

    // Without the codec: ciphertext only.
    const { stdout: raw } = await run(cliPath, ['workflow', 'show', '-w', workflowId, '-o', 'json', '--address', env!.address, '--namespace', 'default'], { maxBuffer: 64 * 1024 * 1024 });
    expect(JSON.parse(raw).events.length).to.be.greaterThan(5);
    expect(raw).not.to.include(text);

    const page = await browser!.newPage();
    try {
      await page.goto(workflowUiUrl(uiUrl, 'default', workflowId), { waitUntil: 'load' });
      // The customer's words are the input of the first freshchatEvent signal; the history lists the newest
      // event first, so that is the last "Workflow Execution Signaled" row. Opening it shows its decoded input.
      const firstSignal = page.getByText('Workflow Execution Signaled', { exact: true }).last();
      await firstSignal.waitFor({ state: 'visible', timeout: 30_000 });
      await firstSignal.click();
      // The UI keeps polling (networkidle never comes): poll its text instead.
      await eventually(async () => (await page.locator('body').innerText()).includes(text), "the customer's message on the page", 30_000);
    } finally {
      await page.close();
    }
    // It was the browser that decoded, through the codec server, from the UI's origin.
    expect(decodeRequests.length).to.be.greaterThan(0);
    expect(decodeRequests.some((r) => r.origin === uiUrl && r.namespace === 'default')).to.equal(true);
  });
});

