/**
 * A simulated customer: a scenario with a `persona` and a `goal` instead of scripted customer
 * turns has a model play the customer, through any OpenAI-compatible chat-completions
 * endpoint: SIMULATOR_BASE_URL, SIMULATOR_API_KEY and SIMULATOR_MODEL, each defaulting to the
 * AI's own (OPENAI_*) when AI_PROVIDER=openai.
 */
import { z } from 'zod';
import { chatCompletionsUrl } from '../ai/openai-provider.js';
import { ConfigError, type Env } from '../config/env.js';

export interface SimulatorConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
}

/** What the customer has seen so far: its own messages and support's (the AI's, a rep's). */
export interface DialogLine {
  from: 'customer' | 'support';
  text: string;
}

/** The model says this, alone, when the customer is done. */
export const doneToken = '[done]';

const SimulatorEnvSchema = z.object({
  SIMULATOR_BASE_URL: z.url({ protocol: /^https?$/, error: 'SIMULATOR_BASE_URL must be an http(s) URL such as https://api.openai.com/v1' }).optional(),
  SIMULATOR_API_KEY: z.string().trim().min(1).optional(),
  SIMULATOR_MODEL: z.string().trim().min(1).optional(),
});

/**
 * The simulator's endpoint from the environment, or undefined when there is none (persona
 * scenarios are then skipped). A SIMULATOR_* setting that is given must be right.
 */
export function simulatorConfigFrom(env: Env): SimulatorConfig | undefined {
  const parsed = SimulatorEnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('SIMULATOR_') && v?.trim())));
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  const ai = env.AI_PROVIDER?.trim() === 'openai';
  const baseUrl = parsed.data.SIMULATOR_BASE_URL ?? (ai ? env.OPENAI_BASE_URL : undefined);
  const apiKey = parsed.data.SIMULATOR_API_KEY ?? (ai ? env.OPENAI_API_KEY : undefined);
  const model = parsed.data.SIMULATOR_MODEL ?? (ai ? env.OPENAI_MODEL : undefined);
  if (!baseUrl && !parsed.data.SIMULATOR_API_KEY && !parsed.data.SIMULATOR_MODEL) return undefined;
  const missing = [!baseUrl && 'SIMULATOR_BASE_URL', !apiKey && 'SIMULATOR_API_KEY', !model && 'SIMULATOR_MODEL'].filter(Boolean);
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required for simulated customers (or AI_PROVIDER=openai with OPENAI_* to default to)`));
  return { baseUrl: baseUrl!, apiKey: apiKey!, model: model! };
}

export class SimulatedCustomerError extends Error {
  override name = 'SimulatedCustomerError';
}

export class SimulatedCustomer {
  constructor(
    private readonly config: SimulatorConfig,
    private readonly persona: string,
    private readonly goal: string,
  ) {}

  /** The customer's next message, or undefined when it is done. */
  async next(dialog: DialogLine[]): Promise<string | undefined> {
    const res = await fetch(chatCompletionsUrl(this.config.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.config.apiKey}` },
      body: JSON.stringify({
        model: this.config.model,
        temperature: 0.7,
        messages: [
          { role: 'system', content: this.instructions() },
          // The model speaks as the customer: its own lines are the assistant's.
          ...dialog.map((line) => ({ role: line.from === 'customer' ? 'assistant' : 'user', content: line.text })),
          ...(dialog.length === 0 ? [{ role: 'user', content: '(The chat window is open. Write your first message.)' }] : []),
        ],
      }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await res.text();
    if (!res.ok) throw new SimulatedCustomerError(`the simulator endpoint answered ${res.status}`);
    let content: unknown;
    try {
      content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
    } catch {
      throw new SimulatedCustomerError('the simulator endpoint did not answer chat-completions JSON');
    }
    if (typeof content !== 'string' || !content.trim()) throw new SimulatedCustomerError('the simulator endpoint answered no message');
    return content.includes(doneToken) ? undefined : content.trim();
  }

  private instructions(): string {
    return [
      'You play a customer writing to an online shop\'s support chat, to test its assistant.',
      `Who you are: ${this.persona}`,
      `What you want: ${this.goal}`,
      'Write only your next chat message, as this customer would type it: short, no quotation marks, no explanations.',
      `When your goal is reached, or you give up, answer with exactly ${doneToken} and nothing else.`,
    ].join('\n');
  }
}
