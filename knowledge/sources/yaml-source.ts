import { loadKnowledgeBase } from '../../ai/knowledge-base.js';
import type { SourceArticle } from '../types.js';
import type { KnowledgeSource } from './source.js';

/** The question/answer YAML file: one article per entry, titled by its question. */
export function yamlSource(name: string, path: string, language: string): KnowledgeSource {
  return {
    name,
    type: 'yaml',
    async *articles(): AsyncIterable<SourceArticle> {
      for (const entry of loadKnowledgeBase(path).entries) {
        yield { externalId: entry.id, title: entry.question, language, body: entry.answer, topic: entry.topic };
      }
    },
  };
}
