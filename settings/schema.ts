import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import type { Same } from '../lib/same-type.js';
import { defaultHandoffPhrases, handoffSentimentLevels, topicPolicies, type HandoffRules, type Topic } from '../workflow-safe/handoff-rules.js';
import { afterHoursModes, parseTimeOfDay, weekdays, type OfficeHours, type Weekday } from '../workflow-safe/office-hours.js';
import { ActionsSchema, ToolSchema } from './tool-schema.js';

export { weekdays };
export type { HandoffRules, OfficeHours, Topic, Weekday };

/**
 * The assistant settings file (topics, handoff rules, office hours, customer-facing words),
 * as a zod schema. The parts the workflow decides with (topics, handoff rules, office hours)
 * have their types in workflow-safe/ (zod stays out of the workflow bundle, which every new
 * or replayed workflow evaluates again); their schemas here are held to those types at
 * compile time. The file loader lives in
 * ./assistant-settings.ts. Optional parts have defaults, so a file with only
 * `knowledgeBase:` is complete. Objects are strict: a misspelt key is an error, not a
 * silently ignored setting.
 */

const nonEmptyText = z.string().trim().min(1, { error: 'must not be empty' });

// ---- topics and handoff rules (workflow-safe/handoff-rules.ts) -------------------------------

const TopicSchema = z.strictObject({
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(100),
  description: nonEmptyText,
  policy: z.enum(topicPolicies),
});

const HandoffRulesSchema = z.strictObject({
  phrases: z.array(nonEmptyText).default(defaultHandoffPhrases),
  sentimentAtOrBelow: z.enum(handoffSentimentLevels).nullable().default('very_negative'),
  minConfidence: z.number().min(0).max(1).default(0.5),
  maxAiRepliesPerSession: z.int().min(1).default(10),
});

// ---- office hours (workflow-safe/office-hours.ts) --------------------------------------------

const timeOfDay = z.string().refine((t) => {
  const seconds = parseTimeOfDay(t);
  return seconds !== null && seconds < 24 * 3600;
}, { error: "must be a time like '09:00' or '09:00:30'" });
const closingTimeOfDay = z.string().refine((t) => parseTimeOfDay(t) !== null, {
  error: "must be a time like '18:00', '18:00:30' or '24:00'",
});

const WeeklySlotSchema = z
  .strictObject({
    days: z.array(z.enum(weekdays)).min(1, { error: 'must list at least one day' }),
    open: timeOfDay,
    close: closingTimeOfDay,
  })
  .refine((slot) => (parseTimeOfDay(slot.close) ?? 0) > (parseTimeOfDay(slot.open) ?? Infinity), {
    error: 'must be later than open (same day; use 24:00 for midnight)',
    path: ['close'],
  });

const OfficeHoursSchema = z.strictObject({
  timeZone: z.string().refine((zone) => IANAZone.isValidZone(zone), {
    error: (issue) => `unknown IANA time zone '${String(issue.input)}'`,
  }),
  weekly: z.array(WeeklySlotSchema).min(1, { error: 'must have at least one opening slot' }),
  closedDates: z
    .array(
      z.string().refine((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && DateTime.fromISO(d).isValid, {
        error: (issue) => `'${String(issue.input)}' is not a date like 2025-12-24`,
      }),
    )
    .default([]),
  afterHours: z.enum(afterHoursModes).default('handoff'),
});

/** Compile-time: each schema parses to exactly the type the workflow decides with. */
export const workflowSettingsMatchTypes: [
  Same<z.infer<typeof TopicSchema>, Topic>,
  Same<z.infer<typeof HandoffRulesSchema>, HandoffRules>,
  Same<z.infer<typeof OfficeHoursSchema>, OfficeHours>,
] = [true, true, true];

// ---- the rest of the file --------------------------------------------------------------------

const ConversationSchema = z.strictObject({
  quietWindowSeconds: z.number().min(0).default(2),
  inactivitySeconds: z.number().gt(0).default(600),
  nudge: z.boolean().default(true),
});
export type ConversationSettings = z.infer<typeof ConversationSchema>;

/** ISO 639-1, optionally with a region: 'de', 'pt-BR'. */
const languageKey = /^[a-z]{2}(-[A-Za-z]{2,4})?$/;

/** One customer-facing text: `default` plus optional per-language variants keyed by ISO 639-1. */
function messageSchema(defaultText: string) {
  return z
    .object({ default: nonEmptyText })
    .catchall(nonEmptyText)
    .superRefine((variants, ctx) => {
      for (const key of Object.keys(variants)) {
        if (key !== 'default' && !languageKey.test(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'must be an ISO 639-1 language code such as de or pt-BR' });
        }
      }
    })
    .default({ default: defaultText });
}

