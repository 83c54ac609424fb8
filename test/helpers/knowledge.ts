/** Knowledge for tests of the providers without a store or a network: the settings' local sources (Q&A files, folders), chunked and indexed in memory. */
import { retrievalTextOf } from '../../ai/faq-provider.js';
import type { AiTurnInput, TranscriptEntry } from '../../ai/provider.js';
import { KnowledgeIndex } from '../../knowledge/knowledge-index.js';
import { chunkArticle } from '../../knowledge/sections.js';
import { createKnowledgeSources } from '../../knowledge/sources/index.js';
import { knowledgeSourcesOf, type AssistantSettings } from '../../settings/schema.js';

export async function knowledgeIndexOf(settings: AssistantSettings): Promise<KnowledgeIndex> {
  const chunks = [];
  const local = knowledgeSourcesOf(settings).filter((s) => s.type === 'yaml' || s.type === 'files');
  for (const source of createKnowledgeSources(local, {}, settings.messages.defaultLanguage)) {
    for await (const article of source.articles(new AbortController().signal)) chunks.push(...chunkArticle(article, source.name));
  }
  return new KnowledgeIndex(chunks);
}

/** An AI turn's input as the activity builds it: the chunks retrieved for the customer's latest messages. */
export function turnInput(index: KnowledgeIndex, transcript: TranscriptEntry[], language = 'en', topK = 5): AiTurnInput {
  return { transcript, earlierSummaries: [], language, knowledge: index.search(retrievalTextOf(transcript), topK) };
}
