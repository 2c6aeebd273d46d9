/**
 * `mail-autoconfig db init|import|check`: the admin side of hosted domains in PostgreSQL.
 * `init` creates the default table and its change trigger, `import` copies the `domains:`
 * of the provider files into it (and with `--prune` deletes the rows they no longer name), `check` runs the configured query and finds provider ids
 * in the table that no provider file defines.
 */
import { Client } from 'pg';
import { ConfigError } from '../config/errors';
import { loadProviders } from '../config/load-providers';
import type { LoadedProvider } from '../model/loaded-provider';
import { redactSecrets } from '../domains/redact';
import { DEFAULT_DOMAIN_QUERY, DOMAIN_TABLE, importDomains, initSchema, providerIdsInTable, tryDomainQuery, type ImportOptions } from '../domains/schema';
import { loadSettings } from '../config/settings';
import type { DatabaseSettings } from '../domains/settings';
import { EXIT, parseCommandArgs, usageError, type CliIo } from './io';

export const DB_USAGE = `usage: mail-autoconfig db <init|import|check> [--prune] [--dry-run] [--config DIR]

Hosted domains in PostgreSQL. The database is database.url in DIR/settings.yaml or
$MAIL_AUTOCONFIG_DATABASE_URL; the lookup is database.domainQuery or
$MAIL_AUTOCONFIG_DOMAIN_QUERY (default: the ${DOMAIN_TABLE} table).

  init     create the ${DOMAIN_TABLE} table and its change trigger (idempotent)
  import   upsert the domains: of every provider file into that table; rows the files
           do not name are kept unless --prune is given
  check    run the domain query once and report provider ids in the table that no
           provider file defines

  --prune        (import) also delete the rows whose domain no provider file names, in the
                 same transaction, so the table matches the files; refused with a custom
                 domain query, whose table is not ${DOMAIN_TABLE}
  --dry-run      (import) report what would be added, changed and removed; write nothing
  --config DIR   configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  -h, --help     show this help

Exit status: 0 ok, 1 a problem (no database, unreachable, unknown provider ids), 2 wrong usage.
`;

const SUBCOMMANDS = ['init', 'import', 'check'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** A domain no one hosts, to see that the query runs and what shape it answers in. */
const PROBE_DOMAIN = 'mail-autoconfig-check.invalid';

export async function runDbCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { usage: DB_USAGE, options: { prune: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, positionals: true }, io);
  if (typeof parsed === 'number') return parsed;
  const [subcommand, ...extra] = parsed.positionals;
  if (!SUBCOMMANDS.includes(subcommand as Subcommand)) {
    return usageError(subcommand === undefined ? 'db needs a subcommand' : `unknown db subcommand ${JSON.stringify(subcommand)}`, DB_USAGE, io);
  }
  if (extra.length > 0) return usageError(`unexpected argument ${JSON.stringify(extra[0])}`, DB_USAGE, io);
  const importOptions = { prune: parsed.values.prune === true, dryRun: parsed.values['dry-run'] === true };
  if (subcommand !== 'import' && (importOptions.prune || importOptions.dryRun)) {
    return usageError(`--${importOptions.prune ? 'prune' : 'dry-run'} is an option of db import only`, DB_USAGE, io);
  }

  let settings: DatabaseSettings | undefined;
  let providers: LoadedProvider[] = [];
  try {
    settings = (await loadSettings(parsed.configDir, io.env)).database;
    if (subcommand !== 'init') providers = await loadProviders(parsed.configDir);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`invalid configuration in ${parsed.configDir}:\n${error.message}\n`);
    return EXIT.failure;
  }
  if (settings === undefined) {
    io.stderr('mail-autoconfig: no database configured: set database.url in settings.yaml or MAIL_AUTOCONFIG_DATABASE_URL\n');
    return EXIT.failure;
  }

  if (importOptions.prune && settings.domainQuery !== DEFAULT_DOMAIN_QUERY) {
    // The server reads the custom query's own table; deleting from ours would not remove those domains, only our copy of them.
    io.stderr(`mail-autoconfig: --prune deletes from ${DOMAIN_TABLE}, but database.domainQuery is a custom query: remove domains from its own table instead\n`);
    return EXIT.failure;
  }

  const configured = settings;
  return withDatabase(configured, io, (client) => {
    if (subcommand === 'init') return init(client, io);
    if (subcommand === 'import') return importFromFiles(client, providers, importOptions, io);
    return check(client, configured, providers, io);
  });
}