const MessagesSchema = z.strictObject({
  /** The language `default` texts are written in; a variant keyed by it wins over `default`. */
  defaultLanguage: z.string().regex(languageKey, { error: 'must be an ISO 639-1 language code such as en' }).default('en'),
  handoff: messageSchema("I'm handing you over to a member of our team. Someone will be with you shortly."),
  afterHours: messageSchema(
    "Our team is away right now. I've passed your conversation on, and someone will get back to you {nextOpening}.",
  ),
  closing: messageSchema(
    "Since we haven't heard back, I'm closing this chat for now. Just write again if you need anything else!",
  ),
  nudge: messageSchema('Are you still there? Let me know if there is anything else I can help with.'),
  /** Posted when an action waits for a rep's approval (a tool with `approval: rep`). */
  actionPending: messageSchema("I'm checking this with our team. I'll get back to you here as soon as they confirm."),
  /** Posted when a rep declines the action or nobody approves it in time; the conversation then goes to the team. */
  actionDeclined: messageSchema("I wasn't able to do that for you. I'm handing you over to a member of our team, who will take it from here."),
});
export type Messages = z.infer<typeof MessagesSchema>;
export type MessageKind = 'handoff' | 'afterHours' | 'closing' | 'nudge' | 'actionPending' | 'actionDeclined';

/** A source's name prefixes its article ids ("help-center:5000100001"): letters, digits, - and _. */
const sourceName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, { error: 'must be lower-case letters, digits, - or _ (e.g. help-center)' }).optional();
const freshdeskId = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().positive()]).transform(String);

export const KnowledgeSourceSchema = z.discriminatedUnion('type', [
  /** The question/answer YAML file (knowledge-base/sample.yaml's format). */
  z.strictObject({ type: z.literal('yaml'), name: sourceName, path: nonEmptyText }),
  /** A folder of Markdown, HTML and text files, each split at its headings. */
  z.strictObject({ type: z.literal('files'), name: sourceName, path: nonEmptyText, language: z.string().regex(languageKey).optional() }),
  /** Freshdesk solution articles (FRESHDESK_API_URL, FRESHDESK_API_KEY): published only, never from agent-only folders. */
  z.strictObject({
    type: z.literal('freshdesk'),
    name: sourceName,
    categoryIds: z.array(freshdeskId).optional(),
    folderIds: z.array(freshdeskId).optional(),
    /** Translations to sync besides the primary language (a multilingual help center): ISO 639-1 codes. */
    languages: z.array(z.string().regex(languageKey, { error: 'must be an ISO 639-1 language code such as de' })).optional(),
  }),
  /**
   * The pages a public help center lists in its sitemap.xml, as its robots.txt allows. A path
   * (/sitemap.xml) is on the Freshdesk account's own site (FRESHDESK_API_URL), whose public
   * help center it is.
   */
  z.strictObject({
    type: z.literal('sitemap'),
    name: sourceName,
    url: z.union([z.url({ protocol: /^https?$/ }), z.string().regex(/^\/[^/]/)], { error: 'must be the http(s) URL of a sitemap.xml, or its path on the Freshdesk account (/sitemap.xml)' }),
  }),
]);
export type KnowledgeSourceSettings = z.infer<typeof KnowledgeSourceSchema>;

