/**
 * The app, built from the route table (routes.ts): as the dispatcher itself, which passes
 * the paths no route serves on when given `next` (createMiddleware: the standalone
 * server's and an embedding site's, through service.ts), and as an Express application
 * (createApp) that a site can mount under a prefix. Both run the same dispatcher, so they
 * answer every request with the same bytes. No I/O beyond serving requests: configuration
 * is loaded by the caller and handed in as a provider directory getter, so a reload can
 * swap it.
 */
import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import proxyaddr from 'proxy-addr';
import type { ReloadStatus } from '../config/reloader';
import type { Settings } from '../config/settings';
import type { SigningIdentity } from '../model/signing-identity';
import type { DatabaseDomainSource } from '../domains/database-source';
import type { ProviderDirectory } from '../model/provider-directory';
import { accessLog, type AccessLogLines } from './access-log';
import { createDispatcher, type Dispatcher } from './dispatcher';
import { errorHandler } from './errors';
import { Metrics } from './metrics';
import { rateLimiter, type RateLimitOptions } from './rate-limit';
import type { TrustProxy } from './request-view';
import { METRICS_PORT_ROUTES, ROUTES } from './routes';

export interface AppOptions {
  readonly providerDirectory: ProviderDirectory | (() => ProviderDirectory);
  readonly settings: Pick<Settings, 'bodyLimitBytes' | 'trustProxy' | 'autodiscoverHttpsRedirect'> &
    Partial<Pick<Settings, 'metricsEnabled' | 'metricsOnMainPort' | 'logEmailAddresses' | 'autodiscoverTtlHours' | 'signedProfileCacheEntries'>>;
  readonly logger?: Logger;
  /** The standalone server's log destination: access log lines are written to it directly, in pino's line format. */
  readonly accessLogLines?: AccessLogLines;
  /** Signs Apple profiles when given (the running server's changes on reload); they are served unsigned otherwise. */
  readonly signing?: SigningIdentity | (() => SigningIdentity | undefined);
  /** The server passes its own, so reload counts and a separate metrics port share it. */
  readonly metrics?: Metrics;
  /** Reload state for /healthz (the running server's; absent in tests of single requests). */
  readonly status?: () => ReloadStatus;
  /** Per-client limits; the running server always sets them, tests of single requests need not. */
  readonly rateLimit?: RateLimitOptions;
  /** Hosted domains from PostgreSQL besides the files (started and closed by the caller). */
  readonly domainSource?: DatabaseDomainSource;
}

export interface ExpressAppOptions extends AppOptions {
  /**
   * Inside a host site: pass the paths no route serves on to the host's next handler,
   * instead of answering them 404.
   */
  readonly passUnmatched?: boolean;
}

/** The Express application: mount it with `app.use(createApp(...))` or under a prefix. */
export function createApp(options: ExpressAppOptions): Express {
  const dispatch = dispatcher(options);
  const app = express();
  app.disable('x-powered-by');
  app.use(options.passUnmatched ? (req, res, next) => dispatch(req, res, () => next()) : (req, res) => dispatch(req, res));
  return app;
}

/**
 * The dispatcher: it answers what the routes serve, and passes every other path to `next`
 * when given one (as Express middleware or in front of a site), else answers it 404.
 * A plain function rather than an Express application: Express swaps the prototypes of
 * every request and response an application handles, which costs more than answering
 * (docs/performance.md), so in front of a site our answers go without Express at all.
 */
export function createMiddleware(options: AppOptions): Dispatcher {
  return dispatcher(options);
}

export interface MetricsListenerOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** For the TLS ask: the domains being served. */
  readonly providerDirectory: () => ProviderDirectory;
  readonly domainSource?: DatabaseDomainSource;
  readonly settings: Pick<Settings, 'metricsEnabled'>;
}

/** The listener of the separate metrics port: /metrics and the TLS ask, not counted themselves. */
export function createMetricsListener({ metrics, logger, providerDirectory, domainSource, settings }: MetricsListenerOptions): RequestListener {
  const dispatch = createDispatcher({
    routes: METRICS_PORT_ROUTES.filter((route) => route.when?.(settings) ?? true),
    context: { providerDirectory, signing: () => undefined, settings: { autodiscoverHttpsRedirect: false }, metrics, domainSource },
    trust: trustProxy(false),
    bodyLimitBytes: 0,
    errorHandler: errorHandler(logger),
  });
  return (req, res) => dispatch(req, res);
}

function dispatcher({ providerDirectory, settings, logger = pino({ level: 'silent' }), accessLogLines, signing, metrics: givenMetrics, status, rateLimit, domainSource }: AppOptions): Dispatcher {
  const currentProviderDirectory = typeof providerDirectory === 'function' ? providerDirectory : () => providerDirectory;
  const currentSigning = typeof signing === 'function' ? signing : () => signing;
  const metrics = givenMetrics ?? new Metrics(currentProviderDirectory);
  return createDispatcher({
    routes: ROUTES.filter((route) => route.when?.(settings) ?? true),
    context: { providerDirectory: currentProviderDirectory, signing: currentSigning, settings, metrics, status, domainSource },
    trust: trustProxy(settings.trustProxy),
    bodyLimitBytes: settings.bodyLimitBytes,
    errorHandler: errorHandler(logger),
    metrics,
    accessLog: accessLog(logger, settings.logEmailAddresses ?? false, accessLogLines),
    rateLimiter: rateLimit && rateLimiter(rateLimit),
  });
}

/** The `trust proxy` setting compiled as Express compiles it: all, a hop count, or a list of addresses and ranges. */
export function trustProxy(setting: Settings['trustProxy']): TrustProxy {
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(typeof setting === 'string' ? setting.split(',').map((entry) => entry.trim()) : []);
}
