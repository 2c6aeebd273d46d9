/**
 * Prometheus metrics (prom-client): requests by endpoint, outcome and client family, a
 * latency histogram, the size of the loaded configuration and the history of its loads.
 * Labels come from small fixed sets (never an address or a domain), so the number of
 * series stays bounded whatever clients send. Each Metrics owns its own prom-client
 * registry, so several apps (tests, a separate metrics port) never share counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { Registry } from '../registry';
import { sendTextError } from './errors';
import { requestOutcome, type Outcome } from './observe';
import { viewOf } from './request-view';

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

export function clientFamilyOf(userAgent: string | undefined): ClientFamily {
  if (!userAgent) return 'other';
  return CLIENT_FAMILIES.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'other';
}

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop); the server turns it on. */
  readonly processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new MetricsRegistry();
  private readonly requests: Counter<'endpoint' | 'outcome' | 'client'>;
  private readonly duration: Histogram<'endpoint'>;
  private readonly configLoads: Counter<'result'>;
  private readonly lastGoodLoad: Gauge;

  constructor(currentRegistry: () => Registry, { processMetrics = false }: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'mail_autoconfig_requests_total',
      help: 'Requests answered, by endpoint, outcome and client family (from the User-Agent)',
      labelNames: ['endpoint', 'outcome', 'client'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mail_autoconfig_request_duration_seconds',
      help: 'Time from receiving a request to finishing its answer',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
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

  /** Times a request and counts it when its answer is finished (on the Express and the lean path). */
  observe(req: IncomingMessage, res: ServerResponse): void {
    const view = viewOf(req);
    const endpoint = endpointOf(view.path);
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      this.durationOf(endpoint).observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.counterOf(endpoint, requestOutcome(res), clientFamilyOf(view.userAgent)).inc();
    });
  }

  // prom-client hashes the label set on every call; the sets are few and fixed, so each
  // labelled child is made once.
  private readonly durations = new Map<Endpoint, { observe(seconds: number): void }>();
  private readonly counters = new Map<string, { inc(): void }>();

  private durationOf(endpoint: Endpoint): { observe(seconds: number): void } {
    let child = this.durations.get(endpoint);
    if (!child) this.durations.set(endpoint, (child = this.duration.labels({ endpoint })));
    return child;
  }

  private counterOf(endpoint: Endpoint, outcome: Outcome, client: ClientFamily): { inc(): void } {
    const key = `${endpoint}|${outcome}|${client}`;
    let child = this.counters.get(key);
    if (!child) this.counters.set(key, (child = this.requests.labels({ endpoint, outcome, client })));
    return child;
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
