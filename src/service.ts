/**
 * What the standalone server and a site that embeds mail-autoconfig both run
 * (docs/deploying.md, "Inside an existing Express site"): the request handler over the
 * current configuration, its reloads, the hosted-domain database, the metrics, and the
 * timeouts and connection caps for the HTTP server that carries the handler. The caller
 * owns the server, its port and the process's signals.
 */
import type { RequestListener, Server, ServerOptions } from 'node:http';
import os from 'node:os';
import pino, { type Logger } from 'pino';
import { loadConfiguration, loadServedConfig, type LoadedConfig } from './config/load';
import { ConfigReloader } from './config/reloader';
import type { Settings } from './config/settings';
import { signingFiles } from './config/signing';
import { DatabaseDomainSource } from './domains/database-source';
import { createMetricsListener, createMiddleware, trustProxy } from './http/app';
import { limitConnections } from './http/connection-limit';
import type { AccessLogLines } from './http/access-log';
import type { Dispatcher } from './http/dispatcher';
import { Metrics } from './http/metrics';
import { rateLimitOptions } from './http/rate-limit';
import { standardOutputLog } from './log-destination';

/**
 * How often Node checks connections against headersTimeout/requestTimeout. Its default
 * (30 s) would let a slow client hold a connection far beyond the configured timeouts.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface Service {
  readonly settings: Settings;
  /**
   * Answers what our routes serve; with `next`, passes every other path on. Put it in
   * front of a site (`(req, res) => handle(req, res, () => site(req, res))`), or mount it
   * as Express middleware.
   */
  readonly handle: Dispatcher;
  /** /metrics and the TLS ask, for a listener of their own when `settings.metricsOnMainPort` is off. */
  readonly metricsListener: RequestListener;
  /** The slow-client timeouts, for `http.createServer(serverOptions, ...)`. */
  readonly serverOptions: ServerOptions;
  /** Caps the server's open connections, in total and per client address (docs/operations.md, "Connections"). */
  limitConnections(server: Server): void;
  /** Reads the configuration again; the last good one stays in service when the new one is broken. */
  reload(): Promise<boolean>;
  /** Stops watching the files and closes the database's connections; call it once the server has closed. */
  close(): Promise<void>;
}

/** The service for `settings`, serving `initial` until a reload replaces it; the database (if any) connects in the background. */
export function startService(settings: Settings, initial: LoadedConfig, logger: Logger, accessLogLines?: AccessLogLines): Service {
  // The provider directory getters are only called once requests arrive, after the reloader
  // exists; the database's provider ids are checked against the current provider directory,
  // so reloads count.
  const domainSource = settings.database && new DatabaseDomainSource({ settings: settings.database, isKnownProvider: (id) => reloader.providerDirectory().provider(id) !== undefined, logger });
  const metrics = new Metrics(() => reloader.providerDirectory(), { processMetrics: true, domainDatabaseUp: domainSource && (() => domainSource.health().state === 'ok') });
  metrics.recordConfigLoad(true);
  const reloader = new ConfigReloader({
    configDir: settings.configDir,
    load: () => loadServedConfig(settings),
    initial,
    logger,
    alsoWatch: signingFiles(settings),
    watchDebounceMs: settings.watchConfig ? settings.reloadDebounceMs : undefined,
    onReload: (succeeded) => metrics.recordConfigLoad(succeeded),
  });
  const handle = createMiddleware({
    providerDirectory: reloader.providerDirectory,
    settings,
    logger,
    accessLogLines,
    signing: reloader.signing,
    metrics,
    status: reloader.status,
    rateLimit: rateLimitOptions(settings),
    domainSource,
  });
  if (domainSource) {
    logger.info({ database: domainSource.displayUrl }, 'domain database configured');
    // Never throws and is not awaited: with the database down the service starts degraded and reconnects in the background.
    void domainSource.start().then(() => {
      if (domainSource.health().state === 'ok') logger.info({ database: domainSource.displayUrl }, 'domain database connected');
    });
  }
  return {
    settings,
    handle,
    metricsListener: createMetricsListener({ metrics, logger, providerDirectory: reloader.providerDirectory, domainSource, settings }),
    serverOptions: {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, settings.headersTimeoutMs),
    },
    limitConnections: (server) => void limitConnections(server, settings, trustProxy(settings.trustProxy)),
    reload: () => reloader.reload(),
    close: async () => {
      reloader.close();
      await domainSource?.close();
    },
  };
}

/**
 * The server's log: standard output, batched per turn of the event loop, with credentials
 * in headers redacted; and its destination with pino's base fields, for the access log
 * lines written to it directly.
 */
export function serviceLog(level: Settings['logLevel']): { readonly logger: Logger; readonly accessLogLines: AccessLogLines } {
  const destination = standardOutputLog();
  // pino's own default fields, named here because access log lines are written to the
  // destination past the logger and must carry them too.
  const base = { pid: process.pid, hostname: os.hostname() };
  const logger = pino({ level, base, redact: ['req.headers.authorization', 'req.headers.cookie'] }, destination);
  return { logger, accessLogLines: { sink: destination, base } };
}

export interface OpenOptions {
  /** The site's own pino logger; by default the server's (serviceLog: JSON lines on standard output). */
  readonly logger?: Logger;
}

/**
 * For embedders: reads the config directory (settings.yaml, the environment variables of
 * docs/configuration.md, the providers and the signing files; a ConfigError names every
 * problem) and starts the service on it.
 */
export async function openMailAutoconfig(configDir: string, env: NodeJS.ProcessEnv, { logger }: OpenOptions = {}): Promise<Service> {
  const { settings, ...initial } = await loadConfiguration(configDir, env);
  const log = logger ? { logger, accessLogLines: undefined } : serviceLog(settings.logLevel);
  return startService(settings, initial, log.logger, log.accessLogLines);
}
