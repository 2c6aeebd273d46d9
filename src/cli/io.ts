/**
 * What every admin command shares: where it writes, how it reads its arguments (node's
 * parseArgs, with `--config DIR` and `--help` everywhere), and its exit codes. Commands
 * take a CliIo instead of touching process.stdout, so tests run them in-process.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/errors';
import { loadConfiguration } from '../config/load';
import { configDirFrom } from '../main';
import type { Registry } from '../registry';

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
  /** The command ran and found a problem: invalid configuration, a failed probe. */
  failure: 1,
  /** The command line itself was wrong. */
  usage: 2,
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface CommandArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** The config directory: `--config DIR`, else MAIL_AUTOCONFIG_CONFIG, else ./config. */
  readonly configDir: string;
}

/**
 * Parses a command's arguments (its own options plus `--config` and `--help`). Returns
 * the exit code instead when the command should not run: usage printed for `--help` (0)
 * or after a mistake (2).
 */
export function parseCommandArgs(args: readonly string[], options: Options, usage: string, io: CliIo): CommandArgs | number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...options, ...COMMON_OPTIONS }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError((error as Error).message, usage, io);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    io.stdout(usage);
    return EXIT.ok;
  }
  return { values, positionals: parsed.positionals, configDir: configDirFrom(args, io.env) };
}

/** Reports a wrong command line with the usage, and returns the usage exit code. */
export function usageError(message: string, usage: string, io: CliIo): number {
  io.stderr(`mail-autoconfig: ${message}\n\n${usage}`);
  return EXIT.usage;
}

/** Loads settings and providers as the server would; reports an invalid configuration and returns the exit code instead. */
export async function loadConfigurationFor(configDir: string, io: CliIo): Promise<Registry | number> {
  try {
    return (await loadConfiguration(configDir, io.env)).registry;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`invalid configuration in ${configDir}:\n${error.message}\n`);
    return EXIT.failure;
  }
}

/** The provider hosting `domain`, or the exit code after saying why there is none. */
export async function findHostedDomain(configDir: string, domain: string, io: CliIo): Promise<NonNullable<ReturnType<Registry['find']>> | number> {
  const registry = await loadConfigurationFor(configDir, io);
  if (typeof registry === 'number') return registry;
  const found = registry.find(domain);
  if (found) return found;
  io.stderr(`mail-autoconfig: ${domain} is not hosted by the configuration in ${configDir}\n`);
  return EXIT.failure;
}
