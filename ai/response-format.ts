import { z } from 'zod';
import { AiDecisionSchema } from './decision-schema.js';

/**
 * What the openai provider asks of an OpenAI-compatible endpoint's `response_format`, best first:
 * - `json_schema`: structured outputs, the answer is decoded against the decision's schema;
 * - `json_object`: JSON mode, the answer is JSON of any shape;
 * - `none`: no response_format at all (servers that know neither), the prompt alone asks for JSON.
 * Whatever the step, the answer is still validated against AiDecisionSchema and repaired once.
 */
export const responseFormatSteps = ['json_schema', 'json_object', 'none'] as const;
export type ResponseFormatStep = (typeof responseFormatSteps)[number];

type JsonSchemaNode = { [keyword: string]: unknown };

/**
 * Keywords z.toJSONSchema emits that OpenAI's strict mode refuses ("… is not permitted"): the
 * dialect marker, and string lengths (strict mode supports only pattern and format on strings).
 * The lengths are still enforced: parseDecision validates the answer with AiDecisionSchema.
 */
const keywordsStrictModeRefuses = new Set(['$schema', 'minLength', 'maxLength']);

/**
 * A JSON Schema from z.toJSONSchema made acceptable to strict mode: every object closed
 * (`additionalProperties: false`) and listing every property in `required`. An optional
 * property has no strict-mode equivalent short of making it nullable, which would change
 * what the model may answer, so it is refused here (at module load) rather than rewritten.
 */
export function strictModeSchema(schema: JsonSchemaNode, path = '<root>'): JsonSchemaNode {
  const strict: JsonSchemaNode = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keywordsStrictModeRefuses.has(keyword)) continue;
    if (keyword === 'properties' && isNode(value)) {
      strict.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, strictChild(child, `${path}.${name}`)]));
    } else if ((keyword === 'items' || keyword === 'additionalProperties') && isNode(value)) {
      strict[keyword] = strictModeSchema(value, `${path}[]`);
    } else if ((keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf' || keyword === 'prefixItems') && Array.isArray(value)) {
      strict[keyword] = value.map((child, i) => strictChild(child, `${path}|${i}`));
    } else {
      strict[keyword] = value;
    }
  }
  if (strict.type === 'object' || isNode(strict.properties)) {
    const names = Object.keys(isNode(strict.properties) ? strict.properties : {});
    const required = Array.isArray(schema.required) ? schema.required : [];
    const optional = names.filter((name) => !required.includes(name));
    if (optional.length > 0) throw new Error(`strict structured outputs need every property required; optional at ${path}: ${optional.join(', ')}`);
    if (isNode(strict.additionalProperties)) throw new Error(`strict structured outputs need closed objects; ${path} allows additional properties`);
    strict.additionalProperties = false;
    strict.required = names;
  }
  return strict;
}

function strictChild(child: unknown, path: string): unknown {
  return isNode(child) ? strictModeSchema(child, path) : child;
}

function isNode(value: unknown): value is JsonSchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What the model answers: the decision, and the ids of the knowledge articles its answer used
 * (checked against what was retrieved, then kept apart from the decision as its sources).
 */
export const ModelDecisionSchema = AiDecisionSchema.extend({
  sources: z.array(z.string().max(200)).max(10).default([]),
});

/** The model's answer as JSON Schema, from ModelDecisionSchema itself (the one source of truth), built once. */
export const aiDecisionJsonSchema = strictModeSchema(z.toJSONSchema(ModelDecisionSchema) as JsonSchemaNode);

/** The request body's `response_format` for a step; undefined means: leave the field out. */
export function responseFormatOf(step: ResponseFormatStep): Record<string, unknown> | undefined {
  if (step === 'json_schema') return { type: 'json_schema', json_schema: { name: 'ai_decision', strict: true, schema: aiDecisionJsonSchema } };
  if (step === 'json_object') return { type: 'json_object' };
  return undefined;
}

const NAMES_RESPONSE_FORMAT = /response_format|json_schema/i;

/**
 * Whether a 400 is the endpoint refusing the response_format (rather than any other bad request).
 * Only the error's own fields are read (OpenAI's `error.param/code/type/message`, vLLM's and
 * FastAPI's top-level `message`/`detail`, Ollama's string `error`), not the whole body: a
 * server that echoes the request would otherwise always "name" response_format.
 */
export function refusesResponseFormat(status: number, body: string): boolean {
  if (status !== 400) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return NAMES_RESPONSE_FORMAT.test(body.slice(0, 2000));
  }
  if (!isNode(parsed)) return false;
  const error = parsed.error;
  const fields = [parsed.message, parsed.detail, ...(isNode(error) ? [error.param, error.code, error.type, error.message] : [error])];
  return fields.some((field) => (typeof field === 'string' ? NAMES_RESPONSE_FORMAT.test(field) : field !== undefined && NAMES_RESPONSE_FORMAT.test(JSON.stringify(field))));
}

/**
 * Which step works, per endpoint (host + path) and model, for the life of the process: the
 * first call to an endpoint that refuses structured outputs pays for the refusals, later calls
 * go straight to the step that worked. Steps only ever go down.
 */
export class ResponseFormatLadder {
  private readonly steps = new Map<string, ResponseFormatStep>();
  private readonly announced = new Set<string>();

  stepFor(endpoint: string, model: string): ResponseFormatStep {
    return this.steps.get(key(endpoint, model)) ?? 'json_schema';
  }

  /** The endpoint refused `step`: the next one down, from now on (a no-op if a concurrent call went lower already). */
  refused(endpoint: string, model: string, step: ResponseFormatStep): ResponseFormatStep {
    const next = responseFormatSteps[Math.min(responseFormatSteps.indexOf(step) + 1, responseFormatSteps.length - 1)]!;
    const current = this.stepFor(endpoint, model);
    const lower = responseFormatSteps.indexOf(next) > responseFormatSteps.indexOf(current) ? next : current;
    this.steps.set(key(endpoint, model), lower);
    return lower;
  }

  /** A request at `step` was answered: true the first time that is a fallback, so it is logged once. */
  answeredWithFallback(endpoint: string, model: string, step: ResponseFormatStep): boolean {
    if (step === 'json_schema' || this.announced.has(key(endpoint, model))) return false;
    this.announced.add(key(endpoint, model));
    return true;
  }
}

const key = (endpoint: string, model: string) => `${endpoint}\n${model}`;