/**
 * The database side of `mail-autoconfig check`: the query runs, and the table names no
 * provider id that the files do not define.
 */
export function checkDatabase(settings: DatabaseSettings, providers: readonly LoadedProvider[], io: CliIo): Promise<number> {
  return withDatabase(settings, io, (client) => check(client, settings, providers, io));
}

/** Runs `work` on a connection, reporting any database error without the password (exit 1). */
async function withDatabase(settings: DatabaseSettings, io: CliIo, work: (client: Client) => Promise<number>): Promise<number> {
  const client = new Client({ connectionString: settings.url, connectionTimeoutMillis: settings.connectTimeoutMs, application_name: 'mail-autoconfig db' });
  // A connection lost between queries surfaces as the next query's error; this only keeps it from crashing.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    io.stderr(`mail-autoconfig: database: ${redactSecrets((error as Error).message ?? String(error), settings.url)}\n`);
    return EXIT.failure;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function init(client: Client, io: CliIo): Promise<number> {
  await initSchema(client);
  io.stdout(`ok: table ${DOMAIN_TABLE} and its change trigger are in place\n`);
  return EXIT.ok;
}

async function importFromFiles(client: Client, providers: readonly LoadedProvider[], options: ImportOptions, io: CliIo): Promise<number> {
  const pairs = providers.flatMap((provider) => provider.definition.domains.map((domain) => ({ domain, providerId: provider.definition.id })));
  const counts = await importDomains(client, pairs, options);
  const verb = options.dryRun ? 'would be ' : '';
  for (const row of counts.removed) io.stdout(`  ${verb}removed ${row.domain} (provider ${row.providerId})\n`);
  const summary = [`${counts.inserted} ${verb}added`, `${counts.updated} ${verb}changed`, `${counts.unchanged} unchanged`];
  if (options.prune) summary.push(`${counts.removed.length} ${verb}removed`);
  const outcome = options.dryRun ? 'dry run, nothing written' : 'ok';
  io.stdout(`${outcome}: ${pairs.length} domains from ${providers.length} provider files: ${summary.join(', ')}\n`);
  return EXIT.ok;
}

async function check(client: Client, settings: DatabaseSettings, providers: readonly LoadedProvider[], io: CliIo): Promise<number> {
  const probe = await tryDomainQuery(client, settings.domainQuery, PROBE_DOMAIN);
  if (probe.columns === 0) {
    io.stderr('mail-autoconfig: the domain query returns no column; it must return the provider id\n');
    return EXIT.failure;
  }
  io.stdout(`ok: the domain query runs (${probe.columns === 1 ? 'one column' : `${probe.columns} columns, the first is used`})\n`);
  if (settings.domainQuery !== DEFAULT_DOMAIN_QUERY) {
    io.stdout('note: a custom query cannot be listed, so its provider ids are checked as domains are looked up (unknown ones are logged)\n');
    return EXIT.ok;
  }
  const known = new Set(providers.map((provider) => provider.definition.id));
  const inTable = await providerIdsInTable(client);
  let unknown = 0;
  for (const [providerId, domains] of inTable) {
    if (known.has(providerId)) continue;
    unknown += 1;
    io.stdout(`  unknown provider id ${JSON.stringify(providerId)} (${domains} domain${domains === 1 ? '' : 's'}): no provider file defines it\n`);
  }
  const domainCount = [...inTable.values()].reduce((sum, count) => sum + count, 0);
  io.stdout(`${unknown === 0 ? 'ok' : 'problem'}: ${domainCount} domains in ${DOMAIN_TABLE} use ${inTable.size} provider ids, ${unknown} unknown\n`);
  return unknown === 0 ? EXIT.ok : EXIT.failure;
}
