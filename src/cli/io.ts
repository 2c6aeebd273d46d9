/**
 * What every command shares: where it writes, how it reads its arguments (node's
 * parseArgs in strict mode, with `--config DIR` and `--help` everywhere), and its exit
 * codes. Commands take a CliIo instead of touching process.stdout, so tests run them
 * in-process.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/errors';
import { loadConfiguration } from '../config/load';
import { DEFAULT_CONFIG_DIR } from '../config/settings';
import type { ProviderDirectory } from '../model/provider-directory';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

export const EXIT = {
  ok: 0,
  /** The command ran and found a problem: invalid configuration, a failed probe, a port in use. */
  failure: 1,
  /** The command line itself was wrong. */
  usage: 2,
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** How a command reads its command line. */
export interface CommandSyntax {
  readonly usage: string;
  /** The command's own options; `--config` and `--help` are added. */
  readonly options?: Options;
  /** Whether it takes positional arguments (a domain, a file); the command checks how many. */
  readonly positionals?: boolean;
}

export interface CommandArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** The config directory: `--config DIR`, else MAIL_AUTOCONFIG_CONFIG, else ./config. */
  readonly configDir: string;
}

/**
 * Parses a command's arguments, refusing any option it does not know, so a typo such as
 * `--confg` is an error instead of being ignored. Returns the exit code instead when the
 * command should not run: usage printed for `--help` (0) or after a mistake (2).
 */
export function parseCommandArgs(args: readonly string[], syntax: CommandSyntax, io: CliIo): CommandArgs | number {
  const options = { ...syntax.options, ...COMMON_OPTIONS };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: syntax.positionals ?? false, strict: true });
  } catch (error) {
    return usageError(describeParseError(error as NodeJS.ErrnoException, Object.keys(options)), syntax.usage, io);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    io.stdout(syntax.usage);
    return EXIT.ok;
  }
  if (values.config === '') return usageError('--config needs a directory', syntax.usage, io);
  const configDir = typeof values.config === 'string' ? values.config : io.env.MAIL_AUTOCONFIG_CONFIG || DEFAULT_CONFIG_DIR;
  return { values, positionals: parsed.positionals, configDir };
}

/** One line for parseArgs' error: node's wording is several lines and suggests `--` for a misspelt option. */
function describeParseError(error: NodeJS.ErrnoException, optionNames: readonly string[]): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const guess = closestOption(quoted, optionNames);
    return `unknown option ${quoted}${guess === undefined ? '' : ` (did you mean --${guess}?)`}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${JSON.stringify(quoted)}`;
  return error.message.split('\n')[0] ?? String(error);
}

/** The option a typo most likely meant: one edit per three letters of the option away, two at most. */
function closestOption(typed: string, optionNames: readonly string[]): string | undefined {
  const name = typed.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { name: string; distance: number } | undefined;
  for (const candidate of optionNames) {
    const distance = editDistance(name, candidate);
    const allowed = Math.min(2, Math.floor(candidate.length / 3));
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Reports a wrong command line with the usage, and returns the usage exit code. */
export function usageError(message: string, usage: string, io: CliIo): number {
  io.stderr(`mail-autoconfig: ${message}\n\n${usage}`);
  return EXIT.usage;
}

/** Loads settings and providers as the server does; reports an invalid configuration and returns the exit code instead. */
export async function loadConfigurationFor(configDir: string, io: CliIo): Promise<Awaited<ReturnType<typeof loadConfiguration>> | number> {
  try {
    return await loadConfiguration(configDir, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`invalid configuration in ${configDir}:\n${error.message}\n`);
    return EXIT.failure;
  }
}

/** The provider hosting `domain` in the files of `configDir`, or the exit code after saying why there is none. */
export async function loadProviderHosting(configDir: string, domain: string, io: CliIo): Promise<NonNullable<ReturnType<ProviderDirectory['find']>> | number> {
  const configuration = await loadConfigurationFor(configDir, io);
  if (typeof configuration === 'number') return configuration;
  const found = configuration.providerDirectory.find(domain);
  if (found) return found;
  io.stderr(`mail-autoconfig: ${domain} is not hosted by the configuration in ${configDir}\n`);
  return EXIT.failure;
}
