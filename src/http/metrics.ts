/**
 * Prometheus metrics (prom-client): requests by endpoint, outcome and client family, a
 * latency histogram, the size of the loaded configuration and the history of its loads.
 * Labels come from small fixed sets (never an address or a domain), so the number of
 * series stays bounded whatever clients send. Each Metrics owns its own prom-client
 * registry, so several apps (tests, a separate metrics port) never share counters.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { rememberRecent } from '../model/recent-results';
import type { ProviderDirectory } from '../model/provider-directory';
import type { Answer } from './answer';
import { requestOutcome } from './observe';
import { RequestDurations } from './request-durations';
import type { RequestView } from './request-view';

export type ClientFamily = 'thunderbird' | 'outlook' | 'apple' | 'other';

/** The client family a User-Agent names; Outlook before Apple, since Outlook for Mac says "Macintosh". */
const CLIENT_FAMILIES: readonly (readonly [RegExp, ClientFamily])[] = [
  [/thunderbird|icedove|betterbird/i, 'thunderbird'],
  [/outlook|microsoft office|\bmsoffice\b|ms-autodiscover/i, 'outlook'],
  [/iphone|ipad|ipod|\bios\b|mac ?os|macintosh|darwin|cfnetwork|accountsd/i, 'apple'],
];

// Clients send the same few User-Agent strings, and a remembered result spares matching each pattern per request.
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
  /** Whether the domain database answers, when one is configured: exported as a 0/1 gauge. */
  readonly domainDatabaseUp?: () => boolean;
}

/**
 * How a domain lookup with a database configured was answered: `hit` and `miss` without
 * the database (the files or the cache knew), `query` by asking it, `unavailable` when
 * it could not tell (the request got a 503).
 */
export type DomainLookupResult = 'hit' | 'miss' | 'query' | 'unavailable';
const DOMAIN_LOOKUP_RESULTS: readonly DomainLookupResult[] = ['hit', 'miss', 'query', 'unavailable'];

export class Metrics {
  readonly registry = new MetricsRegistry();
  private readonly requests: Counter<'endpoint' | 'outcome' | 'client'>;
  private readonly durations = new RequestDurations(
    'mail_autoconfig_request_duration_seconds',
    'Time from receiving a request to finishing its answer',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  );
  /** Counts by endpoint, outcome and client, handed to the counter when it is scraped. */
  private readonly counted = new Map<string, Map<string, Map<string, { readonly labels: Record<string, string>; count: number }>>>();
  private readonly configLoads: Counter<'result'>;
  private readonly lastGoodLoad: Gauge;
  /** Domain lookups by result, in plain numbers for the same reason as the requests. */
  private readonly domainLookups: Record<DomainLookupResult, number> = { hit: 0, miss: 0, query: 0, unavailable: 0 };

  constructor(currentProviderDirectory: () => ProviderDirectory, { processMetrics = false, domainDatabaseUp }: MetricsOptions = {}) {
    const registers = [this.registry];
    const counted = this.counted;
    this.requests = new Counter({
      name: 'mail_autoconfig_requests_total',
      help: 'Requests answered, by endpoint, outcome and client family (from the User-Agent)',
      labelNames: ['endpoint', 'outcome', 'client'],
      registers,
      // Counted in plain numbers per request, since a prom-client increment hashes its label
      // set each time; the counter is rebuilt from them before each scrape.
      collect() {
        this.reset();
        for (const byOutcome of counted.values()) {
          for (const byClient of byOutcome.values()) for (const { labels, count } of byClient.values()) this.inc(labels, count);
        }
      },
    });
    new Gauge({
      name: 'mail_autoconfig_providers',
      help: 'Providers in the configuration being served',
      registers,
      collect() {
        this.set(currentProviderDirectory().providers.length);
      },
    });
    new Gauge({
      name: 'mail_autoconfig_domains',
      help: 'Hosted domains in the configuration being served',
      registers,
      collect() {
        this.set(currentProviderDirectory().domainCount);
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
    if (domainDatabaseUp) {
      new Gauge({
        name: 'mail_autoconfig_domain_database_up',
        help: 'Whether the domain database answers (1) or is unreachable or failing (0)',
        registers,
        collect() {
          this.set(domainDatabaseUp() ? 1 : 0);
        },
      });
      const lookups = this.domainLookups;
      new Counter({
        name: 'mail_autoconfig_domain_lookups_total',
        help: 'Domain lookups with a database configured, by result (hit, miss: answered without asking it; query; unavailable)',
        labelNames: ['result'],
        registers,
        collect() {
          this.reset();
          for (const result of DOMAIN_LOOKUP_RESULTS) this.inc({ result }, lookups[result]);
        },
      });
    }
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a configuration load; the initial load at start-up counts as one. */
  recordConfigLoad(succeeded: boolean, at: Date = new Date()): void {
    this.configLoads.inc({ result: succeeded ? 'success' : 'failure' });
    if (succeeded) this.lastGoodLoad.set(at.getTime() / 1000);
  }

  /** Counts a domain lookup made with a database configured. */
  recordDomainLookup(result: DomainLookupResult): void {
    this.domainLookups[result] += 1;
  }

  /** Counts a request whose answer is finished, and the time it took. */
  record(view: RequestView, res: ServerResponse, elapsedMs: number): void {
    const { endpoint } = view;
    const outcome = requestOutcome(res);
    const client = clientFamilyOf(view.userAgent);
    // Looked up label by label, so no key string is built per request.
    let byOutcome = this.counted.get(endpoint);
    if (!byOutcome) this.counted.set(endpoint, (byOutcome = new Map()));
    let byClient = byOutcome.get(outcome);
    if (!byClient) byOutcome.set(outcome, (byClient = new Map()));
    let counter = byClient.get(client);
    if (!counter) byClient.set(client, (counter = { labels: { endpoint, outcome, client }, count: 0 }));
    counter.count += 1;
    this.durations.observe(endpoint, elapsedMs / 1000);
  }

  /** The text exposition format, as an answer. */
  async answer(): Promise<Answer> {
    return { status: 200, contentType: this.registry.contentType, body: (await this.registry.metrics()) + this.durations.exposition() };
  }
}
