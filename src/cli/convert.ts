/**
 * `mail-autoconfig import FILE.xml` and `export FILE`: move a provider definition between
 * a Mozilla ISPDB (config-v1.1) file and our YAML provider format, so admins who have an
 * ISPDB file can adopt it, and can hand our definitions to anyone who reads config-v1.1.
 */
import { readFile } from 'node:fs/promises';
import { formatProblem } from '../config/errors';
import type { ConfigProblem, LoadedProvider } from '../model/loaded-provider';
import { readIspdbProvider } from '../config/ispdb-reader';
import { parseProviderFile } from '../config/load-providers';
import { renderMozillaAutoconfig } from '../formats/mozilla/autoconfig';
import { renderProviderYaml } from '../formats/admin/provider-yaml';
import type { ProviderDefinition } from '../model/provider';
import { EXIT, parseCommandArgs, usageError, type CliIo } from './io';

export const IMPORT_USAGE = `usage: mail-autoconfig import FILE.xml

Prints the YAML provider file equivalent to a Mozilla ISPDB (config-v1.1) file. Warnings
(unknown elements, deprecated spellings) go to stderr; a broken file is reported with its
line and exits 1.

  -h, --help     show this help
`;

export const EXPORT_USAGE = `usage: mail-autoconfig export FILE

Prints the config-v1.1 XML (Mozilla autoconfig) of a provider file (YAML, JSON or XML).

  -h, --help     show this help
`;

export const importCommand = (args: readonly string[], io: CliIo) =>
  convert(args, io, IMPORT_USAGE, readIspdbProvider, (definition, file) => renderProviderYaml(definition, `Imported by mail-autoconfig from ${file}`));

export const exportCommand = (args: readonly string[], io: CliIo) =>
  convert(args, io, EXPORT_USAGE, parseProviderFile, (definition) => renderMozillaAutoconfig(definition));

/** Reads one provider file and prints it in the other format: 1 for a broken file, 2 for a usage error. */
async function convert(
  args: readonly string[],
  io: CliIo,
  usage: string,
  read: (file: string, text: string) => LoadedProvider | { problems: ConfigProblem[] },
  render: (definition: ProviderDefinition, file: string) => string,
): Promise<number> {
  const parsed = parseCommandArgs(args, { usage, positionals: true }, io);
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) return usageError('expects exactly one FILE', usage, io);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return usageError(`cannot read ${file}: ${(error as Error).message}`, usage, io);
  }
  const result = read(file, text);
  if ('problems' in result) {
    io.stderr(`${result.problems.map(formatProblem).join('\n')}\n`);
    return EXIT.failure;
  }
  for (const warning of result.warnings ?? []) io.stderr(`warning: ${formatProblem(warning)}\n`);
  io.stdout(render(result.definition, file));
  return EXIT.ok;
}
