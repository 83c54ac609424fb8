/**
 * A small OpenAI-compatible chat-completions endpoint for the soak, on loopback: the workers
 * run the real `openai` provider against it. It answers valid decisions (ai/response-format.ts:
 * the JSON the provider validates) from the customer's latest words, and has outages on
 * command: every request fails with 500, or hangs until the outage ends (then the connection
 * is cut), as a model server that is overloaded or wedged does. With `delayMs`, each decision
 * is answered that long after its request (a model's thinking time; the soak's is 0).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every reply carries a serial number, so two posts of one decision are told from two decisions. */
export const replyMarker = '[soak-reply';
export const escalatePhrase = 'please ask a colleague';
export const resolvePhrase = "thanks, that's all";

export type OutageMode = 'fail' | 'hang';

export interface AiStub {
  baseUrl: string;
  /** Requests answered with a decision, and failed or cut during outages. */
  counts: { decisions: number; failed: number; hung: number };
  startOutage(mode: OutageMode): void;
  endOutage(): void;
  close(): Promise<void>;
}

interface ChatRequest {
  messages?: Array<{ role: string; content: string }>;
}

/** The decision for a transcript: the latest customer words decide (the transcript's last user turn). */
export function decisionFor(request: ChatRequest, serial: number): Record<string, unknown> {
  const lastUser = [...(request.messages ?? [])].reverse().find((m) => m.role === 'user')?.content.toLowerCase() ?? '';
  const base = { topic: 'shipping', sentiment: 'neutral', summary: 'A customer of the soak asked about their order.', confidence: 0.9, sources: [] };
  if (lastUser.includes(resolvePhrase)) return { ...base, action: 'resolve', reply: `${replyMarker} ${serial}] Glad I could help. Goodbye!`, reason: 'The customer is done.' };
  if (lastUser.includes(escalatePhrase)) return { ...base, action: 'escalate', reply: '', reason: 'The customer wants a colleague.' };
  return { ...base, action: 'reply', reply: `${replyMarker} ${serial}] Parcels arrive in 2 to 4 working days.`, reason: 'Answered from the knowledge base.' };
}

export async function startAiStub(options: { delayMs?: number } = {}): Promise<AiStub> {
  const delayMs = options.delayMs ?? 0;
  let outage: OutageMode | undefined;
  let serial = 0;
  const hanging = new Set<ServerResponse>();
  const delayed = new Set<NodeJS.Timeout>();
  const counts = { decisions: 0, failed: 0, hung: 0 };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found"}}');
      return;
    }
    if (outage === 'fail') {
      counts.failed++;
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"server_error","type":"server_error"}}');
      return;
    }
    if (outage === 'hang') {
      counts.hung++;
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    let request: ChatRequest;
    try {
      request = JSON.parse(body) as ChatRequest;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"code":"invalid_json"}}');
      return;
    }
    counts.decisions++;
    const content = JSON.stringify(decisionFor(request, ++serial));
    const answer = JSON.stringify({ id: `soak-${serial}`, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] });
    const send = () => {
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    };
    if (delayMs <= 0) return send();
    const timer = setTimeout(() => {
      delayed.delete(timer);
      send();
    }, delayMs);
    delayed.add(timer);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const cutHanging = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
  };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    counts,
    startOutage: (mode) => {
      outage = mode;
    },
    endOutage: () => {
      outage = undefined;
      cutHanging();
    },
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      cutHanging();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
