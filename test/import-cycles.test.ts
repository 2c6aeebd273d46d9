/**
 * No module of src/ may import itself back through others: a cycle makes load order
 * decide which imports are still undefined. Type imports count too: a
 * type cycle still ties modules together. Cycles that predate this test are listed below, to be removed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './support/app';

const SRC = path.join(REPO_ROOT, 'src');

/** Known cycles, each as its modules sorted: remove an entry when its cycle is broken. */
const KNOWN_CYCLES: readonly string[] = [
  // The ISPDB reader names the loader's provider type; the loader calls the reader.
  'config/ispdb-reader.ts, config/load-providers.ts',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

// `import x from './y'`, `import type { a } from '../b'`, `export { c } from './d'`, `import './e'`.
const RELATIVE_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const [, specifier] of text.matchAll(RELATIVE_IMPORT)) {
      const resolved = path.resolve(path.dirname(file), specifier!);
      const candidates = [`${resolved}.ts`, path.join(resolved, 'index.ts')];
      const target = candidates.find((candidate) => graph.has(candidate) || sourceFiles(path.dirname(candidate)).includes(candidate));
      if (target) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components with more than one module (or a module importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowLinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    lowLinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        lowLinks.set(node, Math.min(lowLinks.get(node)!, lowLinks.get(next)!));
      } else if (onStack.has(next)) {
        lowLinks.set(node, Math.min(lowLinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowLinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

test('the import graph of src/ has no cycles but the known ones', () => {
  const graph = importGraph();
  // The walk must see the imports, or the test would pass on nothing.
  expect(graph.get(path.join(SRC, 'http', 'app.ts'))).toContain(path.join(SRC, 'http', 'dispatcher.ts'));
  const found = cycles(graph).map((component) =>
    component
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
      .sort()
      .join(', '),
  );
  expect(found.sort()).toEqual([...KNOWN_CYCLES].sort());
});

test('the cycle finder finds a cycle', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  expect(cycles(graph).map((component) => component.sort())).toEqual([['a', 'b', 'c']]);
});
