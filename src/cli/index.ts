#!/usr/bin/env node
/**
 * `mail-autoconfig [command] [options]`: `serve` (the default) runs the server; the admin
 * commands (`check`, `dns`, `probe`, `import`, `export`, `db`) each live in their own module and
 * are listed here once. Anything it does not understand is refused with the usage and
 * exit 2, so a typo never starts a server on a default it did not mean.
 */
import { CHECK_USAGE, checkCommand } from './check';
import { DB_USAGE, runDbCommand } from './db';
import { EXPORT_USAGE, IMPORT_USAGE, exportCommand, importCommand } from './convert';
import { DNS_USAGE, dnsCommand } from './dns';
import { EXIT, usageError, type CliIo } from './io';
import { PROBE_USAGE, probeCommand } from './probe';
import { runProcess } from './process';
import { SERVE_USAGE, serveCommand } from './serve';
import { versionCommand } from './version';

const COMMANDS: Record<string, { summary: string; usage: string; run: (args: readonly string[], io: CliIo) => Promise<number> }> = {
  serve: { summary: 'run the server (the default command)', usage: SERVE_USAGE, run: serveCommand },
  check: { summary: 'validate the configuration, print what it hosts and warnings', usage: CHECK_USAGE, run: checkCommand },
  dns: { summary: 'print the DNS records to publish for a hosted domain', usage: DNS_USAGE, run: dnsCommand },
  probe: { summary: "connect to a domain's mail servers and report TLS, certificates, greetings", usage: PROBE_USAGE, run: probeCommand },
  import: { summary: 'print the YAML provider file of a Mozilla ISPDB (config-v1.1) file', usage: IMPORT_USAGE, run: importCommand },
  export: { summary: 'print the config-v1.1 XML of a provider file', usage: EXPORT_USAGE, run: exportCommand },
  db: { summary: 'hosted domains in PostgreSQL: init the table, import the files, check', usage: DB_USAGE, run: runDbCommand },
};

export const USAGE = `usage: mail-autoconfig [command] [options]

${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(7)} ${command.summary}`)
  .join('\n')}

Without a command, or with options only (mail-autoconfig --config DIR), it serves.
Every command takes --config DIR and --help: mail-autoconfig <command> --help

  -h, --help     show this help (also: mail-autoconfig help [command])
  -V, --version  print the version

Exit status: 0 success, 1 the command failed (invalid configuration, a failed probe, a
port in use), 2 wrong usage (unknown command or option, missing argument).
`;

/**
 * Runs the command line (without the node and script arguments) and returns its exit
 * status. `serve` returns 0 once it listens and keeps the process running.
 */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    return rest.length === 0 ? versionCommand(io) : usageError(`${first} takes no arguments`, USAGE, io);
  }
  if (first === '--help' || first === '-h' || first === 'help') return help(rest, io);
  // No command, or options only (`mail-autoconfig --config /etc/x`), means serve.
  if (first === undefined || first.startsWith('-')) return serveCommand(argv, io);
  const command = COMMANDS[first];
  if (!command) return usageError(`unknown command ${JSON.stringify(first)}`, USAGE, io);
  return command.run(rest, io);
}

/** `help` alone is the overview; `help <command>` is that command's usage. */
function help(topics: readonly string[], io: CliIo): number {
  if (topics.length === 0) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const command = topics.length === 1 ? COMMANDS[topics[0]!] : undefined;
  if (!command) return usageError(`no help for ${JSON.stringify(topics.join(' '))}`, USAGE, io);
  io.stdout(command.usage);
  return EXIT.ok;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  void runProcess((io) => runCommand(argv, io));
}
