import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible chat-completions server for workflow tests: each request is answered
 * by `answer` (a decision as JSON content, or a function call), and every request is kept.
 */
export interface ChatRequest {
  messages: Array<{ role: string; content: string | null; tool_calls?: Array<{ function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; parameters: Record<string, unknown> } }>;
  tool_choice?: string;
}

export type ChatAnswer = { decision: Record<string, unknown> } | { toolCall: { name: string; arguments: Record<string, unknown> } };

export interface ChatCompletionsServer {
  baseUrl: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

export async function startChatCompletionsServer(answer: (request: ChatRequest) => ChatAnswer | Promise<ChatAnswer>): Promise<ChatCompletionsServer> {
  const requests: ChatRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const request = JSON.parse(await bodyOf(req)) as ChatRequest;
      requests.push(request);
      const answered = await answer(request);
      const message =
        'decision' in answered
          ? { role: 'assistant', content: JSON.stringify(answered.decision) }
          : { role: 'assistant', content: null, tool_calls: [{ id: `call_${requests.length}`, type: 'function', function: { name: answered.toolCall.name, arguments: JSON.stringify(answered.toolCall.arguments) } }] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `chatcmpl-${requests.length}`, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'decision' in answered ? 'stop' : 'tool_calls' }] }));
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'stub_failed', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A complete decision of the AI (ModelDecisionSchema's fields), with `fields` over the defaults. */
export function decision(fields: { action: 'reply' | 'escalate' | 'resolve'; reply?: string; reason?: string; confidence?: number }): { decision: Record<string, unknown> } {
  return {
    decision: { reply: '', topic: 'orders', sentiment: 'neutral', summary: 'The customer asked about an order.', reason: 'test decision', confidence: 0.9, sources: [], ...fields },
  };
}

/** The latest message of the customer (role user) in a request. */
export function lastCustomerText(request: ChatRequest): string {
  return [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** The tool answers in a request, oldest first (parsed JSON). */
export function toolAnswers(request: ChatRequest): Array<Record<string, unknown>> {
  return request.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content ?? '{}') as Record<string, unknown>);
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
