#!/usr/bin/env node
/**
 * `mail-autoconfig <command>`: `serve` (the default) runs the server; `check` validates a
 * config directory and prints a summary, exiting 1 on errors; `import` and `export` turn
 * a Mozilla ISPDB file into a YAML provider file and back.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, formatProblem, type ConfigProblem } from '../config/errors';
import { readIspdbProvider } from '../config/ispdb-reader';
import { loadProviders, parseProviderFile, type LoadedProvider } from '../config/load-providers';
import { renderMozillaAutoconfig } from '../formats/mozilla';
import { renderProviderYaml } from '../formats/provider-yaml';
import { configDirFrom, serve } from '../main';
import type { ProviderDefinition } from '../model/provider';
import { Registry } from '../registry';

const USAGE = `usage: mail-autoconfig [serve|check] [--config DIR]
       mail-autoconfig import FILE.xml
       mail-autoconfig export FILE.yaml
  serve   run the server (default); PORT, HOST and MAIL_AUTOCONFIG_CONFIG apply
  check   validate the configuration and print what it hosts
  import  print the YAML provider file equivalent to a Mozilla ISPDB (config-v1.1) file
  export  print the config-v1.1 XML of a provider file (YAML, JSON or XML)
`;

async function check(args: readonly string[]): Promise<number> {
  const configDir = configDirFrom(args, process.env);
  try {
    const providers = await loadProviders(configDir);
    const registry = new Registry(providers);
    for (const provider of providers) {
      process.stdout.write(`${provider.file}: ${provider.definition.id} (${provider.definition.domains.join(', ')})\n`);
      writeWarnings(provider.warnings);
    }
    process.stdout.write(`ok: ${registry.providers.length} providers, ${registry.domainCount} domains\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

function writeWarnings(warnings: readonly ConfigProblem[] | undefined): void {
  for (const warning of warnings ?? []) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
}

/** Reads the one FILE argument of import/export; undefined (after printing why) when it cannot. */
async function readFileArgument(command: string, args: readonly string[]): Promise<{ file: string; text: string } | undefined> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    process.stderr.write(`mail-autoconfig ${command}: expects exactly one FILE\n${USAGE}`);
    return undefined;
  }
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch (error) {
    process.stderr.write(`mail-autoconfig ${command}: cannot read ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** import/export: read one provider file, print it in the other format; 1 for a broken file, 2 for a usage error. */
async function convert(
  command: 'import' | 'export',
  args: readonly string[],
  read: (file: string, text: string) => LoadedProvider | { problems: ConfigProblem[] },
  render: (definition: ProviderDefinition, file: string) => string,
): Promise<number> {
  if (args.includes('--help')) return usage();
  const input = await readFileArgument(command, args);
  if (!input) return 2;
  const result = read(input.file, input.text);
  if ('problems' in result) {
    process.stderr.write(`${result.problems.map(formatProblem).join('\n')}\n`);
    return 1;
  }
  writeWarnings(result.warnings);
  process.stdout.write(render(result.definition, input.file));
  return 0;
}

function usage(): number {
  process.stdout.write(USAGE);
  return 0;
}

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv[0]?.startsWith('-') ? ['serve', ...argv] : argv;
  switch (command) {
    case 'serve':
      return serve(rest, process.env);
    case 'check':
      process.exitCode = await check(rest);
      return;
    case 'import':
      process.exitCode = await convert('import', rest, readIspdbProvider, (definition, file) =>
        renderProviderYaml(definition, `Imported by mail-autoconfig from ${file}`),
      );
      return;
    case 'export':
      process.exitCode = await convert('export', rest, parseProviderFile, (definition) => renderMozillaAutoconfig(definition));
      return;
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`mail-autoconfig: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`mail-autoconfig: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
