/**
 * Configuration errors that name the file, the field and the problem, so an admin can
 * fix a broken file without reading our source.
 */
import type { z } from 'zod';

export interface ConfigProblem {
  readonly file: string;
  /** Dotted field path such as `incoming[0].port`; empty for file-level problems. */
  readonly field: string;
  readonly message: string;
  /** The line in the file, where the reader knows it (XML files). */
  readonly line?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** `['incoming', 0, 'port']` → `incoming[0].port` */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

export function problemsFromZod(file: string, error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    // Unknown keys are reported once per key, with the key in the path, so the admin sees
    // exactly which line to remove or correct.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        field: formatFieldPath([...issue.path, key]),
        message: 'unknown field (check the spelling; see the README for the provider format)',
      }));
    }
    return [{ file, field: formatFieldPath(issue.path), message: issue.message }];
  });
}
