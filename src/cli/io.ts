/**
 * What every admin command shares: where it writes, how it reads its arguments (node's
 * parseArgs, with `--config DIR` and `--help` everywhere), and its exit codes. Commands
 * take a CliIo instead of touching process.stdout, so tests run them in-process.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configDirFrom } from '../main';

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
