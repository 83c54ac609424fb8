import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadWorkerStartup } from '../../config/startup.js';
import { ConfigError } from '../../config/env.js';
import { loadAssistantSettings, SettingsError } from '../../settings/assistant-settings.js';
import { createArgumentValidators, expandHeaders, expandUrl, pickFields, ToolCallError, toolSchemaProblems } from '../../tools/tool-request.js';
import { failureTypes } from '../../workflow-safe/failures.js';

const orderStatusInput = {
  type: 'object' as const,
  properties: {
    orderNumber: { type: 'string', pattern: '^\\d{4,10}$' },
    email: { type: 'string', maxLength: 100 },
  },
  required: ['orderNumber'],
  additionalProperties: false,
};

/** A tool as the settings file has it (before zod's defaults). */
const orderStatus = {
  name: 'order_status',
  description: 'Looks up the status of an order by its number.',
  input: orderStatusInput,
  request: { method: 'GET', url: '${SHOP_API_URL}/orders/{orderNumber}', headers: { Authorization: 'Bearer ${SHOP_API_TOKEN}' } },
  response: ['status', 'eta'],
};

function toolCallErrorOf(fn: () => unknown): ToolCallError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ToolCallError);
    return error as ToolCallError;
  }
  throw new Error('expected a ToolCallError');
}

