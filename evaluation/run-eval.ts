/**
 * `npm run eval`: the labelled questions against the sandbox's help center, through the
 * configured AI provider (AI_PROVIDER, OPENAI_* as the worker reads them; default faq).
 * Prints a table, or the report as JSON with `--json`. See evaluation/README.md.
 */
import { createAiProvider, type AiProviderConfig } from '../ai/create-provider.js';
import { loadDotEnv, loadWorkerStartup } from '../config/startup.js';
import { ConfigError, type Env } from '../config/env.js';
import { KnowledgeIndex } from '../knowledge/knowledge-index.js';
import { defaultSettingsPath, loadAssistantSettings, type AssistantSettings } from '../settings/assistant-settings.js';
import { evaluateQuestions, formatReport, quietLogger, syncSandboxHelpCenter } from './evaluate.js';
import { loadQuestionSet } from './question-set.js';

interface ProviderChoice {
  config: AiProviderConfig;
  settings: AssistantSettings;
}

/**
 * The worker's own start-up code when the environment satisfies it; otherwise (no Freshchat
 * account, no encryption keys: the evaluation needs neither) the AI settings alone, read the
 * same way, with the settings file of ASSISTANT_SETTINGS or the default one.
 */
function providerChoice(env: Env): ProviderChoice {
  try {
    const startup = loadWorkerStartup(env);
    return { config: startup.aiProvider, settings: startup.settings };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  const settings = loadAssistantSettings(env.ASSISTANT_SETTINGS?.trim() || defaultSettingsPath);
  const provider = env.AI_PROVIDER?.trim() || 'faq';
  if (provider === 'faq') return { config: { provider: 'faq' }, settings };
  if (provider !== 'openai') throw new ConfigError(["AI_PROVIDER must be 'faq' or 'openai'"]);
  const missing = (['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL'] as const).filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required when AI_PROVIDER=openai`));
  const temperature = env.OPENAI_TEMPERATURE?.trim() ? Number(env.OPENAI_TEMPERATURE) : 0.2;
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) throw new ConfigError(['OPENAI_TEMPERATURE must be a number from 0 to 2']);
  return {
    config: { provider: 'openai', baseUrl: env.OPENAI_BASE_URL!.trim(), apiKey: env.OPENAI_API_KEY!.trim(), model: env.OPENAI_MODEL!.trim(), temperature },
    settings,
  };
}

async function main(): Promise<void> {
  loadDotEnv();
  const json = process.argv.includes('--json');
  const { config, settings } = providerChoice(process.env);
  const provider = createAiProvider(config, settings, quietLogger('openai-provider'));
  const questions = loadQuestionSet();
  const started = performance.now();
  const { chunks, sync } = await syncSandboxHelpCenter();
  const index = new KnowledgeIndex(chunks);
  const report = await evaluateQuestions(index, questions, { provider, topK: settings.knowledge.topK, defaultLanguage: settings.messages.defaultLanguage });
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...report, sync, seconds }, null, 2)}\n`);
  } else {
    process.stdout.write(`synced ${sync.articles} articles (${chunks.length} chunks) from the sandbox's Freshdesk help center\n`);
    process.stdout.write(`${formatReport(report)}\n${seconds.toFixed(1)} s, node ${process.version}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
