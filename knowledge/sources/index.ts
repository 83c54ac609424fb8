import type { NamedKnowledgeSource } from '../../settings/schema.js';
import { filesSource } from './files-source.js';
import { freshdeskSource } from './freshdesk-source.js';
import type { KnowledgeSource } from './source.js';
import { sitemapSource } from './sitemap-source.js';
import { yamlSource } from './yaml-source.js';

export type { KnowledgeSource } from './source.js';
export { KnowledgeSourceError } from './source.js';

/** What the sources need from the environment: Freshdesk's account and key (never in settings files). */
export interface KnowledgeSourceEnv {
  FRESHDESK_API_URL?: string;
  FRESHDESK_API_KEY?: string;
}

/** The sources the settings name, ready to read. Paths are absolute (the settings loader resolved them). */
export function createKnowledgeSources(sources: NamedKnowledgeSource[], env: KnowledgeSourceEnv, defaultLanguage: string): KnowledgeSource[] {
  return sources.map((source) => {
    switch (source.type) {
      case 'yaml':
        return yamlSource(source.name, source.path, defaultLanguage);
      case 'files':
        return filesSource(source.name, source.path, source.language ?? defaultLanguage);
      case 'freshdesk':
        return freshdeskSource({
          name: source.name,
          accountUrl: env.FRESHDESK_API_URL ?? '',
          apiKey: env.FRESHDESK_API_KEY ?? '',
          categoryIds: source.categoryIds,
          folderIds: source.folderIds,
          language: defaultLanguage,
          translations: source.languages,
        });
      case 'sitemap':
        return sitemapSource(source.name, sitemapUrlOf(source.url, env), defaultLanguage);
    }
  });
}

/** A sitemap given as a path is on the Freshdesk account's site; without one it stays a path (its sync then fails, saying so). */
function sitemapUrlOf(url: string, env: KnowledgeSourceEnv): string {
  return url.startsWith('/') && isAccountUrl(env.FRESHDESK_API_URL) ? new URL(url, env.FRESHDESK_API_URL).href : url;
}

const isAccountUrl = (url: string | undefined): url is string => !!url && /^https?:\/\//.test(url) && URL.canParse(url);

/** Settings problems of the sources that need the environment: one line each, for the start-up message. */
export function knowledgeSourceEnvProblems(sources: NamedKnowledgeSource[], env: KnowledgeSourceEnv): string[] {
  const problems: string[] = [];
  const needers = [
    sources.some((s) => s.type === 'freshdesk') && 'a freshdesk knowledge source',
    sources.some((s) => s.type === 'sitemap' && s.url.startsWith('/')) && 'a sitemap by its path',
  ].filter((need): need is string => !!need);
  if (needers.length > 0 && !isAccountUrl(env.FRESHDESK_API_URL)) {
    problems.push(`FRESHDESK_API_URL must be the Freshdesk account URL (e.g. https://acme.freshdesk.com) when the settings name ${needers.join(' or ')}`);
  }
  if (sources.some((s) => s.type === 'freshdesk') && !env.FRESHDESK_API_KEY) problems.push('FRESHDESK_API_KEY is required when the settings name a freshdesk knowledge source');
  return problems;
}
