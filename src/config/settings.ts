/**
 * Server settings (not provider data): where to listen, limits, proxy trust. They come
 * from an optional `settings.yaml` in the config directory, overridden by environment
 * variables. Validated like provider files, with the same file:line:column messages.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isIP } from 'node:net';
import { readYaml, YamlSyntaxError, type Locate } from './read-yaml';
import { z } from 'zod';
import { at, ConfigError, problemsFromZod } from './errors';
import { DEFAULT_CONFIG_FILE_LIMITS } from './config-files';
import { DATABASE_ENVIRONMENT, databaseSettingsSchema } from '../domains/settings';
import { settingFlag } from '../model/setting-flag';

export const DEFAULT_CONFIG_DIR = './config';

/** Signed Apple profiles kept for repeat requests; their memory is sized in docs/operations.md. */
export const DEFAULT_SIGNED_PROFILE_CACHE_ENTRIES = 1000;

/** Clients the rate limiter tracks per budget by default, which bounds its memory (docs/operations.md). */
export const DEFAULT_MAX_TRACKED_CLIENTS = 50_000;

/** The largest body limit an admin may set; see bodyLimitBytes. */
export const MAX_BODY_LIMIT_BYTES = 64 * 1024;


// Express's trust proxy list: addresses, CIDR ranges and its three named ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  if (PROXY_RANGE_NAMES.has(address) && prefix === undefined) return true;
  const family = isIP(address);
  if (family === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

const settingsSchema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  /**
   * Largest request body accepted: autodiscover POSTs are a few hundred bytes, so the
   * default leaves ample room, and nothing we serve needs more than the maximum
   * (docs/operations.md).
   */
  bodyLimitBytes: z.coerce.number().int().min(256).max(MAX_BODY_LIMIT_BYTES).default(8 * 1024),
  /**
   * Which proxies may set X-Forwarded-For/-Proto/-Host: false (none, the default), true
   * (any: only behind a proxy that overwrites them), or Express's list syntax such as
   * "loopback, 10.0.0.0/8".
   */
  trustProxy: z
    .union([
      z.boolean(),
      z.number().int().min(0),
      z.string().refine((value) => value.split(',').every((entry) => isProxyRange(entry.trim())), {
        message: 'must be true, false, a hop count, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal, uniquelocal',
      }),
    ])
    .default(false),
  /**
   * Answer autodiscover requests that a trusted proxy says arrived over plain http with a
   * redirect to https (Outlook's "HTTP redirect" discovery step, docs/endpoints.md).
   */
  autodiscoverHttpsRedirect: z.boolean().default(true),
  /** Hours Outlook may keep autodiscover settings before asking again (POX `<TTL>`); 0: never again. */
  autodiscoverTtlHours: z.coerce.number().int().min(0).max(8760).default(1),
  /**
   * Where people reach the setup page (`https://setup.example.org/` or a path behind a
   * proxy). When set, autoconfig documents list it under <documentation>. Stored with a
   * trailing slash, since the page's own links are relative to it.
   */
  publicBaseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .refine((value) => !/[?#]/.test(value), { message: 'must not have a query or fragment' })
    .transform((value) => (value.endsWith('/') ? value : `${value}/`))
    .optional(),
  /**
   * Serve GET /metrics (Prometheus): on a port of its own, on loopback unless metricsHost
   * says otherwise, so it stays off the public listener; on the main port only when
   * metricsOnMainPort says so (docs/operations.md, "Metrics").
   */
  metricsEnabled: settingFlag.default(true),
  metricsPort: z.coerce.number().int().min(0).max(65535).default(9464),
  metricsHost: z.string().min(1).default('127.0.0.1'),
  metricsOnMainPort: settingFlag.default(false),
  /** Log the full address a client asked about; by default only its domain is logged. */
  logEmailAddresses: settingFlag.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * PEM files for signing Apple profiles (docs/endpoints.md): the certificate (a file with
   * the whole chain after it is fine), its unencrypted private key, and optionally the
   * intermediates. Without them profiles are served unsigned. Relative paths in
   * settings.yaml are relative to the config directory.
   */
  signingCert: z.string().min(1).optional(),
  signingKey: z.string().min(1).optional(),
  signingChain: z.string().min(1).optional(),
  /** How many signed profiles are kept, so a repeated request is not signed again; 0 signs every one. */
  signedProfileCacheEntries: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_SIGNED_PROFILE_CACHE_ENTRIES),
  /**
   * Slow clients: all request headers must arrive within headersTimeoutMs and the whole
   * request within requestTimeoutMs of the connection's first byte; idle keep-alive
   * connections are closed after keepAliveTimeoutMs.
   */
  headersTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
  requestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(15_000),
  keepAliveTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /**
   * Open connections at most, in total and from one client address (a trusted proxy's
   * excepted); the total stays under the usual limit of 1024 file descriptors
   * (docs/operations.md, "Connections").
   */
  maxConnections: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  maxConnectionsPerClient: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** On SIGTERM, how long in-flight requests may take before their connections are cut. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /**
   * Mail protocol requests one client (req.ip, so X-Forwarded-For counts only from a
   * trustProxy address) may make per window; 0 turns limiting off. Sized for a 500-person
   * office behind one NAT address at its busiest minute (docs/operations.md, "Rate limits").
   */
  rateLimitRequests: z.coerce.number().int().min(0).default(3000),
  /** Setup page, stylesheet and icon requests per client and window, a budget apart from the protocols'; 0: not limited. */
  pageRateLimitRequests: z.coerce.number().int().min(0).default(600),
  /** Clients the rate limiter tracks per budget; past that the oldest are forgotten, which bounds its memory. */
  rateLimitMaxClients: z.coerce.number().int().min(100).max(10_000_000).default(DEFAULT_MAX_TRACKED_CLIENTS),
  rateLimitWindowMs: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  /** Reload when a file in the config directory or a signing file changes, after this quiet time. */
  watchConfig: z.boolean().default(true),
  reloadDebounceMs: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Provider files larger than this are refused (docs/operations.md). */
  maxProviderFileBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(DEFAULT_CONFIG_FILE_LIMITS.maxProviderFileBytes),
  /** Whether provider files may be links to files outside the config directory. */
  allowFilesOutsideConfigDir: settingFlag.default(DEFAULT_CONFIG_FILE_LIMITS.allowFilesOutsideConfigDir),
  /** Hosted domains from PostgreSQL besides the provider files ("Hosted domains from PostgreSQL" in docs/configuration.md). */
  database: databaseSettingsSchema.optional(),
})
  .superRefine((settings, ctx) => {
    if ((settings.signingCert === undefined) !== (settings.signingKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['signingKey'], message: 'signingCert and signingKey must be given together' });
    }
    if (settings.signingChain !== undefined && settings.signingCert === undefined) {
      ctx.addIssue({ code: 'custom', path: ['signingChain'], message: 'signingChain needs signingCert and signingKey' });
    }
    if (settings.headersTimeoutMs > settings.requestTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: 'must not be larger than requestTimeoutMs' });
    }
  });

