/**
 * src/ uses only the public APIs of its libraries, and src/http never spreads an answer
 * (eslint.config.mjs): each snippet of what the code once did must be refused by the lint
 * rules. ESLint runs as `npm run lint` runs it, since its config is an ES module.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './support/app';

interface LintResult {
  readonly messages: readonly { readonly ruleId: string | null; readonly line: number; readonly message: string }[];
}

function restrictedSyntax(code: string, filePath: string): { line: number; message: string }[] {
  const bin = path.join(path.dirname(require.resolve('eslint/package.json')), 'bin', 'eslint.js');
  const run = spawnSync(process.execPath, [bin, '--stdin', '--stdin-filename', filePath, '--format', 'json'], { cwd: REPO_ROOT, input: code, encoding: 'utf8' });
  const [result] = JSON.parse(run.stdout) as LintResult[];
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-syntax').map(({ line, message }) => ({ line, message }));
}

const REFUSED: readonly (readonly [string, RegExp])[] = [
  ["export const a = (logger as any)[Symbol.for('pino.stream')];", /pino's symbols are private/],
  ['export const b = (logger as any)[pino.symbols.streamSym];', /pino's symbols are private/],
  ['export const c = app.router.stack;', /router internals/],
  ['export const d = layer.handle.length === 4;', /router internals/],
  ['export const e = new Layer();', /router internals/],
  ['export const f = { ...answer, status: 200 };', /literals/],
];

test('library internals and spread answers are refused in src/http, each on its line', () => {
  const code = `declare const logger: unknown, pino: any, app: any, layer: any, answer: object;\n${REFUSED.map(([line]) => line).join('\n')}\n`;
  const found = restrictedSyntax(code, 'src/http/example.ts');
  expect(found.map(({ line }) => line)).toEqual(REFUSED.map((_, index) => index + 2));
  found.forEach(({ message }, index) => expect(message).toMatch(REFUSED[index]![1]));
}, 60_000);

test('outside src/http a spread is fine, library internals are not', () => {
  const code = `declare const pino: any, answer: object;\nexport const a = { ...answer };\nexport const b = pino.symbols;\n`;
  expect(restrictedSyntax(code, 'src/cli/example.ts').map(({ line }) => line)).toEqual([3]);
}, 60_000);
