/**
 * createApp(): the Express application with every protocol router, security headers,
 * access logging and error handling. No I/O beyond serving requests: configuration is
 * loaded by the caller and handed in as a registry getter, so a reload can swap it.
 */
import type { RequestListener } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import pino, { type Logger } from 'pino';
import { healthReport, type ReloadStatus } from '../config/reloader';
import type { Settings } from '../config/settings';
import type { SigningIdentity } from '../config/signing';
import type { Registry } from '../registry';
import { accessLog } from './access-log';
import { sendAnswer, setHeaders, type HeaderList } from './answer';
import { errorHandler, GET_AND_HEAD, otherMethods, PATH_NOT_FOUND } from './errors';
import { METRICS_PATH, Metrics } from './metrics';
import { mozillaAutoconfigHandler, mozillaAutoconfigRouter } from './mozilla-autoconfig';
import { outlookAutodiscoverHandlers, outlookAutodiscoverRouter } from './outlook-autodiscover';
import { appleMobileconfigHandler, appleMobileconfigRouter } from './apple-mobileconfig';
import { leanPath, type LeanPath } from './lean-path';
import { requestSteps } from './request-steps';
import type { TrustProxy } from './request-view';
import { paccRouter } from './pacc';
import { unroutedPaths } from './unrouted';
import { setupPageRouter } from './setup-page';
import { rateLimiter, type RateLimitOptions } from './rate-limit';

export interface AppOptions {
  readonly registry: Registry | (() => Registry);
  readonly settings: Pick<Settings, 'bodyLimitBytes' | 'trustProxy' | 'autodiscoverHttpsRedirect'> &
    Partial<Pick<Settings, 'metricsEnabled' | 'metricsPort' | 'logEmailAddresses' | 'autodiscoverTtlHours'>>;
  readonly logger?: Logger;
  /** Signs Apple profiles when given (the running server's changes on reload); they are served unsigned otherwise. */
  readonly signing?: SigningIdentity | (() => SigningIdentity | undefined);
  /** The server passes its own, so reload counts and a separate metrics port share it. */
  readonly metrics?: Metrics;
  /** Reload state for /healthz (the running server's; absent in tests of single requests). */
  readonly status?: () => ReloadStatus;
  /** Per-client limits; the running server always sets them, tests of single requests need not. */
  readonly rateLimit?: RateLimitOptions;
}

export function createApp(options: AppOptions): Express {
  return assemble(options).app;
}

/**
 * The server's request listener: the lean path answers the hot protocol requests with the
 * same handlers and cross-cutting steps as the Express app, which gets everything else.
 */
export function createRequestListener(options: AppOptions): RequestListener {
  const { app, lean } = assemble(options);
  return (req, res) => {
    if (!lean(req, res)) app(req, res);
  };
}

function assemble({
  registry,
  settings,
  logger = pino({ level: 'silent' }),
  signing,
  metrics: givenMetrics,
  status,
  rateLimit,
}: AppOptions): { app: Express; lean: LeanPath } {
  const currentRegistry = typeof registry === 'function' ? registry : () => registry;
  const currentSigning = typeof signing === 'function' ? signing : () => signing;
  const metrics = givenMetrics ?? new Metrics(currentRegistry);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  // Routes stay case-insensitive (Express's default): clients vary the case of
  // /Autodiscover/Autodiscover.xml (protocols.md G22).
  app.set('case sensitive routing', false);

  const steps = requestSteps({
    trust: app.get('trust proxy fn') as TrustProxy,
    metrics,
    accessLog: accessLog(logger, settings.logEmailAddresses ?? false),
    rateLimiter: rateLimit && rateLimiter(rateLimit),
  });
  const runSteps: RequestHandler = (req, res, next) => {
    const headers: HeaderList = [];
    const refusal = steps(req, res, headers);
    if (refusal) return sendAnswer(res, refusal, headers);
    setHeaders(res, headers);
    next();
  };
  app.use(runSteps);

  app.get('/healthz', (_req, res) => {
    // Still 200 after a failed reload: the last good configuration is being served.
    res.json(healthReport(currentRegistry(), status?.()));
  });
  const servedByApp = ['/healthz'];
  if (settings.metricsEnabled !== false && settings.metricsPort === undefined) {
    app.get(METRICS_PATH, metrics.handler());
    servedByApp.push(METRICS_PATH);
  }
  app.use(mozillaAutoconfigRouter(currentRegistry));
  app.use(appleMobileconfigRouter(currentRegistry, currentSigning));
  app.use(paccRouter(currentRegistry));
  app.use(
    outlookAutodiscoverRouter({
      registry: currentRegistry,
      bodyLimitBytes: settings.bodyLimitBytes,
      httpsRedirect: settings.autodiscoverHttpsRedirect,
      ttlHours: settings.autodiscoverTtlHours,
    }),
  );

  app.use(setupPageRouter({ registry: currentRegistry, appleProfilePath: '/mobileconfig' }));

  app.all(servedByApp, otherMethods(GET_AND_HEAD));
  const notFound: RequestHandler = (_req, res) => sendAnswer(res, PATH_NOT_FOUND);
  app.use(notFound);
  const handleError = errorHandler(logger);
  app.use(handleError);

  const lean = leanPath({
    handlers: {
      mozilla: mozillaAutoconfigHandler(currentRegistry),
      apple: appleMobileconfigHandler(currentRegistry, currentSigning),
      ...outlookAutodiscoverHandlers({
        registry: currentRegistry,
        bodyLimitBytes: settings.bodyLimitBytes,
        httpsRedirect: settings.autodiscoverHttpsRedirect,
        ttlHours: settings.autodiscoverTtlHours,
      }),
    },
    steps,
    errorHandler: handleError,
    bodyLimitBytes: settings.bodyLimitBytes,
    unrouted: unroutedPaths(app, { passThrough: [runSteps], notFound }),
  });
  return { app, lean };
}
