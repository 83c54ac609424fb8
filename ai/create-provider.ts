import type { AssistantSettings } from '../settings/schema.js';
import { FaqProvider } from './faq-provider.js';
import { loadKnowledgeBase } from './knowledge-base.js';
import { OpenAiProvider } from './openai-provider.js';
import type { AiProvider } from './provider.js';
import { createLogger, type Logger } from '../lib/logger.js';

export type AiProviderConfig =
  | { provider: 'faq' }
  | { provider: 'openai'; baseUrl: string; apiKey: string; model: string; temperature: number; timeoutMs?: number };

/**
 * Builds the configured provider; reads the knowledge base named in the settings (throws
 * KnowledgeBaseError). `logger` gets the provider's request lines (default: stdout).
 */
export function createAiProvider(config: AiProviderConfig, settings: AssistantSettings, logger?: Logger): AiProvider {
  const knowledgeBase = loadKnowledgeBase(settings.knowledgeBase);
  switch (config.provider) {
    case 'faq':
      return new FaqProvider(knowledgeBase);
    case 'openai':
      return new OpenAiProvider(config, settings, knowledgeBase, logger ?? createLogger('openai-provider'));
  }
}
