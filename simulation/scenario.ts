/**
 * Scenario files (`npm run simulate`): one YAML file per scripted conversation, validated with
 * zod. A wrong file is refused before anything runs, with every problem named by its step and
 * field ("step 3 (expect): action: must be one of reply, escalate, resolve").
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readYamlFile } from '../settings/yaml-file.js';
import { formatIssuePath, settingsIssueMessage } from '../settings/schema.js';
import { ruleNames } from '../workflow-safe/handoff-rules.js';
import type { SessionState } from '../workflows/messages.js';

const sessionStates = ['waiting', 'ai_active', 'escalated', 'human', 'resolved'] as const satisfies readonly SessionState[];
const text = z.string().trim().min(1, 'must not be empty');
const words = z.array(text).min(1);
/** Checked against what the AI said to the customer since the previous expectation (a handoff's notice, a nudge and the closing words). */
const said = { mentions: words.optional(), notMentions: words.optional() };

const ReplyExpectation = z.strictObject({ action: z.literal('reply'), ...said });
const EscalateExpectation = z.strictObject({ action: z.literal('escalate'), rule: z.enum(ruleNames).optional(), ...said });
const ResolveExpectation = z.strictObject({ action: z.literal('resolve'), resolution: z.enum(['confirmed', 'assumed']).optional(), ...said });
const ActionExpectation = z.discriminatedUnion('action', [ReplyExpectation, EscalateExpectation, ResolveExpectation], {
  error: 'must be one of reply, escalate, resolve',
});

/** Expectations without an action: one key each. */
const otherExpectations = {
  silent: z.literal(true),
  note: z.strictObject({ mentions: words }),
  state: z.enum(sessionStates),
};

const repActions = {
  says: text,
  /** me: the scenario's rep takes the conversation; ai: the rep hands it back to the AI agent. */
  assigns: z.enum(['me', 'ai']),
  unassigns: z.literal(true),
  resolves: z.literal(true),
};

const stepKinds = {
  customer: text,
  rep: null, // one of repActions, checked below
  reopen: z.literal(true),
  /** Seconds. */
  wait: z.number().positive().max(3600),
  expect: null, // an ActionExpectation or one of otherExpectations, checked below
} as const;

type OneOf<T extends Record<string, z.ZodType>> = { [K in keyof T]: { [P in K]: z.output<T[K]> } }[keyof T];
export type Expectation = z.output<typeof ActionExpectation> | OneOf<typeof otherExpectations>;
export type RepAction = OneOf<typeof repActions>;
export type ScenarioStep =
  | { customer: string }
  | { rep: RepAction }
  | { reopen: true }
  | { wait: number }
  | { expect: Expectation };

const ScenarioHeader = z.strictObject({
  name: text,
  description: z.string().optional(),
  /** Overrides of the settings file, merged into it (knowledge is synced once per run and cannot change here). */
  settings: z.record(z.string(), z.unknown()).optional(),
  mode: z.enum(['auto', 'assigned-only']).optional(),
  /** How long each expectation waits for the AI's next outcome. */
  timeoutSeconds: z.number().positive().max(3600).default(30),
  /** How long `silent` watches for a customer-facing post. */
  quietSeconds: z.number().positive().max(600).default(4),
  /** A simulated customer instead of scripted customer turns (simulated-customer.ts): who it is, what it wants, for how many messages. */
  persona: text.optional(),
  goal: text.optional(),
  maxTurns: z.int().min(1).max(30).default(6),
  steps: z.array(z.unknown()).min(1, 'a scenario needs at least one step'),
});

export interface Scenario {
  /** The file it came from. */
  file: string;
  name: string;
  description?: string;
  settings?: Record<string, unknown>;
  mode?: 'auto' | 'assigned-only';
  timeoutSeconds: number;
  quietSeconds: number;
  /** Present: a model plays the customer, and `steps` are expectations checked after it is done. */
  simulatedCustomer?: { persona: string; goal: string; maxTurns: number };
  steps: ScenarioStep[];
}

