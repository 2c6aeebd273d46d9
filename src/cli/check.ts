/**
 * `mail-autoconfig check`: validates a config directory the way the server would load it,
 * prints what it hosts and the warnings an admin should look at, and exits 1 on errors
 * (or on warnings with --strict), so it fits a CI step or a pre-reload hook.
 */
import { formatProblem } from '../config/errors';
import { providerWarnings } from '../config/warnings';
import { checkDatabase } from './db';
import { EXIT, loadConfigurationFor, parseCommandArgs, type CliIo } from './io';

export const CHECK_USAGE = `usage: mail-autoconfig check [--config DIR] [--strict]

Validates the configuration (settings.yaml, environment, providers/*) and prints the
providers and domains it hosts, with warnings: unencrypted servers, OAuth2 without a
password fallback, STARTTLS listed before implicit TLS, port 25 as the first SMTP choice.
With a domain database configured it also runs its query and lists provider ids in the
table that no provider file defines (as \`mail-autoconfig db check\`).

  --config DIR   configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  --strict       exit 1 on warnings too
  -h, --help     show this help

Exit status: 0 valid, 1 invalid (or warnings with --strict), 2 wrong usage.
`;

export async function checkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { usage: CHECK_USAGE, options: { strict: { type: 'boolean' } } }, io);
  if (typeof parsed === 'number') return parsed;

  const configuration = await loadConfigurationFor(parsed.configDir, io);
  if (typeof configuration === 'number') return configuration;
  const { providerDirectory, settings } = configuration;
  let warningCount = 0;
  for (const provider of providerDirectory.providers) {
    io.stdout(`${provider.file}: ${provider.definition.id} (${provider.definition.domains.join(', ')})\n`);
    // What the loader tolerated in the file (ISPDB quirks), then what the settings risk.
    for (const warning of [...(provider.warnings ?? []), ...providerWarnings(provider.definition, provider.file)]) {
      io.stdout(`  warning: ${formatProblem(warning)}\n`);
      warningCount += 1;
    }
  }
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  io.stdout(
    `ok: ${plural(providerDirectory.providers.length, 'provider')}, ${plural(providerDirectory.domainCount, 'domain')}, ${plural(warningCount, 'warning')}\n`,
  );
  if (settings.database !== undefined) {
    const database = await checkDatabase(settings.database, providerDirectory.providers, io);
    if (database !== EXIT.ok) return database;
  }
  return parsed.values.strict && warningCount > 0 ? EXIT.failure : EXIT.ok;
}
