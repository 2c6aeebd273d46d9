/**
 * Runs the HTTP server: listens, reloads the configuration on SIGHUP (keeping the last
 * good one when the new one is broken), and shuts down gracefully on SIGTERM/SIGINT.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError } from './config/errors';
import { loadRegistry } from './config/load';
import type { Settings } from './config/settings';
import type { SigningIdentity } from './config/signing';
import { createApp } from './http/app';
import { createMetricsApp, Metrics } from './http/metrics';
import type { Registry } from './registry';

const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly server: Server;
  /** The separate listener for /metrics, when `metricsPort` is set. */
  readonly metricsServer?: Server;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startServer(
  settings: Settings,
  initial: Registry,
  logger: Logger,
  signing?: SigningIdentity,
): Promise<RunningServer> {
  let registry = initial;
  const metrics = new Metrics(() => registry, { processMetrics: true });
  metrics.recordConfigLoad(true);
  const app = createApp({ registry: () => registry, settings, logger, signing, metrics });
  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS },
    app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  logger.info({ address: server.address(), providers: registry.providers.length, domains: registry.domainCount }, 'listening');
  let metricsServer: Server | undefined;
  if (settings.metricsEnabled && settings.metricsPort !== undefined) {
    metricsServer = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, createMetricsApp(metrics));
    metricsServer.listen(settings.metricsPort, settings.host);
    await once(metricsServer, 'listening');
    logger.info({ address: metricsServer.address() }, 'metrics listening');
  }

  const reload = async (): Promise<boolean> => {
    try {
      registry = await loadRegistry(settings.configDir, { publicBaseUrl: settings.publicBaseUrl });
      logger.info({ providers: registry.providers.length, domains: registry.domainCount }, 'configuration reloaded');
      metrics.recordConfigLoad(true);
      return true;
    } catch (error) {
      const problems = error instanceof ConfigError ? error.message.split('\n') : [(error as Error).message];
      logger.error({ problems }, 'configuration reload failed; still serving the last good configuration');
      metrics.recordConfigLoad(false);
      return false;
    }
  };
  const close = () =>
    new Promise<void>((resolve) => {
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  return { server, metricsServer, reload, close };
}
