import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KnowledgeBaseError, loadKnowledgeBase } from '../ai/knowledge-base.js';
import { statSync } from 'node:fs';
import { AssistantSettingsSchema, knowledgeSourcesOf, type AssistantSettings } from './schema.js';
import { readYamlFile } from './yaml-file.js';
import { toolSchemaProblems } from '../tools/tool-request.js';

/**
 * Loads the assistant settings file named by ASSISTANT_SETTINGS. The schema and types live in
 * ./schema.ts (pure, importable from workflow code); they are re-exported here so callers
 * have one place to import settings from.
 */
export {
  AssistantSettingsSchema,
  type AssistantSettings,
  type Topic,
  type HandoffRules,
  type ConversationSettings,
  type OfficeHours,
  type Messages,
  type MessageKind,
  type Weekday,
} from './schema.js';

/** The repo's commented example settings (dist/settings/x.js → ../../settings.example.yaml). */
export const defaultSettingsPath: string = fileURLToPath(new URL('../../settings.example.yaml', import.meta.url));

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    message: string,
    /** One line per problem, each starting with the setting's path. */
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Reads the YAML settings file and validates it, together with the knowledge base it names
 * and the tools' input JSON Schemas, so that a bad file fails at start-up with every problem listed, e.g.
 * "ASSISTANT_SETTINGS (/x/settings.yaml): officeHours.timeZone: unknown IANA time zone
 * 'Mars/Base'; handoff.minConfidence: must be <= 1".
 * Relative knowledge paths (`knowledgeBase`, yaml and files sources) are resolved against
 * the settings file's folder; the returned settings carry absolute paths. `overrides` (a
 * simulation scenario's) are merged into the file's contents before they are checked.
 */
export function loadAssistantSettings(path: string, overrides?: Record<string, unknown>): AssistantSettings {
  const settingsPath = resolve(path);
  const fail = (problems: string[]): never => {
    throw new SettingsError(`ASSISTANT_SETTINGS (${settingsPath}): ${problems.join('; ')}`, problems);
  };

  const result = readYamlFile(settingsPath, AssistantSettingsSchema, (data) => (overrides ? mergeSettings(data, overrides) : data));
  if (!result.ok) return fail(result.problems);

  const folder = dirname(settingsPath);
  const value = result.value;
  const settings: AssistantSettings = {
    ...value,
    knowledgeBase: value.knowledgeBase === undefined ? undefined : resolve(folder, value.knowledgeBase),
    knowledge: {
      ...value.knowledge,
      sources: value.knowledge.sources.map((source) => (source.type === 'yaml' || source.type === 'files' ? { ...source, path: resolve(folder, source.path) } : source)),
    },
  };
  const problems = [
    ...knowledgeSourcesOf(settings).flatMap((source) =>
      source.type === 'yaml' ? knowledgeBaseProblems(settings, source.path) : source.type === 'files' ? folderProblems(source.name, source.path) : [],
    ),
    // zod checks that `input` is an object schema; whether Ajv can compile it is checked here, once, at start-up.
    ...toolSchemaProblems(settings.tools),
  ];
  if (problems.length > 0) return fail(problems);
  return settings;
}

function folderProblems(name: string, path: string): string[] {
  try {
    return statSync(path).isDirectory() ? [] : [`knowledge source '${name}' (${path}): is not a folder`];
  } catch {
    return [`knowledge source '${name}' (${path}): no such folder`];
  }
}

/** A Q&A file must load, and its entries may only name topics the settings define. */
function knowledgeBaseProblems(settings: AssistantSettings, path: string): string[] {
  const where = `knowledgeBase (${path})`;
  try {
    const kb = loadKnowledgeBase(path);
    // With no topics configured every topic is "other"-like; nothing to cross-check.
    if (settings.topics.length === 0) return [];
    const known = new Set(['other', ...settings.topics.map((t) => t.name)]);
    return kb.entries.flatMap((entry, index) =>
      entry.topic !== undefined && !known.has(entry.topic)
        ? [`${where}: entries[${index}].topic: unknown topic '${entry.topic}' (topics: ${[...known].join(', ')})`]
        : [],
    );
  } catch (err) {
    if (err instanceof KnowledgeBaseError) return err.problems.map((problem) => `${where}: ${problem}`);
    throw err;
  }
}

/** `overrides` merged into `data`: objects key by key, anything else (lists too) replaced. */
export function mergeSettings(data: unknown, overrides: Record<string, unknown>): unknown {
  if (!isPlainObject(data)) return overrides;
  const merged: Record<string, unknown> = { ...data };
  for (const [key, value] of Object.entries(overrides)) merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? mergeSettings(merged[key], value) : value;
  return merged;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
