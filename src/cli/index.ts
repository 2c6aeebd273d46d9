#!/usr/bin/env node
/**
 * `mail-autoconfig <command>`: `serve` (the default) runs the server; the admin commands
 * (`check`, `dns`, `probe`, `import`, `export`) each live in their own module and are
 * listed here once.
 */
import { serve } from '../main';
import { CHECK_USAGE, checkCommand } from './check';
import { EXPORT_USAGE, IMPORT_USAGE, exportCommand, importCommand } from './convert';
import { DNS_USAGE, dnsCommand } from './dns';
import { EXIT, processIo, type CliIo } from './io';
import { PROBE_USAGE, probeCommand } from './probe';

const SERVE_USAGE = `usage: mail-autoconfig serve [--config DIR]

Runs the server. Settings come from DIR/settings.yaml, then the environment (PORT, HOST,
TRUST_PROXY, METRICS_ENABLED, METRICS_PORT, LOG_EMAIL_ADDRESSES, LOG_LEVEL,
MAIL_AUTOCONFIG_BODY_LIMIT). SIGHUP reloads the configuration; SIGTERM stops gracefully.

  --config DIR   configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  -h, --help     show this help
`;

const COMMANDS: Record<string, { summary: string; usage: string; run?: (args: readonly string[], io: CliIo) => Promise<number> }> = {
  serve: { summary: 'run the server (the default command)', usage: SERVE_USAGE },
  check: { summary: 'validate the configuration, print what it hosts and warnings', usage: CHECK_USAGE, run: checkCommand },
  dns: { summary: 'print the DNS records to publish for a hosted domain', usage: DNS_USAGE, run: dnsCommand },
  probe: { summary: "connect to a domain's mail servers and report TLS, certificates, greetings", usage: PROBE_USAGE, run: probeCommand },
  import: { summary: 'print the YAML provider file of a Mozilla ISPDB (config-v1.1) file', usage: IMPORT_USAGE, run: importCommand },
  export: { summary: 'print the config-v1.1 XML of a provider file', usage: EXPORT_USAGE, run: exportCommand },
};

export const USAGE = `usage: mail-autoconfig [command] [options]

${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(7)} ${command.summary}`)
  .join('\n')}

Every command takes --config DIR and --help: mail-autoconfig <command> --help
`;

/** Runs an admin command and returns its exit status; `serve` is started by main() instead. */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`mail-autoconfig: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h') || !command.run) {
    io.stdout(command.usage);
    return EXIT.ok;
  }
  return command.run(args, io);
}

async function main(argv: readonly string[]): Promise<void> {
  // No command, or only options (`mail-autoconfig --config /etc/x`), means serve.
  const [name, ...rest] = argv[0] === undefined || (argv[0].startsWith('-') && !['--help', '-h'].includes(argv[0])) ? ['serve', ...argv] : argv;
  if (name === 'serve' && !rest.includes('--help') && !rest.includes('-h')) return serve(rest, process.env);
  process.exitCode = await runCommand([name ?? 'help', ...rest], processIo);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`mail-autoconfig: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