export type Settings = z.output<typeof settingsSchema> & { readonly configDir: string };
export type SettingsInput = z.input<typeof settingsSchema>;

const ENVIRONMENT: Record<string, keyof SettingsInput> = {
  PORT: 'port',
  HOST: 'host',
  MAIL_AUTOCONFIG_BODY_LIMIT: 'bodyLimitBytes',
  TRUST_PROXY: 'trustProxy',
  METRICS_ENABLED: 'metricsEnabled',
  METRICS_PORT: 'metricsPort',
  METRICS_HOST: 'metricsHost',
  METRICS_ON_MAIN_PORT: 'metricsOnMainPort',
  LOG_EMAIL_ADDRESSES: 'logEmailAddresses',
  LOG_LEVEL: 'logLevel',
  PUBLIC_BASE_URL: 'publicBaseUrl',
  MAIL_AUTOCONFIG_SIGNING_CERT: 'signingCert',
  MAIL_AUTOCONFIG_SIGNING_KEY: 'signingKey',
  MAIL_AUTOCONFIG_SIGNING_CHAIN: 'signingChain',
  MAIL_AUTOCONFIG_RATE_LIMIT: 'rateLimitRequests',
  MAIL_AUTOCONFIG_PAGE_RATE_LIMIT: 'pageRateLimitRequests',
  MAIL_AUTOCONFIG_RATE_LIMIT_MAX_CLIENTS: 'rateLimitMaxClients',
  MAIL_AUTOCONFIG_SIGNED_PROFILE_CACHE: 'signedProfileCacheEntries',
  MAIL_AUTOCONFIG_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  MAIL_AUTOCONFIG_MAX_CONNECTIONS: 'maxConnections',
  MAIL_AUTOCONFIG_MAX_CONNECTIONS_PER_CLIENT: 'maxConnectionsPerClient',
  MAIL_AUTOCONFIG_AUTODISCOVER_TTL_HOURS: 'autodiscoverTtlHours',
};

