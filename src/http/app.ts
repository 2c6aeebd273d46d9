/**
 * createApp(): the Express application with every protocol router, security headers,
 * access logging and error handling. No I/O beyond serving requests: configuration is
 * loaded by the caller and handed in as a registry getter, so a reload can swap it.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { ReloadStatus } from '../config/reloader';
import type { Settings } from '../config/settings';
import type { Registry } from '../registry';
import { errorHandler, sendTextError } from './errors';
import { MOZILLA_PATHS, mozillaAutoconfigRouter } from './mozilla-autoconfig';
import { outlookAutodiscoverRouter } from './outlook-autodiscover';
import { rateLimiter, type RateLimitOptions } from './rate-limit';
import { POX_PATH } from '../formats/autodiscover-v2';

export interface AppOptions {
  readonly registry: Registry | (() => Registry);
  readonly settings: Pick<Settings, 'bodyLimitBytes' | 'trustProxy' | 'autodiscoverHttpsRedirect'>;
  readonly logger?: Logger;
  /** Reload state for /healthz (the running server's; absent in tests of single requests). */
  readonly status?: () => ReloadStatus;
  /** Per-client limits; the running server always sets them, tests of single requests need not. */
  readonly rateLimit?: RateLimitOptions;
}

export function createApp({ registry, settings, logger = pino({ level: 'silent' }), status, rateLimit }: AppOptions): Express {
  const currentRegistry = typeof registry === 'function' ? registry : () => registry;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  // Routes stay case-insensitive (Express's default): clients vary the case of
  // /Autodiscover/Autodiscover.xml (protocols.md G22).
  app.set('case sensitive routing', false);

  app.use(
    pinoHttp({
      logger,
      // Paths only: query strings carry email addresses, and headers carry passwords
      // (Authorization: Basic, protocols.md G16), so neither is logged.
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers: Record<string, string> }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          host: req.headers.host,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  const limiter = rateLimit && rateLimiter(rateLimit, logger);
  if (limiter) app.use(limiter);

  app.get('/healthz', (_req, res) => {
    const current = currentRegistry();
    // Still 200 after a failed reload: the last good configuration is being served.
    res.json({ status: 'ok', providers: current.providers.length, domains: current.domainCount, ...status?.() });
  });
  app.use(mozillaAutoconfigRouter(currentRegistry));
  app.use(
    outlookAutodiscoverRouter({
      registry: currentRegistry,
      bodyLimitBytes: settings.bodyLimitBytes,
      httpsRedirect: settings.autodiscoverHttpsRedirect,
    }),
  );

  app.all([...MOZILLA_PATHS, '/healthz'], (_req, res) => {
    res.set('Allow', 'GET, HEAD');
    sendTextError(res, 405, 'Method not allowed');
  });
  app.all(POX_PATH, (_req, res) => {
    res.set('Allow', 'GET, HEAD, POST');
    sendTextError(res, 405, 'Method not allowed');
  });
  app.use((_req, res) => sendTextError(res, 404, 'Not found'));
  app.use(errorHandler(logger));
  return app;
}
