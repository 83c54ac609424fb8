import type { AssistantSettings } from '../settings/schema.js';
import { FaqProvider } from './faq-provider.js';
import { OpenAiProvider } from './openai-provider.js';
import type { AiProvider } from './provider.js';
import { createLogger, type Logger } from '../lib/logger.js';

export type AiProviderConfig =
  | { provider: 'faq' }
  | { provider: 'openai'; baseUrl: string; apiKey: string; model: string; temperature: number; timeoutMs?: number };

/**
 * Builds the configured provider. Both answer from the knowledge the AI turn retrieved for
 * them. `logger` gets the provider's request lines (default: stdout).
 */
export function createAiProvider(config: AiProviderConfig, settings: AssistantSettings, logger?: Logger): AiProvider {
  switch (config.provider) {
    case 'faq':
      return new FaqProvider();
    case 'openai':
      return new OpenAiProvider(config, settings, logger ?? createLogger('openai-provider'));
  }
}
