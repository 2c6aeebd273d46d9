/**
 * No module of src/ may import itself back through others: a cycle makes load order
 * decide which imports are still undefined. Type imports count too: a
 * type cycle still ties modules together. And imports run one way, from the edges
 * (cli, http) down to the model, so the layout states the architecture
 * (docs/development.md).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './support/app';

const SRC = path.join(REPO_ROOT, 'src');

/**
 * What each part of src/ may import besides itself: a folder, a client format's folder
 * under formats/, or a module at the top of src/ named without `.ts`. `formats` in a list
 * stands for every folder under it. Type imports count too.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  // The schema, the capability table and the types everything else shares.
  model: [],
  // Pure renderers from a definition to a document, one folder per client format; a
  // format uses what several share, never another client's format.
  'formats/common': ['model'],
  'formats/mozilla': ['model', 'formats/common'],
  'formats/outlook': ['model', 'formats/common'],
  'formats/apple': ['model', 'formats/common'],
  'formats/pacc': ['model', 'formats/common'],
  'formats/setup-page': ['model', 'formats/common'],
  // The admin's outputs: the DNS records carry the PACC document's digest.
  'formats/admin': ['model', 'formats/common', 'formats/pacc'],
  // Reading files into the model (the ISPDB reader parses with the Mozilla format's
  // field map), the provider directory built from what was read with the documents
  // rendered at load, and the database settings' schema.
  config: ['model', 'formats', 'domains'],
  // Hosted domains from PostgreSQL: looked up against the provider directory, read no files.
  domains: ['model'],
  probe: ['model'],
  // The route table, the dispatcher and the answer writer.
  http: ['model', 'formats', 'config', 'domains'],
  'log-destination': [],
  // What the standalone server and an embedding site both run: handler, reloads, database, limits.
  service: ['model', 'formats', 'config', 'domains', 'http', 'log-destination'],
  server: ['model', 'formats', 'config', 'domains', 'http', 'log-destination', 'service'],
  // The package's entry for embedders.
  index: ['model', 'formats', 'config', 'domains', 'http', 'server', 'service'],
  // The edge: commands may use everything, and nothing but commands imports them.
  cli: ['model', 'formats', 'config', 'domains', 'probe', 'http', 'log-destination', 'server', 'service'],
};

/** `model` for src/model/domain.ts, `formats/pacc` for src/formats/pacc/pacc.ts, `server` for src/server.ts. */
function partOf(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  if (rest.length === 0) return first!.replace(/\.ts$/, '');
  return first === 'formats' && rest.length > 1 ? `formats/${rest[0]}` : first!;
}

/** Whether `from` may import `to`: itself, or a part its line names (`formats` naming every format). */
function mayImport(from: string, to: string): boolean {
  return to === from || (MAY_IMPORT[from] ?? []).some((allowed) => to === allowed || to.startsWith(`${allowed}/`));
}

function relative(file: string): string {
  return path.relative(SRC, file).split(path.sep).join('/');
}

/** Each import that goes against MAY_IMPORT, as `from -> to`. */
function importsAgainstTheLayers(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([file, targets]) => {
    const from = partOf(file);
    return targets
      .filter((target) => !mayImport(from, partOf(target)))
      .map((target) => `${relative(file)} -> ${relative(target)}`);
  });
}

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

test('the import graph of src/ has no cycles', () => {
  const graph = importGraph();
  // The walk must see the imports, or the test would pass on nothing.
  expect(graph.get(path.join(SRC, 'http', 'app.ts'))).toContain(path.join(SRC, 'http', 'dispatcher.ts'));
  const found = cycles(graph).map((component) => component.map(relative).sort().join(', '));
  expect(found).toEqual([]);
});

test('imports run from the edges down to the model, never back', () => {
  const graph = importGraph();
  // Every part of src/ has its line in the table, so a new folder must say where it stands.
  expect([...new Set([...graph.keys()].map(partOf))].filter((part) => !(part in MAY_IMPORT))).toEqual([]);
  expect(importsAgainstTheLayers(graph)).toEqual([]);
});

test('the layer check finds an import that goes up', () => {
  const file = (name: string) => path.join(SRC, name);
  const graph = new Map([
    [file('formats/mozilla/autoconfig.ts'), [file('model/provider.ts'), file('config/settings.ts'), file('formats/common/xml.ts')]],
    [file('formats/apple/profile.ts'), [file('formats/outlook/pox.ts'), file('formats/apple/plist.ts')]],
    [file('http/app.ts'), [file('cli/serve.ts'), file('formats/mozilla/autoconfig.ts')]],
    [file('model/provider.ts'), []],
  ]);
  expect(importsAgainstTheLayers(graph)).toEqual([
    'formats/mozilla/autoconfig.ts -> config/settings.ts',
    'formats/apple/profile.ts -> formats/outlook/pox.ts',
    'http/app.ts -> cli/serve.ts',
  ]);
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
