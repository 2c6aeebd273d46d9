/**
 * Paths are spelled once, in the route table: a renderer or handler that needs one is
 * handed it, so moving an endpoint is one edit (docs/development.md). This scans the code
 * of src/ (comments aside) for the table's paths.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../src/http/routes';
import { REPO_ROOT } from './support/app';

const SRC = path.join(REPO_ROOT, 'src');
const TABLE = path.join(SRC, 'http', 'routes.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The fixed part of each string path in the table (up to its first `:name` segment); `/` alone says nothing. */
function tablePaths(): string[] {
  const paths = ROUTES.flatMap((route) => route.paths).filter((candidate): candidate is string => typeof candidate === 'string');
  return [...new Set(paths.map((full) => full.split('/:')[0]!))].filter((fixed) => fixed.length > 1);
}

/** The code of a module without its comments and import lines (`from './metrics'` names a module, not a path). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"][^'"]+['"];?$/gm, '');
}

/** Where `text` spells one of `paths`, in any letter case, as `path` or as `path` inside a longer string. */
function pathsSpelled(text: string, paths: readonly string[]): string[] {
  const lowered = code(text).toLowerCase();
  return paths.filter((spelled) => {
    const pattern = new RegExp(`(?<![\\w.])${spelled.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
    return pattern.test(lowered);
  });
}

test('the route table is the only module of src/ that spells a path', () => {
  const paths = tablePaths();
  // The table's own paths must be found in the table, or the scan would pass on nothing.
  expect(paths).toEqual(expect.arrayContaining(['/mail/config-v1.1.xml', '/autodiscover/autodiscover.xml', '/healthz', '/mobileconfig', '/setup']));
  expect(pathsSpelled(readFileSync(TABLE, 'utf8'), paths).sort()).toEqual([...paths].sort());
  const elsewhere = sourceFiles(SRC)
    .filter((file) => file !== TABLE)
    .flatMap((file) => pathsSpelled(readFileSync(file, 'utf8'), paths).map((spelled) => `${path.relative(SRC, file)}: ${spelled}`));
  expect(elsewhere).toEqual([]);
});

test('the scan finds a path in a string, in any case, and not in comments, imports or longer names', () => {
  const paths = ['/autodiscover/autodiscover.xml', '/metrics', '/setup'];
  expect(pathsSpelled("const url = `https://${host}/Autodiscover/Autodiscover.xml`;", paths)).toEqual(['/autodiscover/autodiscover.xml']);
  expect(pathsSpelled("redirect(301, '/setup?email=' + value);", paths)).toEqual(['/setup']);
  expect(pathsSpelled("/** Serves /metrics. */\n// and /setup\nimport { Metrics } from './metrics';\nconst assets = '../formats/setup-page/assets';", paths)).toEqual([]);
});
