/**
 * Server settings (not provider data): where to listen, limits, proxy trust. They come
 * from an optional `settings.yaml` in the config directory, overridden by environment
 * variables, overridden by command-line flags. Validated like provider files.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError, problemsFromZod } from './errors';

export const DEFAULT_CONFIG_DIR = './config';

const settingsSchema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  /** Largest request body accepted (autodiscover POSTs are a few hundred bytes). */
  bodyLimitBytes: z.coerce.number().int().min(256).max(10 * 1024 * 1024).default(8 * 1024),
  /**
   * Which proxies may set X-Forwarded-For/-Proto/-Host: false (none, the default), true
   * (any: only behind a proxy that overwrites them), or Express's list syntax such as
   * "loopback, 10.0.0.0/8".
   */
  trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
  /**
   * Answer autodiscover requests that a trusted proxy says arrived over plain http with a
   * redirect to https (Outlook's "HTTP redirect" discovery step, protocols.md §3.1).
   */
  autodiscoverHttpsRedirect: z.boolean().default(true),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Slow clients: all request headers must arrive within headersTimeoutMs and the whole
   * request within requestTimeoutMs of the connection's first byte; idle keep-alive
   * connections are closed after keepAliveTimeoutMs.
   */
  headersTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
  requestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(15_000),
  keepAliveTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /** On SIGTERM, how long in-flight requests may take before their connections are cut. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /**
   * Requests one client (req.ip, so X-Forwarded-For counts only from a trustProxy address)
   * may make per window; 0 turns limiting off. One Thunderbird account setup makes about
   * 7 requests, so the default allows several setups a minute from one address.
   */
  rateLimitRequests: z.coerce.number().int().min(0).default(60),
  rateLimitWindowMs: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  /** Reload the providers when a file in the config directory changes, after this quiet time. */
  watchConfig: z.boolean().default(true),
  reloadDebounceMs: z.coerce.number().int().min(10).max(60_000).default(500),
}).refine((settings) => settings.headersTimeoutMs <= settings.requestTimeoutMs, {
  path: ['headersTimeoutMs'],
  message: 'must not be larger than requestTimeoutMs',
});

export type Settings = z.output<typeof settingsSchema> & { readonly configDir: string };
export type SettingsInput = z.input<typeof settingsSchema>;

const ENVIRONMENT: Record<string, keyof SettingsInput> = {
  PORT: 'port',
  HOST: 'host',
  MAIL_AUTOCONFIG_BODY_LIMIT: 'bodyLimitBytes',
  TRUST_PROXY: 'trustProxy',
  LOG_LEVEL: 'logLevel',
  MAIL_AUTOCONFIG_RATE_LIMIT: 'rateLimitRequests',
  MAIL_AUTOCONFIG_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
};

/** Settings with every default applied, for tests and embedding. */
export function defaultSettings(overrides: Partial<SettingsInput> & { configDir?: string } = {}): Settings {
  const { configDir = DEFAULT_CONFIG_DIR, ...rest } = overrides;
  return { ...settingsSchema.parse(rest), configDir };
}

export async function loadSettings(configDir: string, env: NodeJS.ProcessEnv): Promise<Settings> {
  const file = path.join(configDir, 'settings.yaml');
  let fromFile: Record<string, unknown> = {};
  try {
    const parsed: unknown = YAML.parse(await readFile(file, 'utf8'));
    fromFile = (parsed ?? {}) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError([{ file, field: '', message: (error as Error).message.split('\n')[0] ?? 'unreadable' }]);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [variable, key] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (value !== undefined && value !== '') fromEnv[key] = key === 'trustProxy' ? parseTrustProxy(value) : value;
  }
  const result = settingsSchema.safeParse({ ...fromFile, ...fromEnv });
  if (!result.success) throw new ConfigError(problemsFromZod(`${file} (or environment)`, result.error));
  return { ...result.data, configDir };
}

function parseTrustProxy(value: string): boolean | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
