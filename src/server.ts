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
import type { LoadedConfig } from './config/load';
import type { Settings } from './config/settings';
import type { AccessLogLines } from './http/access-log';
import { startService } from './service';

export interface RunningServer {
  readonly server: Server;
  /** The internal listener for /metrics and the TLS ask, unless /metrics is on the main port. */
  readonly metricsServer?: Server;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

/** Serves `initial` (as loadConfiguration read it) until a reload replaces it. */
export async function startServer(settings: Settings, initial: LoadedConfig, logger: Logger, accessLogLines?: AccessLogLines): Promise<RunningServer> {
  const service = startService(settings, initial, logger, accessLogLines);
  // Responses not yet sent when shutdown starts are told to close their connection, so
  // keep-alive clients do not hold the server open until keepAliveTimeoutMs. Most answers
  // are sent before the listener returns; only the others (a body still arriving, a
  // profile being signed, a domain asked of the database) need tracking, which spares every other request a listener.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer(service.serverOptions, (req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    service.handle(req, res);
    if (res.headersSent) return;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  service.limitConnections(server);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => resolve());
    });
  } catch (error) {
    // Nothing may keep a server that never listened alive: not the file watches, not the database's pool.
    await service.close();
    throw error;
  }
  logger.info(
    { address: server.address(), configDir: settings.configDir, providers: initial.providerDirectory.providers.length, domains: initial.providerDirectory.domainCount },
    'listening',
  );
  let metricsServer: Server | undefined;
  if (!settings.metricsOnMainPort) {
    metricsServer = createServer(service.serverOptions, service.metricsListener);
    metricsServer.listen(settings.metricsPort, settings.metricsHost);
    await once(metricsServer, 'listening');
    logger.info({ address: metricsServer.address() }, 'metrics listening');
  }

  const close = () =>
    new Promise<void>((resolve) => {
      closing = true;
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const timer = setTimeout(() => {
        logger.warn({ connections: inFlight.size }, 'shutdown grace period over; closing the remaining connections');
        server.closeAllConnections();
      }, settings.shutdownGraceMs).unref();
      server.close(() => {
        clearTimeout(timer);
        void service.close().then(resolve);
      });
      server.closeIdleConnections();
    });
  return { server, metricsServer, reload: service.reload, close };
}
