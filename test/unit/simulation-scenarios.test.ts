import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { defaultSettingsPath, loadAssistantSettings, SettingsError } from '../../settings/assistant-settings.js';
import { decisionProblem, mentionProblems, resolutionProblem } from '../../simulation/expectations.js';
import { failureDetails, junitXml, resultsTable } from '../../simulation/report.js';
import type { ScenarioResult } from '../../simulation/run-scenario.js';
import { loadScenarios, parseScenario, ScenarioFileError, type Scenario } from '../../simulation/scenario.js';
import { simulatorConfigFrom } from '../../simulation/simulated-customer.js';
import { ConfigError } from '../../config/env.js';
import type { DecisionRecord } from '../../workflows/messages.js';
import { repoRoot } from '../helpers/system.js';

const checkAgainstExample = (overrides: Record<string, unknown>) => {
  try {
    loadAssistantSettings(defaultSettingsPath, overrides);
    return [];
  } catch (error) {
    return (error as SettingsError).problems;
  }
};

function problemsOf(data: unknown): string[] {
  const parsed = parseScenario(data, 'x.yaml', checkAgainstExample);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems;
}

const decision = (overrides: Partial<DecisionRecord>): DecisionRecord => ({
  session: 1,
  turn: 1,
  at: '2026-12-01T10:00:00.000Z',
  action: 'reply',
  rule: 'ai_decision',
  reason: 'Answered from knowledge article faq:shipping-times',
  sources: ['faq:shipping-times'],
  outcome: 'posted',
  ...overrides,
});