describe('tool requests (tools/tool-request.ts)', () => {
  const env = { SHOP_API_URL: 'https://shop.example.com/api', SHOP_API_TOKEN: 'tok-SECRET-123' };

  describe('expandUrl', () => {
    it('puts the arguments in, URL-encoded, and the environment variables as they are', () => {
      expect(expandUrl('${SHOP_API_URL}/orders/{orderNumber}?lang={lang}', { orderNumber: 12345, lang: 'de' }, env)).to.equal(
        'https://shop.example.com/api/orders/12345?lang=de',
      );
      expect(expandUrl('https://shop.example.com/x/{a}', { a: 'Jane Doe & Co' }, env)).to.equal('https://shop.example.com/x/Jane%20Doe%20%26%20Co');
    });

    it('keeps an argument inside its path segment and the host the settings name: ../x, a/b, ?q=1 and # stay data', () => {
      const template = 'https://shop.example.com/orders/{id}/items';
      for (const [value, encoded] of [
        ['../x', '..%2Fx'],
        ['a/b', 'a%2Fb'],
        ['?q=1', '%3Fq%3D1'],
        ['#', '%23'],
        ['..%2F..%2Fadmin', '..%252F..%252Fadmin'],
        ['@evil.example', '%40evil.example'],
      ] as const) {
        const url = new URL(expandUrl(template, { id: value }, env));
        expect(url.host, value).to.equal('shop.example.com');
        expect(url.pathname, value).to.equal(`/orders/${encoded}/items`);
        expect(url.search, value).to.equal('');
        expect(url.hash, value).to.equal('');
      }
      const query = new URL(expandUrl('https://shop.example.com/search?q={q}&limit=5', { q: 'a&limit=1000#x' }, env));
      expect([...query.searchParams]).to.deep.equal([['q', 'a&limit=1000#x'], ['limit', '5']]);
    });

    it("refuses '.', '..' and '' (URL parsers resolve dot segments, and an empty one names another resource)", () => {
      for (const value of ['.', '..', '']) {
        const error = toolCallErrorOf(() => expandUrl('https://shop.example.com/orders/{id}/items', { id: value }, env));
        expect(error.code, value).to.equal('TOOL_INVALID_ARGUMENTS');
      }
    });

    it('refuses an argument in the host: the scheme and host come from the settings and the environment alone', () => {
      const error = toolCallErrorOf(() => expandUrl('https://{tenant}.shop.example.com/orders', { tenant: 'evil.example/x' }, env));
      expect(error.code).to.equal('TOOL_NOT_CONFIGURED');
      expect(error.message).not.to.contain('evil');
      expect(toolCallErrorOf(() => expandUrl('${BASE}{path}', { path: 'evil.example/' }, { BASE: 'https://' })).code).to.equal('TOOL_NOT_CONFIGURED');
    });

    it('fails for a missing argument, naming the field', () => {
      const error = toolCallErrorOf(() => expandUrl('https://shop.example.com/orders/{orderNumber}', {}, env));
      expect(error).to.include({ code: 'TOOL_INVALID_ARGUMENTS', retryable: false, failureType: failureTypes.tool });
      expect(error.message).to.contain('{orderNumber}');
    });

    it('fails for an unset (or empty) environment variable, naming it and not any value', () => {
      for (const unset of [{}, { SHOP_API_URL: '' }]) {
        const error = toolCallErrorOf(() => expandUrl('${SHOP_API_URL}/orders/{orderNumber}', { orderNumber: '1234' }, unset));
        expect(error).to.include({ code: 'TOOL_NOT_CONFIGURED', retryable: false });
        expect(error.message).to.contain('${SHOP_API_URL}').and.not.contain('1234');
      }
    });

    it('must end up an http(s) URL', () => {
      expect(toolCallErrorOf(() => expandUrl('${BASE}/orders/{id}', { id: '1' }, { BASE: 'ftp://shop.example.com' })).code).to.equal('TOOL_NOT_CONFIGURED');
      expect(toolCallErrorOf(() => expandUrl('${BASE}/orders', {}, { BASE: 'not a url' })).code).to.equal('TOOL_NOT_CONFIGURED');
      expect(expandUrl('${BASE}', {}, { BASE: 'http://127.0.0.1:8080' })).to.equal('http://127.0.0.1:8080/');
    });

    it('does not expand what an argument or a variable put in', () => {
      expect(expandUrl('https://shop.example.com/{a}', { a: '${SHOP_API_TOKEN}' }, env)).to.equal('https://shop.example.com/%24%7BSHOP_API_TOKEN%7D');
      expect(expandUrl('${BASE}/{a}', { a: 'x' }, { BASE: 'https://shop.example.com/{a}' })).to.equal('https://shop.example.com/%7Ba%7D/x');
    });
  });

  describe('expandHeaders', () => {
    it('takes ${NAME} from the environment and leaves other text alone', () => {
      expect(expandHeaders({ Authorization: 'Bearer ${SHOP_API_TOKEN}', 'X-Shop': 'acme', 'X-Both': '${SHOP_API_TOKEN}:{notAnArgument}' }, env)).to.deep.equal({
        Authorization: 'Bearer tok-SECRET-123',
        'X-Shop': 'acme',
        'X-Both': 'tok-SECRET-123:{notAnArgument}',
      });
    });

    it('fails for an unset variable, naming it, and for a value with a line break, without quoting it', () => {
      expect(toolCallErrorOf(() => expandHeaders({ Authorization: 'Bearer ${SHOP_API_TOKEN}' }, {})).message).to.contain('${SHOP_API_TOKEN} is not set');
      const error = toolCallErrorOf(() => expandHeaders({ Authorization: 'Bearer ${SHOP_API_TOKEN}' }, { SHOP_API_TOKEN: 'tok\r\nX-Evil: 1' }));
      expect(error.code).to.equal('TOOL_NOT_CONFIGURED');
      expect(error.message).not.to.contain('tok').and.not.contain('Evil');
    });
  });

  describe('pickFields', () => {
    it('keeps only the named top-level fields, and leaves out missing ones', () => {
      const body = { status: 'shipped', eta: null, customer: { email: 'jane@example.com' }, internalNotes: 'x' };
      expect(pickFields(body, ['status', 'eta', 'trackingUrl'])).to.deep.equal({ status: 'shipped', eta: null });
      expect(pickFields(body, [])).to.deep.equal({});
      expect(pickFields(JSON.parse('{"__proto__": {"polluted": true}, "status": "x"}') as Record<string, unknown>, ['status', 'polluted'])).to.deep.equal({ status: 'x' });
      const picked = pickFields(JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>, ['__proto__']);
      expect(Object.getPrototypeOf(picked)).to.equal(Object.prototype);
      expect(Object.hasOwn(picked, '__proto__')).to.equal(true);
      expect(JSON.stringify(picked)).to.equal('{"__proto__":{"polluted":true}}');
    });
  });

  describe('createArgumentValidators', () => {
    const validate = createArgumentValidators([{ name: 'order_status', input: orderStatusInput }]);

    it('accepts arguments that fit the input schema', () => {
      expect(validate('order_status', { orderNumber: '12345' })).to.equal(undefined);
      expect(validate('order_status', { orderNumber: '12345', email: 'jane@example.com' })).to.equal(undefined);
    });

    it('names every wrong field and its keyword, never the values', () => {
      const problem = validate('order_status', { orderNumber: 'DROP-TABLE-9', email: 42, creditCard: '4111111111111111' });
      expect(problem).to.be.a('string');
      expect(problem).to.contain('orderNumber: must match pattern').and.contain('(pattern)');
      expect(problem).to.contain('email: must be string (type)');
      expect(problem).to.contain('creditCard: is not an input field (additionalProperties)');
      expect(problem).not.to.contain('DROP-TABLE').and.not.to.contain('4111').and.not.to.contain('42');
      expect(validate('order_status', {})).to.equal('orderNumber: is required (required)');
      expect(validate('order_status', 'not an object')).to.equal('arguments: must be object (type)');
    });

    it('says so for an unknown tool', () => {
      expect(validate('refund', { orderNumber: '12345' })).to.equal("unknown tool 'refund'");
    });

    it("refuses calls of a tool whose schema does not compile (start-up reports it), and keeps the others'", () => {
      const both = createArgumentValidators([
        { name: 'broken', input: { type: 'object', properties: { a: { type: 'strng' } } } },
        { name: 'order_status', input: orderStatusInput },
      ]);
      expect(both('broken', { a: 'x' })).to.contain('not a valid JSON Schema');
      expect(both('order_status', { orderNumber: '12345' })).to.equal(undefined);
    });
  });

  describe('toolSchemaProblems', () => {
    it('names each tool whose input does not compile, with the reason', () => {
      const problems = toolSchemaProblems([
        { input: orderStatusInput },
        { input: { type: 'object', properties: { a: { type: 'strng' } } } },
        { input: { type: 'object', properties: { a: { type: 'string', minLenght: 1 } } } },
      ]);
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^tools\[1\]\.input: is not a valid JSON Schema: schema is invalid/);
      expect(problems[1]).to.match(/^tools\[2\]\.input: is not a valid JSON Schema: strict mode: unknown keyword: "minLenght"/);
    });

    it('compiles each schema on its own: two tools may share a $id', () => {
      const input = { $id: 'https://example.com/order', ...orderStatusInput };
      expect(toolSchemaProblems([{ input }, { input }])).to.deep.equal([]);
    });
  });
});

