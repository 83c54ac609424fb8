import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { envReferencePattern, inputReferencePattern, type ToolSettings } from '../settings/tool-schema.js';
import { failureTypes, type DomainFailure } from '../workflow-safe/failures.js';

/**
 * The pure parts of a tool call: the request a tool's settings and the model's arguments make,
 * the fields of the answer the AI may see, and the checks of the arguments against the tool's
 * JSON Schema. No I/O (activities/tool-activities.ts sends the request). Arguments come from the
 * model and may hold customer data, and the environment holds secrets: no message here quotes
 * either, they name fields, keywords and variables only.
 */

export interface ToolCallErrorOptions {
  /** Stable code, e.g. TOOL_HTTP_ERROR, TOOL_RESPONSE_TOO_LARGE. */
  code: string;
  retryable: boolean;
  /** HTTP status, when the tool's API answered. */
  status?: number;
  /** From the API's Retry-After header (429), in milliseconds. */
  retryAfterMs?: number;
}

/**
 * A failed tool call, with what Temporal needs to decide on a retry. Temporal-free: the activity
 * turns it into an ApplicationFailure (workflow-safe/failures.ts). Messages name the tool, the
 * host, the status and the code; never the URL's path or query (they hold the arguments), a
 * body or a secret.
 */
export class ToolCallError extends Error implements DomainFailure {
  override name = 'ToolCallError';
  readonly failureType = failureTypes.tool;
  readonly code: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, options: ToolCallErrorOptions) {
    super(message);
    this.code = options.code;
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

type Env = Record<string, string | undefined>;

/** `${NAME}` or `{field}`, in one pass: a value put in is never expanded again. */
const referencePattern = new RegExp(`${envReferencePattern.source}|${inputReferencePattern.source}`, 'g');

/** Scheme and host, ended by the first `/`, `?` or `#` after them. */
const originPart = /^https?:\/\/[^/?#]*[/?#]/i;

/**
 * The tool's URL for these arguments: `{field}` takes `encodeURIComponent(String(args[field]))`,
 * `${NAME}` the environment variable. Encoding keeps an argument inside its path segment or
 * query value (`a/b`, `../x`, `?q=1`, `#` stay data), and the scheme and host must come from
 * the settings and the environment alone, so no argument can send the request elsewhere. A
 * value that is empty, `.` or `..` is refused too: URL parsers resolve `%2E%2E` as a dot
 * segment, and an empty segment turns `/orders/{id}` into the list of all orders.
 */
export function expandUrl(template: string, args: Record<string, unknown>, env: Env): string {
  let firstArgumentAt: number | undefined;
  let url = '';
  let last = 0;
  for (const match of template.matchAll(referencePattern)) {
    url += template.slice(last, match.index);
    last = match.index + match[0].length;
    const [, name, field] = match;
    if (name !== undefined) {
      url += envValue(name, env);
      continue;
    }
    const value = args[field!];
    if (value === undefined || value === null) {
      throw new ToolCallError(`the URL takes {${field}}, which the arguments lack`, { code: 'TOOL_INVALID_ARGUMENTS', retryable: false });
    }
    const text = String(value);
    if (text === '' || text === '.' || text === '..') {
      throw new ToolCallError(`the URL takes {${field}}, which must not be empty, '.' or '..'`, { code: 'TOOL_INVALID_ARGUMENTS', retryable: false });
    }
    firstArgumentAt ??= url.length;
    url += encodeURIComponent(text);
  }
  url += template.slice(last);

  const origin = originPart.exec(firstArgumentAt === undefined ? `${url}/` : url.slice(0, firstArgumentAt));
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!origin || !parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ToolCallError('the URL is not an http(s) URL whose scheme and host come from the settings and the environment alone', {
      code: 'TOOL_NOT_CONFIGURED',
      retryable: false,
    });
  }
  return parsed.href;
}

/** The tool's headers with `${NAME}` taken from the environment. */
export function expandHeaders(headers: Record<string, string>, env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([header, template]) => {
      const value = template.replace(envReferencePattern, (_, name: string) => {
        const text = envValue(name, env);
        // A line break in a secret would start a new header; the HTTP client would refuse it with an unclear error.
        if (/[\r\n\0]/.test(text)) throw new ToolCallError(`\${${name}} holds a line break, which a header value cannot`, { code: 'TOOL_NOT_CONFIGURED', retryable: false });
        return text;
      });
      return [header, value];
    }),
  );
}

function envValue(name: string, env: Env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ToolCallError(`\${${name}} is not set`, { code: 'TOOL_NOT_CONFIGURED', retryable: false });
  return value;
}

/** Only the named top-level fields of a JSON object; a field the object lacks is left out. */
export function pickFields(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  // defineProperty: a field named __proto__ is kept as data, not set as the prototype.
  for (const field of fields) if (Object.hasOwn(body, field)) Object.defineProperty(picked, field, { value: body[field], enumerable: true, writable: true, configurable: true });
  return picked;
}

/** undefined when the arguments fit the tool's input schema, else what is wrong (fields and keywords, no values). */
export type ArgumentValidator = (toolName: string, args: unknown) => string | undefined;

/**
 * Every tool's input schema compiled once (Ajv, strict: a misspelt keyword is an error, not a
 * check silently skipped). A schema that does not compile was reported at start-up
 * (toolSchemaProblems); should one still arrive, its tool's calls are refused.
 */
export function createArgumentValidators(tools: readonly Pick<ToolSettings, 'name' | 'input'>[]): ArgumentValidator {
  const validators = new Map<string, ValidateFunction | string>();
  for (const tool of tools) {
    const compiled = compileInput(tool.input);
    validators.set(tool.name, compiled.ok ? compiled.validate : `the tool's input is not a valid JSON Schema`);
  }
  return (toolName, args) => {
    const validate = validators.get(toolName);
    if (validate === undefined) return `unknown tool '${toolName}'`;
    if (typeof validate === 'string') return validate;
    if (validate(args)) return undefined;
    return (validate.errors ?? []).map(describeArgumentError).join('; ') || 'the arguments do not match the input schema';
  };
}

/** For settings validation: each tool whose `input` Ajv cannot compile. */
export function toolSchemaProblems(tools: readonly Pick<ToolSettings, 'input'>[]): string[] {
  return tools.flatMap((tool, index) => {
    const compiled = compileInput(tool.input);
    return compiled.ok ? [] : [`tools[${index}].input: is not a valid JSON Schema: ${compiled.message}`];
  });
}

/** One Ajv per schema: two tools' schemas with the same `$id` must not collide. */
function compileInput(schema: Record<string, unknown>): { ok: true; validate: ValidateFunction } | { ok: false; message: string } {
  try {
    return { ok: true, validate: new Ajv({ allErrors: true, strict: true }).compile(schema) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * "orderNumber: must match pattern "^\d+$" (pattern)". Ajv's messages quote the schema (a
 * pattern, a limit), never the data; the field comes from the path or, for `required` and
 * `additionalProperties`, from the keyword's parameters.
 */
function describeArgumentError(error: ErrorObject): string {
  const at = error.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
  const join = (field: string) => (at ? `${at}.${field}` : field);
  if (error.keyword === 'required') return `${join(String(error.params.missingProperty))}: is required (required)`;
  if (error.keyword === 'additionalProperties') return `${join(String(error.params.additionalProperty))}: is not an input field (additionalProperties)`;
  return `${at || 'arguments'}: ${error.message ?? 'is not valid'} (${error.keyword})`;
}