describe('simulation scenarios (npm run simulate)', () => {
  describe('scenario files', () => {
    it('loads the sample set: every step kind, the settings overrides checked against the example settings', () => {
      const scenarios = loadScenarios([join(repoRoot, 'simulations')], checkAgainstExample);
      expect(scenarios.length).to.be.at.least(15);
      const steps = scenarios.flatMap((s) => s.steps);
      const kinds = new Set(steps.map((step) => ('expect' in step ? `expect ${'action' in step.expect ? step.expect.action : Object.keys(step.expect)[0]}` : 'rep' in step ? `rep ${Object.keys(step.rep)[0]}` : Object.keys(step)[0])));
      for (const kind of ['customer', 'reopen', 'rep says', 'rep assigns', 'rep unassigns', 'rep resolves', 'expect reply', 'expect escalate', 'expect resolve', 'expect silent', 'expect note', 'expect state']) {
        expect([...kinds], kind).to.include(kind);
      }
      // Every rule a scripted conversation can trigger, and both resolutions.
      const rules = new Set(steps.flatMap((step) => ('expect' in step && 'rule' in step.expect && step.expect.rule ? [step.expect.rule] : [])));
      expect([...rules].sort()).to.deep.equal(['ai_decision', 'confidence_floor', 'handoff_phrase', 'office_hours', 'reply_limit', 'sentiment', 'topic_policy']);
      const resolutions = new Set(steps.flatMap((step) => ('expect' in step && 'resolution' in step.expect && step.expect.resolution ? [step.expect.resolution] : [])));
      expect([...resolutions].sort()).to.deep.equal(['assumed', 'confirmed']);
      expect(scenarios.some((s) => s.mode === 'assigned-only')).to.equal(true);
    });

    it('names the step and the field of every problem', () => {
      expect(
        problemsOf({
          name: 'bad',
          steps: [
            { customer: '' },
            { expect: { action: 'answer' } },
            { expect: { action: 'escalate', rule: 'no_such_rule' } },
            { expect: { silent: true, state: 'human' } },
            { expect: { note: { mentions: [] } } },
            { rep: { sings: 'la' } },
            { rep: { assigns: 'bob' } },
            { wait: -1 },
            'hello',
            { customer: 'a', wait: 1 },
            { dance: true },
          ],
        }),
      ).to.deep.equal([
        'step 1 (customer): must not be empty',
        'step 2 (expect): action: must be one of reply, escalate, resolve',
        'step 3 (expect): rule: must be one of: handoff_phrase, topic_policy, sentiment, confidence_floor, reply_limit, office_hours, ai_failure, lost_ownership_race, ops_signal, ai_decision, customer_inactive, freshchat_failure, customer_wrote_again, action_declined, action_timed_out',
        'step 4 (expect): expect has silent and state: give exactly one of action, silent, note, state',
        'step 5 (expect): note.mentions: must have at least 1 items',
        'step 6 (rep): sings: unknown; rep must be one of says, assigns, unassigns, resolves',
        'step 7 (rep): assigns: must be one of: me, ai',
        'step 8 (wait): must be > 0',
        'step 9: a step must be one of customer, rep, reopen, wait, expect (got string)',
        'step 10: a step has customer and wait: give exactly one of customer, rep, reopen, wait, expect',
        'step 11: dance: unknown; a step must be one of customer, rep, reopen, wait, expect',
      ]);
    });

    it('checks the header and the settings overrides against the settings file; knowledge cannot be overridden', () => {
      expect(problemsOf({ steps: [] })).to.deep.equal(['name: required', 'steps: a scenario needs at least one step']);
      expect(problemsOf({ name: 'x', mode: 'manual', timeoutSeconds: 0, extra: 1, steps: [{ wait: 1 }] })).to.have.members([
        'mode: must be one of: auto, assigned-only',
        'timeoutSeconds: must be > 0',
        "unknown setting 'extra'",
      ]);
      expect(problemsOf({ name: 'x', settings: { handoff: { minConfidence: 2 }, conversation: { inactivitySecs: 3 } }, steps: [{ wait: 1 }] })).to.deep.equal([
        'settings.handoff.minConfidence: must be <= 1',
        "settings.conversation: unknown setting 'inactivitySecs'",
      ]);
      expect(problemsOf({ name: 'x', settings: { knowledge: { topK: 2 } }, steps: [{ wait: 1 }] })).to.deep.equal([
        'settings.knowledge: knowledge is synced once for the whole run and cannot be changed by a scenario',
      ]);
    });

    it('refuses every file of a folder together, by file name, and duplicate names', () => {
      const dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
      writeFileSync(join(dir, 'a.yaml'), 'name: same\nsteps: [{ customer: hi }]\n');
      writeFileSync(join(dir, 'b.yml'), 'name: same\nsteps: [{ customer: hi }]\n');
      writeFileSync(join(dir, 'c.yaml'), 'name: broken\nsteps: [{ customer: hi\n');
      writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
      let error: ScenarioFileError | undefined;
      try {
        loadScenarios([dir]);
      } catch (e) {
        error = e as ScenarioFileError;
      }
      expect(error).to.be.instanceOf(ScenarioFileError);
      expect(error!.problems.slice(0, -1)).to.satisfy((lines: string[]) => lines.length > 0 && lines.every((l) => /^c\.yaml: YAML syntax: /.test(l)));
      expect(error!.problems.at(-1)).to.equal("2 scenarios are named 'same': names must be unique (they name the results)");
      expect(() => loadScenarios([join(dir, 'missing.yaml')])).to.throw(ScenarioFileError, 'missing.yaml: file not found');
      expect(() => loadScenarios([join(dir, 'notes.txt', '..', 'empty')])).to.throw(ScenarioFileError);
    });
  });

  describe('simulated customers', () => {
    it('a persona comes with a goal, and then the steps are expectations only', () => {
      const parsed = parseScenario({ name: 'p', persona: 'A customer in Vienna', goal: 'Learn the delivery time', steps: [{ expect: { action: 'reply' } }] }, 'p.yaml');
      expect(parsed.ok && parsed.scenario.simulatedCustomer).to.deep.equal({ persona: 'A customer in Vienna', goal: 'Learn the delivery time', maxTurns: 6 });
      expect(problemsOf({ name: 'p', persona: 'x', steps: [{ customer: 'hi' }, { expect: { silent: true } }] })).to.deep.equal([
        'goal: required with a persona',
        'step 1: with a persona the simulated customer acts; give expect steps only',
      ]);
      expect(problemsOf({ name: 'p', goal: 'x', maxTurns: 31, steps: [{ expect: { silent: true } }] })).to.deep.equal(['maxTurns: must be <= 30']);
    });

    it("takes its endpoint from SIMULATOR_*, each defaulting to the openai provider's, and names what is missing or wrong", () => {
      expect(simulatorConfigFrom({})).to.equal(undefined);
      expect(simulatorConfigFrom({ OPENAI_BASE_URL: 'http://ai.local/v1' })).to.equal(undefined); // the faq provider: no default
      const openai = { AI_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://ai.local/v1', OPENAI_API_KEY: 'k', OPENAI_MODEL: 'gpt' };
      expect(simulatorConfigFrom(openai)).to.deep.equal({ baseUrl: 'http://ai.local/v1', apiKey: 'k', model: 'gpt' });
      expect(simulatorConfigFrom({ ...openai, SIMULATOR_MODEL: 'small' })).to.deep.equal({ baseUrl: 'http://ai.local/v1', apiKey: 'k', model: 'small' });
      const problemsOfEnv = (env: Record<string, string>) => {
        try {
          simulatorConfigFrom(env);
        } catch (error) {
          return (error as ConfigError).problems;
        }
        return [];
      };
      expect(problemsOfEnv({ SIMULATOR_BASE_URL: 'http://sim.local/v1' })).to.deep.equal([
        'SIMULATOR_API_KEY is required for simulated customers (or AI_PROVIDER=openai with OPENAI_* to default to)',
        'SIMULATOR_MODEL is required for simulated customers (or AI_PROVIDER=openai with OPENAI_* to default to)',
      ]);
      expect(problemsOfEnv({ SIMULATOR_BASE_URL: 'ftp://sim', SIMULATOR_API_KEY: 'k', SIMULATOR_MODEL: 'm' })).to.deep.equal([
        'SIMULATOR_BASE_URL must be an http(s) URL such as https://api.openai.com/v1',
      ]);
    });
  });

  describe('expectations', () => {
    it('finds mentions ignoring case, accents and spacing, and reports each missing or unwanted one', () => {
      expect(mentionProblems('Delivery takes 2–4  Working Days', ['working days', 'delivery'])).to.deep.equal([]);
      expect(mentionProblems('Die Lieferung dauert 3 Werktage', ['werktage', 'Österreich'], ['lieferung'])).to.deep.equal(['does not mention "Österreich"', 'mentions "lieferung"']);
      expect(mentionProblems('Café', ['cafe'])).to.deep.equal([]);
    });

    it('holds a decision to its action, its outcome and its rule', () => {
      expect(decisionProblem({ action: 'reply' }, decision({}))).to.equal(undefined);
      expect(decisionProblem({ action: 'reply' }, decision({ outcome: 'dropped', rule: 'lost_ownership_race', reason: 'a rep wrote' }))).to.equal(
        'expected the AI to reply, but it decided: reply (rule lost_ownership_race, dropped): a rep wrote',
      );
      const escalation = decision({ action: 'escalate', rule: 'topic_policy', outcome: 'escalated', topic: 'billing', confidence: 0.9, reason: 'billing goes to people' });
      expect(decisionProblem({ action: 'escalate' }, escalation)).to.equal(undefined);
      expect(decisionProblem({ action: 'escalate', rule: 'topic_policy' }, escalation)).to.equal(undefined);
      expect(decisionProblem({ action: 'escalate', rule: 'sentiment' }, escalation)).to.equal(
        'expected an escalation by rule sentiment, but it was by escalate (rule topic_policy, escalated, confidence 0.9, topic billing): billing goes to people',
      );
      expect(decisionProblem({ action: 'resolve' }, escalation)).to.match(/^expected the AI to resolve, but it decided: escalate/);
      expect(resolutionProblem('assumed', 'confirmed')).to.equal('expected a assumed resolution, but it was confirmed');
      expect(resolutionProblem(undefined, 'confirmed')).to.equal(undefined);
    });
  });

  describe('the report', () => {
    const scenario = (name: string): Scenario => ({ file: `/x/${name}.yaml`, name, timeoutSeconds: 30, quietSeconds: 4, steps: [{ customer: 'hi' }] });
    const results: ScenarioResult[] = [
      { scenario: scenario('answers'), passed: true, durationMs: 2100, transcript: [], decisions: [] },
      {
        scenario: scenario('escalates <billing> & "more"'),
        passed: false,
        durationMs: 3500,
        failure: { step: 2, message: 'expect escalate: expected the AI to escalate, but it decided: reply (rule ai_decision, posted)' },
        workflowId: 'freshchat-conversation-c1',
        transcript: [
          { at: '2026-12-01T10:00:01.000Z', who: 'customer', text: 'I was charged <twice>' },
          { at: '2026-12-01T10:00:03.000Z', who: 'AI', text: 'Here is how refunds work.' },
        ],
        decisions: [decision({ turn: 1 })],
      },
    ];

    it('prints a table with every scenario, the failures counted, and each failure with its transcript and decisions', () => {
      const table = resultsTable(results);
      expect(table).to.match(/^result +scenario +file +time +failed at$/m);
      expect(table).to.match(/^pass +answers +answers\.yaml +2\.1 s$/m);
      expect(table).to.match(/^FAIL +escalates <billing> & "more" +.+ +3\.5 s +step 2$/m);
      expect(table).to.include('1 of 2 scenarios passed');
      const details = failureDetails(results[1]!, 'http://localhost:8233', 'default');
      expect(details).to.include('step 2: expect escalate: expected the AI to escalate');
      expect(details).to.include('trace: http://localhost:8233/namespaces/default/workflows/freshchat-conversation-c1');
      expect(details).to.include('10:00:01 customer: I was charged <twice>');
      expect(details).to.include('10:00:03 AI: Here is how refunds work.');
      expect(details).to.include('session 1 turn 1: reply (rule ai_decision, posted): Answered from knowledge article faq:shipping-times; sources faq:shipping-times');
    });

    it('writes JUnit XML that parses back to one test case per scenario, the failure with its details', () => {
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junitXml(results)) as {
        testsuites: { tests: string; failures: string; testsuite: { testcase: Array<{ name: string; classname: string; time: string; failure?: { message: string; '#text': string } }> } };
      };
      expect(parsed.testsuites).to.include({ tests: '2', failures: '1' });
      const [passed, failed] = parsed.testsuites.testsuite.testcase;
      expect(passed).to.deep.include({ name: 'answers', classname: 'answers.yaml', time: '2.100' });
      expect(passed!.failure).to.equal(undefined);
      expect(failed!.name).to.equal('escalates <billing> & "more"');
      expect(failed!.failure!.message).to.equal('step 2: expect escalate: expected the AI to escalate, but it decided: reply (rule ai_decision, posted)');
      expect(failed!.failure!['#text']).to.include('customer: I was charged <twice>');
    });
  });
});
