/**
 * Settings for hosted domains from PostgreSQL: the `database:` section of settings.yaml,
 * overridden by environment variables, read and validated with the other server settings
 * (config/settings.ts); without that section the domains come from the provider files alone.
 */
import { z } from 'zod';
import { settingFlag } from '../model/setting-flag';
import { redactDatabaseUrl } from './redact';
import { DEFAULT_DOMAIN_QUERY } from './schema';

export const databaseSettingsSchema = z.strictObject({
  /** postgres://user:password@host:port/database?sslmode=…; the password never reaches a log. */
  url: z
    .string()
    .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
      error: (issue) => `must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redactDatabaseUrl(String(issue.input)))}`,
    }),
  /**
   * SQL with one parameter, $1: the domain as a lower-case A-label. Its first column of its
   * first row is the provider id; no row (or NULL) means the domain is not hosted. Like a
   * Postfix pgsql lookup table: `SELECT transport FROM virtual_domains WHERE name = $1`.
   */
  domainQuery: z
    .string()
    .trim()
    .refine((query) => /\$1(?!\d)/.test(query) && !/\$(?!1(?!\d))\d+/.test(query), { message: 'must use exactly one parameter, $1 (the domain)' })
    .default(DEFAULT_DOMAIN_QUERY),
  /**
   * LISTEN for changed domains and drop them from the cache at once. On by default with the
   * default query (the default table's trigger sends them); a custom schema can send the
   * same notifications from its own trigger and turn this on, otherwise only the TTLs apply.
   */
  listen: settingFlag.optional(),
  /** Connections per server process; the LISTEN connection comes on top. */
  poolMax: z.coerce.number().int().min(1).max(100).default(5),
  /** How long one lookup may take in the database (statement_timeout, and the client gives up too). */
  queryTimeoutMs: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** How long to wait for a connection, new or from a busy pool. */
  connectTimeoutMs: z.coerce.number().int().min(10).max(60_000).default(2_000),
  /** Domains remembered, hosted or not; the least recently used goes first. Bounds the memory (docs/performance.md#hosted-domains-from-postgresql). */
  cacheEntries: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
  /** How long a hosted domain is served from the cache before it is asked for again. */
  cacheTtlMs: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /** The same for a domain that is not hosted: shorter, so a newly added domain shows up soon. */
  missTtlMs: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** Distinct domains being looked up at once; beyond it lookups fail at once instead of queueing. */
  maxPendingLookups: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /**
   * How often the LISTEN connection is asked `SELECT 1` (giving up after the query timeout):
   * a silent network partition loses notifications while TCP keepalive takes minutes to notice.
   */
  listenCheckMs: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Reconnection after the database went away: first wait, doubling up to the longest. */
  reconnectMinMs: z.coerce.number().int().min(10).max(60_000).default(250),
  reconnectMaxMs: z.coerce.number().int().min(10).max(600_000).default(15_000),
}).superRefine((settings, ctx) => {
  if (settings.reconnectMinMs > settings.reconnectMaxMs) {
    ctx.addIssue({ code: 'custom', path: ['reconnectMinMs'], message: 'must not be larger than reconnectMaxMs' });
  }
});

export type DatabaseSettings = z.output<typeof databaseSettingsSchema>;
export type DatabaseSettingsInput = z.input<typeof databaseSettingsSchema>;

/** Environment variables for the database settings, each over its settings.yaml value. */
export const DATABASE_ENVIRONMENT: Record<string, keyof DatabaseSettingsInput> = {
  MAIL_AUTOCONFIG_DATABASE_URL: 'url',
  MAIL_AUTOCONFIG_DOMAIN_QUERY: 'domainQuery',
  MAIL_AUTOCONFIG_DATABASE_LISTEN: 'listen',
  MAIL_AUTOCONFIG_DATABASE_POOL_MAX: 'poolMax',
  MAIL_AUTOCONFIG_DATABASE_QUERY_TIMEOUT_MS: 'queryTimeoutMs',
  MAIL_AUTOCONFIG_DATABASE_CACHE_ENTRIES: 'cacheEntries',
};

/** Whether the source should LISTEN: as configured, else only with the default table. */
export function listensForChanges(settings: DatabaseSettings): boolean {
  return settings.listen ?? settings.domainQuery === DEFAULT_DOMAIN_QUERY;
}
