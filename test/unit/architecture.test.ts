import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { repoRoot } from '../helpers/system.js';

/**
 * The rules of the layout, enforced rather than remembered:
 * - the workflow bundle holds workflows/ and workflow-safe/ only (plus type-only imports of the
 *   activities' signatures): no I/O code, nothing that is not deterministic, reaches it;
 * - workflow-safe/ imports nothing outside itself but a few pure packages;
 * - no import circles anywhere in the product's source.
 */
interface Import {
  specifier: string;
  typeOnly: boolean;
}

const sourceFolders = ['activities', 'ai', 'api', 'benchmarks', 'codec', 'config', 'evaluation', 'freshchat', 'knowledge', 'lib', 'sandbox', 'scripts', 'settings', 'simulation', 'soak', 'store', 'tools', 'worker', 'workflow-safe', 'workflows'];

function sourceFiles(folder: string): string[] {
  const dir = join(repoRoot, folder);
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(repoRoot, path));
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      let typeOnly = false;
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else {
        typeOnly = node.isTypeOnly;
      }
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const resolveRelative = (file: string, specifier: string): string => resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
const folderOf = (path: string): string => relative(repoRoot, path).split('/')[0]!;

describe('layout rules (parsed from the source)', () => {
  it('workflows/ imports only workflows/, workflow-safe/, the Temporal workflow packages, and activity types', () => {
    const violations = sourceFiles('workflows').flatMap((file) => workflowImportViolations(file, importsOf(file)));
    expect(violations).to.deep.equal([]);
  });

  it('the rule can fail: I/O code or an activity implementation imported by a workflow file is reported', () => {
    const probe = join(repoRoot, 'workflows', 'probe.ts');
    const imports: Import[] = [
      { specifier: 'got', typeOnly: false },
      { specifier: '../lib/logger.js', typeOnly: false },
      { specifier: '../activities/freshchat-activities.js', typeOnly: false },
      { specifier: '../activities/freshchat-activities.js', typeOnly: true },
      { specifier: '../workflow-safe/text.js', typeOnly: false },
      { specifier: './messages.js', typeOnly: false },
    ];
    expect(workflowImportViolations(probe, imports)).to.deep.equal([
      'workflows/probe.ts imports got',
      'workflows/probe.ts imports ../lib/logger.js',
      'workflows/probe.ts imports ../activities/freshchat-activities.js',
    ]);
  });

  it('workflow-safe/ imports nothing outside itself but pure packages (no node:, no I/O)', () => {
    // Not zod or language detection either: every new or replayed workflow evaluates the bundle
    // again, and those weigh megabytes (their users live outside: settings/, ai/, lib/).
    const purePackages = ['@temporalio/common', 'luxon'];
    const violations: string[] = [];
    for (const file of sourceFiles('workflow-safe')) {
      for (const { specifier } of importsOf(file)) {
        const allowed = specifier.startsWith('.') ? folderOf(resolveRelative(file, specifier)) === 'workflow-safe' : purePackages.includes(specifier);
        if (!allowed) violations.push(`${relative(repoRoot, file)} imports ${specifier}`);
      }
    }
    expect(violations).to.deep.equal([]);
  });

  it('has no import circles in the product source', () => {
    const files = sourceFolders.flatMap(sourceFiles);
    const known = new Set(files);
    const graph = new Map(files.map((file) => [file, importsOf(file).filter((i) => i.specifier.startsWith('.')).map((i) => resolveRelative(file, i.specifier)).filter((t) => known.has(t))]));
    expect(findCircles(graph).map((circle) => circle.map((f) => relative(repoRoot, f)).join(' → '))).to.deep.equal([]);
  });

  it('the circle finder finds a circle', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCircles(graph).map((c) => [...c].sort())).to.deep.equal([['a', 'b', 'c']]);
  });
});

function workflowImportViolations(file: string, imports: Import[]): string[] {
  return imports.flatMap(({ specifier, typeOnly }) => {
    const where = `${relative(repoRoot, file)} imports ${specifier}${typeOnly ? ' (type only)' : ''}`;
    if (!specifier.startsWith('.')) return ['@temporalio/workflow', '@temporalio/common'].includes(specifier) ? [] : [where];
    const folder = folderOf(resolveRelative(file, specifier));
    if (folder === 'workflows' || folder === 'workflow-safe' || (folder === 'activities' && typeOnly)) return [];
    return [where];
  });
}

/** Strongly connected components of more than one file (Tarjan). */
function findCircles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return circles;
}
