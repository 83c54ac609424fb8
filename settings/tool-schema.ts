import { z } from 'zod';

/**
 * The settings file's `tools` (the company's own APIs the AI may call) and `actions` (how a
 * turn uses them). Composed into ./schema.ts. Secrets never appear here: a header or URL names
 * an environment variable as `${NAME}`, which the tool activity reads when it calls.
 */

const nonEmptyText = z.string().trim().min(1, { error: 'must not be empty' });

/** A tool's name is also its activity's (`tool:<name>`) and the function name the model sees. */
export const toolNamePattern = /^[a-z][a-z0-9_]{0,47}$/;

/** `${NAME}`: an environment variable, read by the worker when the tool runs. */
export const envReferencePattern = /\$\{([A-Z_][A-Z0-9_]*)\}/g;
/** `{field}`: one of the tool's input fields, URL-encoded into the URL. */
export const inputReferencePattern = /(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const JsonSchemaObject = z
  .object({ type: z.literal('object', { error: "must be a JSON Schema with type: object" }) })
  .loose();

export const ToolRequestSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** http(s) URL; `{field}` takes an input field (URL-encoded), `${NAME}` an environment variable. */
  url: nonEmptyText,
  /** Header values may name environment variables (`Bearer ${SHOP_API_TOKEN}`). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'must be an HTTP header name' }), z.string()).default({}),
});

export const ToolSchema = z
  .strictObject({
    name: z.string().regex(toolNamePattern, { error: 'must be lower-case letters, digits and _ (at most 48), starting with a letter' }),
    /** What the tool does, for the model. */
    description: nonEmptyText.max(1000),
    /** The tool's input as a JSON Schema (type: object); the model's arguments are checked against it. */
    input: JsonSchemaObject,
    request: ToolRequestSchema,
    /** The response fields (top-level names) the AI and the workflow history see; everything else is dropped. */
    response: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a field name' })).min(1).max(50),
    /** `rep`: the action waits for a rep's `/approve` (or an ops update) before it runs. */
    approval: z.enum(['none', 'rep']).default('none'),
    timeoutSeconds: z.number().gt(0).max(120).default(10),
    /**
     * The `faq` provider: a regular expression over the customer's message; its named groups are
     * the tool's arguments. Without one the faq provider never calls the tool.
     */
    trigger: z.string().min(1).optional(),
    /** The `faq` provider's answer once the tool answered: `{field}` takes a response field. */
    answerTemplate: nonEmptyText.max(2000).optional(),
  })
  .superRefine((tool, ctx) => {
    const properties = Object.keys((tool.input as { properties?: Record<string, unknown> }).properties ?? {});
    for (const match of tool.request.url.matchAll(inputReferencePattern)) {
      if (!properties.includes(match[1]!)) ctx.addIssue({ code: 'custom', path: ['request', 'url'], message: `{${match[1]}} is not a field of input.properties` });
    }
    if (!/^(https?:\/\/|\$\{[A-Z_][A-Z0-9_]*\})/.test(tool.request.url)) {
      ctx.addIssue({ code: 'custom', path: ['request', 'url'], message: 'must be an http(s) URL (or start with ${NAME})' });
    }
    if (tool.trigger !== undefined) {
      try {
        new RegExp(tool.trigger, 'iu');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['trigger'], message: `is not a valid regular expression: ${(error as Error).message}` });
      }
      const groups = triggerGroupsOf(tool.trigger);
      if (groups.length === 0) ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'needs named groups for the arguments, e.g. (?<orderNumber>\\d+)' });
      for (const group of groups) {
        if (!properties.includes(group)) ctx.addIssue({ code: 'custom', path: ['trigger'], message: `the named group '${group}' is not a field of input.properties` });
      }
      if (tool.answerTemplate === undefined) {
        ctx.addIssue({ code: 'custom', path: ['answerTemplate'], message: 'a tool with a trigger needs an answerTemplate (what the faq provider answers)' });
      }
    }
    for (const match of (tool.answerTemplate ?? '').matchAll(inputReferencePattern)) {
      if (!tool.response.includes(match[1]!)) ctx.addIssue({ code: 'custom', path: ['answerTemplate'], message: `{${match[1]}} is not one of the response fields` });
    }
  });
export type ToolSettings = z.infer<typeof ToolSchema>;

export const ActionsSchema = z.strictObject({
  /** Tool calls one AI turn may make; at the limit the model must decide without another. */
  maxToolCallsPerTurn: z.int().min(1).max(10).default(3),
  /** How long an action waits for a rep's approval before the AI hands the conversation off. */
  approvalTimeoutMinutes: z.number().gt(0).max(7 * 24 * 60).default(30),
  /** A tool's response body larger than this is refused (the tool call fails), before any field is picked. */
  maxResponseBytes: z.int().min(256).max(1024 * 1024).default(64 * 1024),
});
export type ActionSettings = z.infer<typeof ActionsSchema>;

/** The environment variables a tool's URL and headers name. */
export function envReferencesOf(tool: Pick<ToolSettings, 'request'>): string[] {
  const texts = [tool.request.url, ...Object.values(tool.request.headers)];
  return [...new Set(texts.flatMap((text) => [...text.matchAll(envReferencePattern)].map((m) => m[1]!)))];
}

/** The named groups of a trigger pattern: `(?<orderNumber>\d+)` → orderNumber. */
export function triggerGroupsOf(trigger: string): string[] {
  return [...trigger.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
}
