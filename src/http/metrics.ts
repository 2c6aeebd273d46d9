/**
 * Prometheus metrics (prom-client): requests by endpoint, outcome and client family, a
 * latency histogram, the size of the loaded configuration and the history of its loads.
 * Labels come from small fixed sets (never an address or a domain), so the number of
 * series stays bounded whatever clients send. Each Metrics owns its own prom-client
 * registry, so several apps (tests, a separate metrics port) never share counters.
 */
import type { ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { Counter, Gauge, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { rememberRecent } from '../recent-results';
import type { Registry } from '../registry';
import { sendTextError } from './errors';
import { requestOutcome } from './observe';
import { RequestTally } from './request-tally';
import type { RequestView } from './request-view';

export const METRICS_PATH = '/metrics';

export type Endpoint = 'mozilla' | 'outlook' | 'v2 json' | 'apple' | 'pacc' | 'page' | 'other';

/**
 * Endpoint label by request path, first match wins. The one table to extend when a route
 * is added; paths match case-insensitively, as Express routes them.
 */
const ENDPOINTS: readonly (readonly [RegExp, Endpoint])[] = [
  [/^\/(?:\.well-known\/autoconfig\/|v1\.1\/)?mail\/config-v1\.1\.xml$/i, 'mozilla'],
  [/^\/\.well-known\/mail-v1\.xml$/i, 'mozilla'],
  [/^\/autodiscover\/autodiscover\.xml$/i, 'outlook'],
  [/^\/autodiscover\/autodiscover\.json(?:\/|$)/i, 'v2 json'],
  [/^\/mobileconfig$|\.mobileconfig$/i, 'apple'],
  [/^\/\.well-known\/user-agent-configuration\.json$/i, 'pacc'],
  [/^\/(?:setup\/?)?$/i, 'page'],
];

export function endpointOf(path: string): Endpoint {
  return ENDPOINTS.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}

export type ClientFamily = 'thunderbird' | 'outlook' | 'apple' | 'other';

/** The client family a User-Agent names; Outlook before Apple, since Outlook for Mac says "Macintosh". */
const CLIENT_FAMILIES: readonly (readonly [RegExp, ClientFamily])[] = [
  [/thunderbird|icedove|betterbird/i, 'thunderbird'],
  [/outlook|microsoft office|\bmsoffice\b|ms-autodiscover/i, 'outlook'],
  [/iphone|ipad|ipod|\bios\b|mac ?os|macintosh|darwin|cfnetwork|accountsd/i, 'apple'],
];

// Clients send the same few User-Agent strings, and matching a long one costs microseconds.
const familyOfUserAgent = rememberRecent(
  (userAgent) => CLIENT_FAMILIES.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'other',
  1024,
  512,
);

export function clientFamilyOf(userAgent: string | undefined): ClientFamily {
  return userAgent ? familyOfUserAgent(userAgent) : 'other';
}

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop); the server turns it on. */
  readonly processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new MetricsRegistry();
  private readonly requests: RequestTally;
  private readonly configLoads: Counter<'result'>;
  private readonly lastGoodLoad: Gauge;

  constructor(currentRegistry: () => Registry, { processMetrics = false }: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new RequestTally(this.registry, {
      counter: 'mail_autoconfig_requests_total',
      counterHelp: 'Requests answered, by endpoint, outcome and client family (from the User-Agent)',
      histogram: 'mail_autoconfig_request_duration_seconds',
      histogramHelp: 'Time from receiving a request to finishing its answer',
    });
    new Gauge({
      name: 'mail_autoconfig_providers',
      help: 'Providers in the configuration being served',
      registers,
      collect() {
        this.set(currentRegistry().providers.length);
      },
    });
    new Gauge({
      name: 'mail_autoconfig_domains',
      help: 'Hosted domains in the configuration being served',
      registers,
      collect() {
        this.set(currentRegistry().domainCount);
      },
    });
    this.configLoads = new Counter({
      name: 'mail_autoconfig_config_loads_total',
      help: 'Configuration loads and reloads, by result (success, failure)',
      labelNames: ['result'],
      registers,
    });
    this.lastGoodLoad = new Gauge({
      name: 'mail_autoconfig_config_last_good_load_timestamp_seconds',
      help: 'Unix time of the last configuration load that succeeded',
      registers,
    });
    // Both results exist from the start, so a rate() over failures works before the first one.
    this.configLoads.inc({ result: 'success' }, 0);
    this.configLoads.inc({ result: 'failure' }, 0);
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a configuration load; the initial load at start-up counts as one. */
  recordConfigLoad(succeeded: boolean, at: Date = new Date()): void {
    this.configLoads.inc({ result: succeeded ? 'success' : 'failure' });
    if (succeeded) this.lastGoodLoad.set(at.getTime() / 1000);
  }

  /** Counts a request whose answer is finished, and the time it took (on the Express and the lean path). */
  record(view: RequestView, res: ServerResponse, elapsedMs: number): void {
    this.requests.record(endpointOf(view.path), requestOutcome(res), clientFamilyOf(view.userAgent), elapsedMs / 1000);
  }

  /** GET handler for the text exposition format. */
  handler(): RequestHandler {
    return (_req, res, next) => {
      this.registry
        .metrics()
        .then((text) => res.status(200).type(this.registry.contentType).send(text))
        .catch(next);
    };
  }
}

/** The app behind a separate metrics port: /metrics and nothing else. */
export function createMetricsApp(metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get(METRICS_PATH, metrics.handler());
  app.use((_req, res) => sendTextError(res, 404, 'Not found'));
  return app;
}
