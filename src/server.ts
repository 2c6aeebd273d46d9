/**
 * Runs the HTTP server: listens with explicit slow-client timeouts, reloads the
 * configuration and the signing material on SIGHUP or directory change (keeping the last
 * good ones when the new ones are broken), serves /metrics and the TLS ask on a port of
 * their own (loopback unless told otherwise), looks hosted domains up in PostgreSQL when
 * configured (starting degraded rather than failing when the database is down), and shuts down gracefully: in-flight requests finish, keep-alive connections
 * close, and whatever is still open after the grace period is cut.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { loadServedConfig, type LoadedConfig } from './config/load';
import { ConfigReloader } from './config/reloader';
import type { Settings } from './config/settings';
import { signingFiles } from './config/signing';
import { DatabaseDomainSource } from './domains/database-source';
import type { AccessLogLines } from './http/access-log';
import { createMetricsListener, createRequestListener, trustProxy } from './http/app';
import { limitConnections } from './http/connection-limit';
import { Metrics } from './http/metrics';
import { rateLimitOptions } from './http/rate-limit';

/**
 * How often Node checks connections against headersTimeout/requestTimeout. Its default
 * (30 s) would let a slow client hold a connection far beyond the configured timeouts.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface RunningServer {
  readonly server: Server;
  /** The internal listener for /metrics and the TLS ask, unless /metrics is on the main port. */
  readonly metricsServer?: Server;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

/** Serves `initial` (as loadConfiguration read it) until a reload replaces it. */
export async function startServer(settings: Settings, initial: LoadedConfig, logger: Logger, accessLogLines?: AccessLogLines): Promise<RunningServer> {
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
  const listener = createRequestListener({
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
  const timeouts = {
    headersTimeout: settings.headersTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, settings.headersTimeoutMs),
  };
  // Responses not yet sent when shutdown starts are told to close their connection, so
  // keep-alive clients do not hold the server open until keepAliveTimeoutMs. Most answers
  // are sent before the listener returns; only the others (a body still arriving, a
  // profile being signed, a domain asked of the database) need tracking, which spares every other request a listener.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer(timeouts, (req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    listener(req, res);
    if (res.headersSent) return;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  limitConnections(server, settings, trustProxy(settings.trustProxy));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  if (domainSource) {
    logger.info({ database: domainSource.displayUrl }, 'domain database configured');
    // Never throws and is not awaited: with the database down the server starts degraded and reconnects in the background.
    void domainSource.start().then(() => {
      if (domainSource.health().state === 'ok') logger.info({ database: domainSource.displayUrl }, 'domain database connected');
    });
  }
  logger.info(
    { address: server.address(), configDir: settings.configDir, providers: initial.providerDirectory.providers.length, domains: initial.providerDirectory.domainCount },
    'listening',
  );
  let metricsServer: Server | undefined;
  if (!settings.metricsOnMainPort) {
    metricsServer = createServer(timeouts, createMetricsListener({ metrics, logger, providerDirectory: reloader.providerDirectory, domainSource, settings }));
    metricsServer.listen(settings.metricsPort, settings.metricsHost);
    await once(metricsServer, 'listening');
    logger.info({ address: metricsServer.address() }, 'metrics listening');
  }

  const close = () =>
    new Promise<void>((resolve) => {
      closing = true;
      reloader.close();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const timer = setTimeout(() => {
        logger.warn({ connections: inFlight.size }, 'shutdown grace period over; closing the remaining connections');
        server.closeAllConnections();
      }, settings.shutdownGraceMs).unref();
      server.close(() => {
        clearTimeout(timer);
        void (domainSource?.close() ?? Promise.resolve()).then(resolve);
      });
      server.closeIdleConnections();
    });
  return { server, metricsServer, reload: () => reloader.reload(), close };
}
