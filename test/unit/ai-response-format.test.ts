import { expect } from 'chai';
import { z } from 'zod';
import { ResponseFormatLadder, aiDecisionJsonSchema, refusesResponseFormat, responseFormatOf, strictModeSchema } from '../../ai/response-format.js';
import { AiDecisionSchema } from '../../ai/decision-schema.js';

type Node = Record<string, unknown>;

/** Every object node of a JSON Schema, with its path. */
function objectNodes(node: unknown, path = '<root>'): Array<{ path: string; node: Node }> {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((child, i) => objectNodes(child, `${path}[${i}]`));
  const record = node as Node;
  const here = record.type === 'object' || 'properties' in record ? [{ path, node: record }] : [];
  return [...here, ...Object.entries(record).flatMap(([keyword, child]) => (keyword === 'enum' || keyword === 'const' ? [] : objectNodes(child, `${path}.${keyword}`)))];
}

describe('the decision JSON Schema for strict structured outputs', () => {
  it('closes every object and requires all of its properties', () => {
    const objects = objectNodes(aiDecisionJsonSchema);
    expect(objects.length).to.be.greaterThan(0);
    for (const { path, node } of objects) {
      expect(node.additionalProperties, path).to.equal(false);
      expect([...(node.required as string[])].sort(), path).to.deep.equal(Object.keys(node.properties as Node).sort());
    }
  });

  it('is generated from the model decision schema: the decision with its cited sources, enums and confidence range', () => {
    const properties = aiDecisionJsonSchema.properties as Record<string, Node>;
    expect(Object.keys(properties)).to.deep.equal([...Object.keys(AiDecisionSchema.shape), 'sources']);
    expect(properties.sources).to.deep.include({ type: 'array' });
    expect(properties.action!.enum).to.deep.equal(AiDecisionSchema.shape.action.options);
    expect(properties.sentiment!.enum).to.deep.equal(AiDecisionSchema.shape.sentiment.options);
    expect(properties.confidence).to.deep.include({ type: 'number', minimum: 0, maximum: 1 });
  });

  it('drops only the keywords strict mode refuses ($schema, string lengths)', () => {
    const json = JSON.stringify(aiDecisionJsonSchema);
    for (const keyword of ['$schema', 'minLength', 'maxLength']) expect(json).not.to.contain(`"${keyword}"`);
    expect(JSON.stringify(z.toJSONSchema(AiDecisionSchema))).to.contain('"maxLength"'); // i.e. zod does emit them
  });

  it('closes nested objects and refuses optional properties (strict mode has no optional)', () => {
    const nested = strictModeSchema(z.toJSONSchema(z.object({ outer: z.object({ inner: z.array(z.object({ leaf: z.string() })) }) })) as Node);
    for (const { path, node } of objectNodes(nested)) {
      expect(node.additionalProperties, path).to.equal(false);
      expect(node.required, path).to.deep.equal(Object.keys(node.properties as Node));
    }
    expect(objectNodes(nested)).to.have.length(3);
    expect(() => strictModeSchema(z.toJSONSchema(z.object({ a: z.string(), b: z.string().optional() })) as Node)).to.throw(/optional at <root>: b/);
  });

  it('the response_format of each step', () => {
    expect(responseFormatOf('json_schema')).to.deep.equal({ type: 'json_schema', json_schema: { name: 'ai_decision', strict: true, schema: aiDecisionJsonSchema } });
    expect(responseFormatOf('json_object')).to.deep.equal({ type: 'json_object' });
    expect(responseFormatOf('none')).to.equal(undefined);
  });
});

describe('refusesResponseFormat', () => {
  const body = (value: unknown) => JSON.stringify(value);
  it('is a 400 whose error names response_format or json_schema', () => {
    expect(refusesResponseFormat(400, body({ error: { message: 'not supported', param: 'response_format', code: null } }))).to.equal(true);
    expect(refusesResponseFormat(400, body({ error: { message: "'json_schema' is not supported with this model" } }))).to.equal(true);
    expect(refusesResponseFormat(400, body({ object: 'error', message: 'response_format.type must be text or json_object', type: 'BadRequestError' }))).to.equal(true);
    expect(refusesResponseFormat(400, body({ error: 'json: unknown field "response_format"' }))).to.equal(true);
    expect(refusesResponseFormat(400, 'unsupported response_format')).to.equal(true);
  });
  it('is not another 400, nor another status naming it', () => {
    expect(refusesResponseFormat(400, body({ error: { message: 'Invalid value', param: 'temperature' } }))).to.equal(false);
    expect(refusesResponseFormat(500, body({ error: { param: 'response_format' } }))).to.equal(false);
    // A server echoing the request somewhere other than its error fields does not count.
    expect(refusesResponseFormat(400, body({ error: { message: 'too many tokens' }, request: { response_format: { type: 'json_schema' } } }))).to.equal(false);
  });
});

describe('ResponseFormatLadder', () => {
  it('goes down one step per refusal, per endpoint and model, never back up', () => {
    const ladder = new ResponseFormatLadder();
    expect(ladder.stepFor('h/v1/chat/completions', 'm')).to.equal('json_schema');
    expect(ladder.refused('h/v1/chat/completions', 'm', 'json_schema')).to.equal('json_object');
    expect(ladder.stepFor('h/v1/chat/completions', 'other-model')).to.equal('json_schema');
    expect(ladder.stepFor('h/v2/chat/completions', 'm')).to.equal('json_schema');
    expect(ladder.refused('h/v1/chat/completions', 'm', 'json_object')).to.equal('none');
    // A concurrent call that was still at json_schema when refused does not raise it again.
    expect(ladder.refused('h/v1/chat/completions', 'm', 'json_schema')).to.equal('none');
    expect(ladder.stepFor('h/v1/chat/completions', 'm')).to.equal('none');
  });
  it('says to log a fallback the first time it works only', () => {
    const ladder = new ResponseFormatLadder();
    expect(ladder.answeredWithFallback('h', 'm', 'json_schema')).to.equal(false);
    expect(ladder.answeredWithFallback('h', 'm', 'json_object')).to.equal(true);
    expect(ladder.answeredWithFallback('h', 'm', 'json_object')).to.equal(false);
    expect(ladder.answeredWithFallback('h', 'm2', 'none')).to.equal(true);
  });
});
