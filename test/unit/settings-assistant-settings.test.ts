import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnowledgeBaseError, loadKnowledgeBase } from '../../ai/knowledge-base.js';
import {
  AssistantSettingsSchema,
  SettingsError,
  defaultSettingsPath,
  loadAssistantSettings,
} from '../../settings/assistant-settings.js';

const kbYaml = `
entries:
  - id: shipping-times
    topic: shipping
    question: How long does shipping take?
    answer: Two to four working days.
`;

describe('assistant settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'settings-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  function errorOf(fn: () => unknown): SettingsError {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(SettingsError);
      return err as SettingsError;
    }
    throw new Error('expected a SettingsError');
  }

  it('loads the shipped example and its knowledge base', () => {
    const settings = loadAssistantSettings(defaultSettingsPath);
    expect(defaultSettingsPath).to.match(/settings\.example\.yaml$/);
    expect(settings.topics.map((t) => t.name)).to.include.members(['orders', 'shipping', 'returns', 'account', 'billing', 'other']);
    expect(settings.topics.find((t) => t.name === 'billing')?.policy).to.equal('escalate');
    // Commented out so the local demo answers at any hour: the team counts as always there.
    expect(settings.officeHours).to.equal(undefined);
    expect(settings.knowledgeBase).to.match(/knowledge-base[/\\]sample\.yaml$/);
    expect(loadKnowledgeBase(settings.knowledgeBase!).entries.length).to.be.greaterThanOrEqual(12);
  });

  it('applies defaults to a minimal file and resolves the knowledge base next to the settings file', () => {
    mkdirSync(join(dir, 'kb'));
    write('kb/faq.yaml', kbYaml);
    const settings = loadAssistantSettings(write('settings.yaml', 'knowledgeBase: kb/faq.yaml\n'));

    expect(settings.knowledgeBase).to.equal(join(dir, 'kb', 'faq.yaml'));
    expect(settings.instructions).to.be.a('string').and.not.empty;
    expect(settings.topics).to.deep.equal([]);
    expect(settings.handoff).to.deep.include({ sentimentAtOrBelow: 'very_negative', minConfidence: 0.5, maxAiRepliesPerSession: 10 });
    expect(settings.handoff.phrases).to.include('talk to a human');
    expect(settings.conversation).to.deep.equal({ quietWindowSeconds: 2, inactivitySeconds: 600, nudge: true });
    expect(settings.officeHours).to.equal(undefined);
    expect(settings.messages.defaultLanguage).to.equal('en');
    for (const kind of ['handoff', 'afterHours', 'closing', 'nudge'] as const) {
      expect(settings.messages[kind].default).to.be.a('string').and.not.empty;
    }
    expect(settings.messages.afterHours.default).to.contain('{nextOpening}');
  });

  it('ships a valid office-hours example, ready to uncomment', () => {
    const example = readFileSync(defaultSettingsPath, 'utf8');
    const start = example.indexOf('# officeHours:');
    const block = example.slice(start, example.indexOf('\n\n', start)).split('\n').map((line) => line.replace(/^# ?/, '')).join('\n');
    write('kb.yaml', kbYaml);
    const settings = loadAssistantSettings(write('settings.yaml', `knowledgeBase: kb.yaml\n${block}\n`));
    expect(settings.officeHours?.timeZone).to.equal('Europe/Berlin');
    expect(settings.officeHours?.weekly[0]?.days).to.deep.equal(['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(settings.officeHours?.afterHours).to.equal('handoff');
  });

  it('fills office-hours and message defaults inside given sections', () => {
    write('kb.yaml', kbYaml);
    const settings = loadAssistantSettings(
      write(
        'settings.yaml',
        `knowledgeBase: kb.yaml
officeHours:
  timeZone: Europe/Berlin
  weekly: [{ days: [mon], open: '09:00', close: '17:00:30' }]
messages:
  handoff: { default: Handing over., de: Ich übergebe. }
handoff:
  sentimentAtOrBelow: null
`,
      ),
    );
    expect(settings.officeHours).to.deep.include({ closedDates: [], afterHours: 'handoff' });
    expect(settings.messages.handoff).to.deep.equal({ default: 'Handing over.', de: 'Ich übergebe.' });
    expect(settings.messages.nudge.default).to.be.a('string').and.not.empty;
    expect(settings.handoff.sentimentAtOrBelow).to.equal(null);
  });

  it('takes a sitemap by URL or by its path on the Freshdesk account, and names a path without its slash', () => {
    write('kb.yaml', kbYaml);
    const sources = (url: string) => write('settings.yaml', `knowledgeBase: kb.yaml\nknowledge:\n  sources:\n    - { type: sitemap, url: "${url}" }\n`);
    for (const url of ['https://help.acme.com/sitemap.xml', '/sitemap.xml', '/support/sitemap.xml']) {
      const [source] = loadAssistantSettings(sources(url)).knowledge.sources;
      expect(source).to.deep.include({ type: 'sitemap', url });
    }
    for (const url of ['sitemap.xml', '//evil.example/sitemap.xml', 'ftp://acme.com/sitemap.xml']) {
      expect(errorOf(() => loadAssistantSettings(sources(url))).problems).to.deep.equal([
        'knowledge.sources[0].url: must be the http(s) URL of a sitemap.xml, or its path on the Freshdesk account (/sitemap.xml)',
      ]);
    }
  });

  it('names every wrong field by its path in one error', () => {
    write('kb.yaml', kbYaml);
    const path = write(
      'settings.yaml',
      `knowledgeBase: kb.yaml
topics:
  - { name: billing, description: Charges, policy: ignore }
  - { name: billing, description: Again, policy: answer }
handoff:
  minConfidence: 1.5
  maxAiRepliesPerSession: 0
  sentimentAtOrBelow: furious
  minConfidance: 0.2
conversation:
  inactivitySeconds: 0
officeHours:
  timeZone: Mars/Base
  weekly:
    - { days: [mon, funday], open: '9am', close: '17:00' }
    - { days: [tue], open: '18:00', close: '09:00' }
  closedDates: ['2025-02-30']
  afterHours: sometimes
messages:
  handoff: { de: Hallo }
  nudge: { default: Still there?, german: Noch da? }
`,
    );
    const error = errorOf(() => loadAssistantSettings(path));
    expect(error.message).to.match(new RegExp(`^ASSISTANT_SETTINGS \\(${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): `));
    const expected = [
      'topics[0].policy: must be one of: answer, escalate',
      'handoff.minConfidence: must be <= 1',
      'handoff.maxAiRepliesPerSession: must be >= 1',
      'handoff.sentimentAtOrBelow: must be one of: very_negative, negative, neutral',
      "handoff: unknown setting 'minConfidance'",
      'conversation.inactivitySeconds: must be > 0',
      "officeHours.timeZone: unknown IANA time zone 'Mars/Base'",
      'officeHours.weekly[0].days[1]: must be one of: mon, tue, wed, thu, fri, sat, sun',
      "officeHours.weekly[0].open: must be a time like '09:00' or '09:00:30'",
      'officeHours.weekly[1].close: must be later than open',
      "officeHours.closedDates[0]: '2025-02-30' is not a date like 2025-12-24",
      'officeHours.afterHours: must be one of: handoff, ai-until-open',
      'messages.handoff.default: required',
      'messages.nudge.german: must be an ISO 639-1 language code',
    ];
    for (const problem of expected) expect(error.message).to.contain(problem);
    for (const problem of expected) expect(error.problems.some((p) => p.startsWith(problem))).to.equal(true, problem);
  });

  it('reports duplicate topic names once the fields are valid', () => {
    write('kb.yaml', kbYaml);
    const path = write(
      'settings.yaml',
      `knowledgeBase: kb.yaml
topics:
  - { name: billing, description: Charges, policy: escalate }
  - { name: Billing, description: Again, policy: answer }
`,
    );
    expect(errorOf(() => loadAssistantSettings(path)).message).to.contain("topics[1].name: duplicate topic 'Billing'");
  });

  it('reports a missing file, a YAML syntax error and a missing knowledge base', () => {
    expect(errorOf(() => loadAssistantSettings(join(dir, 'nope.yaml'))).message).to.contain('file not found');
    expect(errorOf(() => loadAssistantSettings(write('bad.yaml', 'knowledgeBase: [unclosed\n'))).message).to.contain('YAML syntax');
    expect(errorOf(() => loadAssistantSettings(write('empty.yaml', '# nothing\n'))).message).to.contain('the file is empty');
    const missingKb = errorOf(() => loadAssistantSettings(write('s.yaml', 'knowledgeBase: missing.yaml\n')));
    expect(missingKb.message).to.contain(`knowledgeBase (${join(dir, 'missing.yaml')}): file not found`);
  });

  it('checks the knowledge base fields and its topics against the settings', () => {
    write(
      'kb.yaml',
      `entries:
  - { id: a, question: Q?, answer: A., topic: shiping }
  - { id: a, question: '', answer: A. }
  - { id: 'has space', question: Q?, answer: A. }
`,
    );
    const path = write(
      'settings.yaml',
      `knowledgeBase: kb.yaml
topics: [{ name: shipping, description: Delivery, policy: answer }]
`,
    );
    const message = errorOf(() => loadAssistantSettings(path)).message;
    expect(message).to.contain('entries[1].question: must not be empty');
    expect(message).to.contain("entries[1].id: duplicate id 'a'");
    expect(message).to.contain('entries[2].id: must be letters, digits');

    write('kb.yaml', 'entries:\n  - { id: a, question: Q?, answer: A., topic: shiping }\n');
    expect(errorOf(() => loadAssistantSettings(path)).message).to.contain("entries[0].topic: unknown topic 'shiping'");
  });

  it('loadKnowledgeBase names the file and the field', () => {
    const path = write('kb.yaml', 'entries:\n  - { id: x, question: Q? }\n');
    expect(() => loadKnowledgeBase(path))
      .to.throw(KnowledgeBaseError)
      .with.property('message')
      .that.contains(path)
      .and.contains('entries[0].answer: required');
  });

  it('the schema is usable on its own (parsed settings pass again unchanged)', () => {
    const settings = loadAssistantSettings(defaultSettingsPath);
    expect(AssistantSettingsSchema.parse(settings)).to.deep.equal(settings);
  });
});