export class ScenarioFileError extends Error {
  override name = 'ScenarioFileError';
  constructor(readonly problems: string[]) {
    super(`invalid scenario files:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Settings sections a scenario may not override: knowledge is synced once for the whole run. */
const runWideSettings = ['knowledgeBase', 'knowledge'];

/** The problems of a scenario's settings overrides merged into the settings file, by path ("handoff.minConfidence: must be <= 1"). */
export type SettingsCheck = (overrides: Record<string, unknown>) => string[];

/** Parses one scenario; problems are prefixed with where they are ("step 2 (expect): ..."). */
export function parseScenario(data: unknown, file: string, checkSettings?: SettingsCheck): { ok: true; scenario: Scenario } | { ok: false; problems: string[] } {
  const header = ScenarioHeader.safeParse(data, { error: settingsIssueMessage });
  if (!header.success) return { ok: false, problems: header.error.issues.map((issue) => located(formatIssuePath(issue.path), issue.message)) };
  const problems: string[] = [];
  for (const key of Object.keys(header.data.settings ?? {})) {
    if (runWideSettings.includes(key)) problems.push(`settings.${key}: knowledge is synced once for the whole run and cannot be changed by a scenario`);
  }
  if (header.data.settings && problems.length === 0 && checkSettings) problems.push(...checkSettings(header.data.settings).map((p) => `settings.${p}`));
  const { persona, goal, maxTurns, steps: rawSteps, ...rest } = header.data;
  if ((persona === undefined) !== (goal === undefined)) problems.push(persona === undefined ? 'persona: required with a goal' : 'goal: required with a persona');
  const steps: ScenarioStep[] = [];
  rawSteps.forEach((raw, index) => {
    const parsed = parseStep(raw);
    if ('problems' in parsed) problems.push(...parsed.problems.map((p) => `step ${index + 1}${parsed.kind ? ` (${parsed.kind})` : ''}: ${p}`));
    else if (persona !== undefined && !('expect' in parsed.step)) problems.push(`step ${index + 1}: with a persona the simulated customer acts; give expect steps only`);
    else steps.push(parsed.step);
  });
  if (problems.length > 0) return { ok: false, problems };
  const simulatedCustomer = persona !== undefined && goal !== undefined ? { persona, goal, maxTurns } : undefined;
  return { ok: true, scenario: { file, ...rest, ...(simulatedCustomer && { simulatedCustomer }), steps } };
}

type StepParse = { step: ScenarioStep } | { kind?: string; problems: string[] };

function parseStep(raw: unknown): StepParse {
  const one = singleKey(raw, Object.keys(stepKinds), 'a step');
  if ('problems' in one) return one;
  const { key: kind, value } = one;
  if (kind === 'rep') {
    const action = singleKey(value, Object.keys(repActions), 'rep');
    if ('problems' in action) return { kind, problems: action.problems };
    const checked = check(repActions[action.key as keyof typeof repActions], action.value, action.key);
    return 'problems' in checked ? { kind, problems: checked.problems } : { step: { rep: { [action.key]: checked.value } as RepAction } };
  }
  if (kind === 'expect') {
    if (isObject(value) && 'action' in value) {
      const checked = check(ActionExpectation, value);
      return 'problems' in checked ? { kind, problems: checked.problems } : { step: { expect: checked.value } };
    }
    const other = singleKey(value, ['action', ...Object.keys(otherExpectations)], 'expect');
    if ('problems' in other) return { kind, problems: other.problems };
    const checked = check(otherExpectations[other.key as keyof typeof otherExpectations], other.value, other.key);
    return 'problems' in checked ? { kind, problems: checked.problems } : { step: { expect: { [other.key]: checked.value } as Expectation } };
  }
  const checked = check(stepKinds[kind as 'customer' | 'reopen' | 'wait'], value);
  return 'problems' in checked ? { kind, problems: checked.problems } : { step: { [kind]: checked.value } as ScenarioStep };
}

/** An object with exactly one of `keys`. */
function singleKey(raw: unknown, keys: string[], what: string): { key: string; value: unknown } | { problems: string[] } {
  const expected = `must be one of ${keys.join(', ')}`;
  if (!isObject(raw)) return { problems: [`${what} ${expected} (got ${raw === null ? 'null' : typeof raw})`] };
  const present = Object.keys(raw);
  const unknown = present.filter((key) => !keys.includes(key));
  if (unknown.length > 0) return { problems: unknown.map((key) => `${key}: unknown; ${what} ${expected}`) };
  if (present.length !== 1) return { problems: [`${what} has ${present.length === 0 ? 'nothing' : present.join(' and ')}: give exactly one of ${keys.join(', ')}`] };
  return { key: present[0]!, value: raw[present[0]!] };
}

function check<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): { value: z.output<S> } | { problems: string[] } {
  const result = schema.safeParse(value, { error: settingsIssueMessage });
  if (result.success) return { value: result.data };
  return { problems: result.error.issues.map((issue) => located([prefix, formatIssuePath(issue.path)].filter(Boolean).join('.'), issue.message)) };
}

const located = (where: string, message: string) => (where ? `${where}: ${message}` : message);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `.yaml`/`.yml` files: the paths given, and those in the folders given (not recursive), by name. */
export function scenarioFilesIn(paths: string[]): string[] {
  return paths.flatMap((path) => {
    const absolute = resolve(path);
    let isFolder: boolean;
    try {
      isFolder = statSync(absolute).isDirectory();
    } catch {
      return [absolute]; // reported as missing by the loader
    }
    if (!isFolder) return [absolute];
    return readdirSync(absolute)
      .filter((name) => ['.yaml', '.yml'].includes(extname(name)))
      .sort()
      .map((name) => join(absolute, name));
  });
}

/** Every scenario of the files and folders given; throws ScenarioFileError naming every problem of every file. */
export function loadScenarios(paths: string[], checkSettings?: SettingsCheck): Scenario[] {
  const files = scenarioFilesIn(paths);
  if (files.length === 0) throw new ScenarioFileError([`no scenario files (.yaml) in ${paths.join(', ') || '(nothing given)'}`]);
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const read = readYamlFile(file, z.unknown());
    const parsed = read.ok ? parseScenario(read.value, file, checkSettings) : read;
    if (parsed.ok) scenarios.push(parsed.scenario);
    else problems.push(...parsed.problems.map((p) => `${basename(file)}: ${p}`));
  }
  const names = new Map<string, number>();
  for (const s of scenarios) names.set(s.name, (names.get(s.name) ?? 0) + 1);
  for (const [name, count] of names) if (count > 1) problems.push(`${count} scenarios are named '${name}': names must be unique (they name the results)`);
  if (problems.length > 0) throw new ScenarioFileError(problems);
  return scenarios;
}