const KnowledgeSchema = z.strictObject({
  sources: z.array(KnowledgeSourceSchema).default([]),
  /** Chunks retrieved for each AI turn. */
  topK: z.int().min(1).max(20).default(5),
  /** How often the knowledge-sync schedule runs. */
  syncIntervalMinutes: z.number().min(1).max(7 * 24 * 60).default(60),
  /** Append the best cited article's link to the AI's reply. */
  linkBestArticle: z.boolean().default(false),
});
export type KnowledgeSettings = z.infer<typeof KnowledgeSchema>;

const defaultInstructions =
  'You are the support assistant of our shop. Answer briefly and kindly, only from the knowledge base. ' +
  'If the knowledge base does not cover the question, or the customer wants a person, escalate.';

export const AssistantSettingsSchema = z
  .strictObject({
    instructions: nonEmptyText.default(defaultInstructions),
    /** Path of a question/answer YAML file: shorthand for a first `yaml` source. The loader makes it absolute. */
    knowledgeBase: nonEmptyText.optional(),
    knowledge: KnowledgeSchema.prefault({}),
    topics: z.array(TopicSchema).default([]),
    handoff: HandoffRulesSchema.prefault({}),
    conversation: ConversationSchema.prefault({}),
    officeHours: OfficeHoursSchema.optional(),
    messages: MessagesSchema.prefault({}),
    /** The company's APIs the AI may call (settings/tool-schema.ts). */
    tools: z.array(ToolSchema).max(32).default([]),
    actions: ActionsSchema.prefault({}),
  })
  .superRefine((settings, ctx) => {
    if (!settings.knowledgeBase && settings.knowledge.sources.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['knowledge', 'sources'], message: 'name at least one knowledge source (or knowledgeBase: <a Q&A YAML file>)' });
    }
    const names = new Set<string>();
    knowledgeSourcesOf(settings).forEach((source, index) => {
      if (names.has(source.name)) ctx.addIssue({ code: 'custom', path: ['knowledge', 'sources', index], message: `two sources are named '${source.name}': give one a different name` });
      names.add(source.name);
    });
    const toolNames = new Set<string>();
    settings.tools.forEach((tool, index) => {
      if (toolNames.has(tool.name)) ctx.addIssue({ code: 'custom', path: ['tools', index, 'name'], message: `two tools are named '${tool.name}'` });
      toolNames.add(tool.name);
    });
    const seen = new Set<string>();
    settings.topics.forEach((topic, index) => {
      const key = topic.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['topics', index, 'name'], message: `duplicate topic '${topic.name}'` });
      seen.add(key);
    });
  });
export type AssistantSettings = z.infer<typeof AssistantSettingsSchema>;

/**
 * Short, path-free messages for the zod issues a settings file can produce; the loader puts
 * the path in front ("handoff.minConfidence: must be <= 1"). Messages set on a schema
 * (refinements above) take precedence over this map.
 */
export function settingsIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const missing = issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
  if (missing) return 'required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${article(issue.expected)} (got ${describeInput(issue.input)})`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`
        : `must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`
        : `must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => (v === null ? 'null' : String(v))).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      return undefined;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

/** "topics[2].policy" from ['topics', 2, 'policy']. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    return text ? `${text}.${name}` : name;
  }, '');
}

export type NamedKnowledgeSource = KnowledgeSourceSettings & { name: string };

/**
 * Every knowledge source with its name: `knowledgeBase` first (named `faq`), then
 * `knowledge.sources`, each named by `name` or its type (a second of a type gets `-2`).
 */
export function knowledgeSourcesOf(settings: Pick<AssistantSettings, 'knowledgeBase' | 'knowledge'>): NamedKnowledgeSource[] {
  const all: KnowledgeSourceSettings[] = [...(settings.knowledgeBase ? [{ type: 'yaml' as const, name: 'faq', path: settings.knowledgeBase }] : []), ...settings.knowledge.sources];
  const counts = new Map<string, number>();
  return all.map((source) => {
    if (source.name) return { ...source, name: source.name };
    const n = (counts.get(source.type) ?? 0) + 1;
    counts.set(source.type, n);
    return { ...source, name: n === 1 ? source.type : `${source.type}-${n}` };
  });
}
