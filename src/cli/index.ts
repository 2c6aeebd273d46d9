#!/usr/bin/env node
/**
 * `mail-autoconfig <command>`: `serve` (the default) runs the server; `check` validates a
 * config directory and prints a summary, exiting 1 on errors.
 */
import { ConfigError } from '../config/errors';
import { loadRegistry } from '../config/load';
import { configDirFrom, serve } from '../main';

const USAGE = `usage: mail-autoconfig [serve|check] [--config DIR]
  serve   run the server (default); PORT, HOST and MAIL_AUTOCONFIG_CONFIG apply
  check   validate the configuration and print what it hosts
`;

async function check(args: readonly string[]): Promise<number> {
  const configDir = configDirFrom(args, process.env);
  try {
    const registry = await loadRegistry(configDir);
    for (const provider of registry.providers) {
      process.stdout.write(`${provider.file}: ${provider.definition.id} (${provider.definition.domains.join(', ')})\n`);
    }
    process.stdout.write(`ok: ${registry.providers.length} providers, ${registry.domainCount} domains\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv[0]?.startsWith('-') ? ['serve', ...argv] : argv;
  switch (command) {
    case 'serve':
      return serve(rest, process.env);
    case 'check':
      process.exitCode = await check(rest);
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