describe('tool settings, checked at start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tool-settings-'));
    writeFileSync(join(dir, 'kb.yaml'), 'entries:\n  - id: shipping\n    question: How long does shipping take?\n    answer: Two to four days.\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A settings file with these tools (JSON is YAML). */
  function settingsWith(tools: unknown[]): string {
    const path = join(dir, 'settings.yaml');
    writeFileSync(path, JSON.stringify({ knowledgeBase: 'kb.yaml', tools }));
    return path;
  }

  function problemsOf(path: string): string[] {
    try {
      loadAssistantSettings(path);
    } catch (error) {
      expect(error).to.be.instanceOf(SettingsError);
      return (error as SettingsError).problems;
    }
    throw new Error('expected a SettingsError');
  }

  it('loads a good tool with its defaults', () => {
    const [tool] = loadAssistantSettings(settingsWith([orderStatus])).tools;
    expect(tool).to.deep.include({ name: 'order_status', approval: 'none', timeoutSeconds: 10 });
    expect(tool!.request.headers).to.deep.equal({ Authorization: 'Bearer ${SHOP_API_TOKEN}' });
  });

  it('reports an input that is not a valid JSON Schema', () => {
    const problems = problemsOf(settingsWith([orderStatus, { ...orderStatus, name: 'order_status_2', input: { ...orderStatusInput, properties: { orderNumber: { type: 'text' } } } }]));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^tools\[1\]\.input: is not a valid JSON Schema: /);
  });

  it('reports a {field} in the URL that is not an input property, a bad trigger regex and duplicate tool names, all at once', () => {
    const problems = problemsOf(
      settingsWith([
        { ...orderStatus, request: { ...orderStatus.request, url: 'https://shop.example.com/orders/{orderId}' } },
        { ...orderStatus, name: 'order_lookup', trigger: 'order (?<orderNumber>\\d+', answerTemplate: 'Your order is {status}.' },
        { ...orderStatus },
      ]),
    );
    expect(problems).to.include('tools[0].request.url: {orderId} is not a field of input.properties');
    expect(problems.some((p) => p.startsWith('tools[1].trigger: is not a valid regular expression'))).to.equal(true, problems.join('\n'));
    expect(problems).to.include("tools[2].name: two tools are named 'order_status'");
  });

  it('the worker refuses to start while a variable a tool names is unset, naming the tool and the variable', () => {
    const path = settingsWith([orderStatus]);
    const raw = {
      NODE_ENV: 'development',
      FRESHCHAT_API_URL: 'https://acme.freshchat.com/v2',
      FRESHCHAT_API_TOKEN: 'token',
      FRESHCHAT_AI_AGENT_EMAIL: 'ai@acme.com',
      PAYLOAD_ENCRYPTION: 'off',
      ASSISTANT_SETTINGS: path,
      SHOP_API_URL: 'https://shop.example.com',
      SHOP_API_TOKEN: '  ',
    };
    let error: unknown;
    try {
      loadWorkerStartup(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).problems).to.deep.equal(['tools[0] (order_status): SHOP_API_TOKEN is not set (its request names ${SHOP_API_TOKEN})']);
    expect(loadWorkerStartup({ ...raw, SHOP_API_TOKEN: 'tok' }).settings.tools.map((t) => t.name)).to.deep.equal(['order_status']);
  });
});
