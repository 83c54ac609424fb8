import { z } from 'zod';
import { HandoffRulesSchema, TopicSchema, type HandoffRules, type Topic } from '../workflow-safe/handoff-rules.js';
import { OfficeHoursSchema, weekdays, type OfficeHours, type Weekday } from '../workflow-safe/office-hours.js';

export { weekdays };
export type { HandoffRules, OfficeHours, Topic, Weekday };

/**
 * The assistant settings file (topics, handoff rules, office hours, customer-facing words),
 * as a zod schema. The parts the workflow decides with (topics, handoff rules, office hours)
 * are defined in workflow-safe/ and composed here; the file loader lives in
 * ./assistant-settings.ts. Optional parts have defaults, so a file with only
 * `knowledgeBase:` is complete. Objects are strict: a misspelt key is an error, not a
 * silently ignored setting.
 */

const nonEmptyText = z.string().trim().min(1, { error: 'must not be empty' });

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
});
export type Messages = z.infer<typeof MessagesSchema>;
export type MessageKind = 'handoff' | 'afterHours' | 'closing' | 'nudge';

const defaultInstructions =
  'You are the support assistant of our shop. Answer briefly and kindly, only from the knowledge base. ' +
  'If the knowledge base does not cover the question, or the customer wants a person, escalate.';

export const AssistantSettingsSchema = z
  .strictObject({
    instructions: nonEmptyText.default(defaultInstructions),
    /** Path of the knowledge-base YAML file; the loader makes it absolute. */
    knowledgeBase: nonEmptyText,
    topics: z.array(TopicSchema).default([]),
    handoff: HandoffRulesSchema.prefault({}),
    conversation: ConversationSchema.prefault({}),
    officeHours: OfficeHoursSchema.optional(),
    messages: MessagesSchema.prefault({}),
  })
  .superRefine((settings, ctx) => {
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
