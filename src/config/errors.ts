/**
 * Configuration errors that name the file, the place in it, the field and the problem,
 * so an admin can fix a broken file without reading our source.
 */
import type { z } from 'zod';
import type { Locate, SourcePosition } from './read-yaml';
import { alternatives, closestNames, knownKeysAt } from './suggest';
import type { ConfigProblem } from '../model/loaded-provider';

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `file:line:column: field: message`, the form editors and CI logs link to. */
export function formatProblem(problem: ConfigProblem): string {
  const where = formatPlace(problem);
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** `file`, `file:line` or `file:line:column` */
export function formatPlace(place: Pick<ConfigProblem, 'file' | 'line' | 'column'>): string {
  if (place.line === undefined) return place.file;
  return place.column === undefined ? `${place.file}:${place.line}` : `${place.file}:${place.line}:${place.column}`;
}

/** The line and column of a problem, for spreading into a ConfigProblem. */
export function at(position: SourcePosition | undefined): { line?: number; column?: number } {
  return position ? { line: position.line, column: position.column } : {};
}

/** `['incoming', 0, 'port']` → `incoming[0].port` */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** What problemsFromZod needs besides the issues: the input, its schema and its file. */
export interface ZodProblemSource {
  /** The file every problem is reported against, or one per top-level field (settings come from the environment too). */
  readonly file: string | ((path: readonly PropertyKey[]) => { file: string; locate?: Locate });
  /** Where a field is in the file, when the reader knows. */
  readonly locate?: Locate;
  /** What was validated: tells a missing field from a wrong one, and names the fields an unknown one may be meant as. */
  readonly input: unknown;
  readonly schema: z.core.$ZodType;
  /** What an unknown key is called and where the known ones are documented, e.g. `field` and `"Provider files" in docs/configuration.md`. */
  readonly keyWord: string;
  readonly reference: string;
}

// Messages name a value the file gave; a long one is cut so that errors never carry a file's content.
const MAX_QUOTED = 40;
const MAX_MESSAGE = 400;

export function problemsFromZod(error: z.ZodError, source: ZodProblemSource): ConfigProblem[] {
  const place = (path: readonly PropertyKey[]) => {
    const origin = typeof source.file === 'string' ? { file: source.file, locate: source.locate } : source.file(path);
    return { file: origin.file, ...at(origin.locate?.(path)) };
  };
  const problems: ConfigProblem[] = [];
  // `hostnme` suggested as `hostname` already explains why hostname is missing: one problem, not two.
  const explained = new Set<string>();
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    // Reported once per key, with the key in the path, so the admin sees exactly which line to correct.
    const known = knownKeysAt(source.schema, issue.path, source.input);
    for (const key of issue.keys) {
      const path = [...issue.path, key];
      const suggestion = closestNames(key, known);
      for (const name of suggestion) explained.add(formatFieldPath([...issue.path, name]));
      const hint = suggestion.length > 0 ? `did you mean ${alternatives(suggestion)}?` : known.length > 0 ? `known ${source.keyWord}s here: ${known.join(', ')}` : '';
      problems.push({ ...place(path), field: formatFieldPath(path), message: shortened(`unknown ${source.keyWord}; ${hint} (see ${source.reference})`) });
    }
  }
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') continue;
    const field = formatFieldPath(issue.path);
    const message = describeIssue(issue, source.input);
    if (message.startsWith('required') && explained.has(field)) continue;
    problems.push({ ...place(issue.path), field, message: shortened(message) });
  }
  // In file order, the order an admin fixes them in.
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const allowed = 'values' in issue ? issue.values : 'options' in issue ? (issue.options as readonly unknown[]) : undefined;
  if (issue.code !== 'custom' && issue.path.length > 0 && isMissing(input, issue.path)) {
    return allowed && allowed.length > 0 ? `required: one of ${allowed.map(String).join(', ')}` : 'required';
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return input === undefined || input === null ? 'the file is empty' : 'must be a mapping of fields (name: value), not a single value or a list';
  }
  const given = valueAt(input, issue.path);
  if (allowed && typeof given === 'string' && !issue.message.includes('did you mean')) {
    const suggestion = closestNames(given, allowed.map(String));
    if (suggestion.length > 0) return `${issue.message}; did you mean ${alternatives(suggestion)}?`;
  }
  return issue.message;
}

/** A field the file does not have at all, in an entry that it does have. */
function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  const parent = valueAt(input, path.slice(0, -1));
  return typeof parent === 'object' && parent !== null && !Array.isArray(parent) && !Object.hasOwn(parent, path[path.length - 1]!);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function shortened(message: string): string {
  const cut = message.replace(new RegExp(`"((?:[^"\\\\]|\\\\.){${MAX_QUOTED}})(?:[^"\\\\]|\\\\.)+"`, 'g'), '"$1…"');
  return cut.length > MAX_MESSAGE ? `${cut.slice(0, MAX_MESSAGE)}…` : cut;
}