const FILE_SETTINGS = ['signingCert', 'signingKey', 'signingChain'] as const;

/** Settings with every default applied, for tests and embedding. */
export function defaultSettings(overrides: Partial<SettingsInput> & { configDir?: string } = {}): Settings {
  const { configDir = DEFAULT_CONFIG_DIR, ...rest } = overrides;
  return { ...settingsSchema.parse(rest), configDir };
}

/** Where unknown settings send the admin. */
const SETTINGS_REFERENCE = '"Server settings" in docs/configuration.md';

export async function loadSettings(configDir: string, env: NodeJS.ProcessEnv): Promise<Settings> {
  const file = path.join(configDir, 'settings.yaml');
  let fromFile: Record<string, unknown> = {};
  let locate: Locate | undefined;
  try {
    const read = readYaml(await readFile(file, 'utf8'));
    locate = read.locate;
    if (read.data !== null && (typeof read.data !== 'object' || Array.isArray(read.data))) {
      throw new ConfigError([{ file, ...at(locate([])), field: '', message: 'must be a mapping of settings (name: value), not a single value or a list' }]);
    }
    fromFile = (read.data ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof YamlSyntaxError) throw new ConfigError([{ file, ...at(error.position), field: '', message: `YAML syntax error: ${error.reason}` }]);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError([{ file, field: '', message: (error as Error).message.split('\n')[0] ?? 'unreadable' }]);
    }
  }
  for (const key of FILE_SETTINGS) {
    if (typeof fromFile[key] === 'string') fromFile[key] = path.resolve(configDir, fromFile[key]);
  }
  const fromEnv: Record<string, unknown> = {};
  const variableOf = new Map<string, string>();
  for (const [variable, key] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      fromEnv[key] = key === 'trustProxy' ? parseTrustProxy(value) : value;
      variableOf.set(key, variable);
    }
  }
  // The database variables fill the nested `database:` section, each over its value in the file.
  const databaseFromFile = fromFile.database;
  let database = typeof databaseFromFile === 'object' && databaseFromFile !== null && !Array.isArray(databaseFromFile) ? { ...databaseFromFile } : databaseFromFile;
  for (const [variable, key] of Object.entries(DATABASE_ENVIRONMENT)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (typeof database !== 'object' || database === null || Array.isArray(database)) database = {};
    (database as Record<string, unknown>)[key] = value;
    variableOf.set(`database.${key}`, variable);
  }
  const input = database === undefined ? { ...fromFile, ...fromEnv } : { ...fromFile, ...fromEnv, database };
  const result = settingsSchema.safeParse(input);
  if (!result.success) {
    // A value from the environment wins over the file, so its problem is the variable's.
    const source = (fieldPath: readonly PropertyKey[]) => {
      const variable = variableOf.get(String(fieldPath[0])) ?? variableOf.get(fieldPath.slice(0, 2).join('.'));
      return variable === undefined ? { file, locate } : { file: `environment variable ${variable}` };
    };
    throw new ConfigError(problemsFromZod(result.error, { file: source, input, schema: settingsSchema, keyWord: 'setting', reference: SETTINGS_REFERENCE }));
  }
  return { ...result.data, configDir };
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  // A number is a hop count: trust that many proxies in front of us.
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
