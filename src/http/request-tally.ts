/**
 * Request counts and durations, kept in plain numbers on the hot path and read out by
 * prom-client when /metrics is scraped. prom-client's own counters and histograms hash
 * their label set on every increment and observation, which cost more per request than
 * serving a precomputed autoconfig document (issue 7); here a request costs one Map
 * lookup by a key of fixed labels and a bucket search.
 */
import { Counter, type Metric, type Registry } from 'prom-client';

/** Upper bounds of the duration buckets, in seconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

type Labels = Record<string, string>;

interface CountSeries {
  readonly labels: Labels;
  count: number;
}

interface DurationSeries {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative), the last one for +Inf. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export interface RequestTallyNames {
  readonly counter: string;
  readonly counterHelp: string;
  readonly histogram: string;
  readonly histogramHelp: string;
}

/** Requests by endpoint, outcome and client, and their durations by endpoint. */
export class RequestTally {
  /** By endpoint, outcome and client. */
  private readonly counts = new Map<string, Map<string, Map<string, CountSeries>>>();
  private readonly durations = new Map<string, DurationSeries>();

  constructor(registry: Registry, names: RequestTallyNames) {
    const counts = this.counts;
    new Counter({
      name: names.counter,
      help: names.counterHelp,
      labelNames: ['endpoint', 'outcome', 'client'],
      registers: [registry],
      // Called before each scrape: the counter is rebuilt from the tally.
      collect() {
        this.reset();
        for (const byOutcome of counts.values()) {
          for (const byClient of byOutcome.values()) for (const { labels, count } of byClient.values()) this.inc(labels, count);
        }
      },
    });
    registry.registerMetric(this.histogram(names.histogram, names.histogramHelp) as unknown as Metric);
  }

  record(endpoint: string, outcome: string, client: string, seconds: number): void {
    // Looked up label by label: joining the labels into one key cost more than the lookups.
    let byOutcome = this.counts.get(endpoint);
    if (!byOutcome) this.counts.set(endpoint, (byOutcome = new Map()));
    let byClient = byOutcome.get(outcome);
    if (!byClient) byOutcome.set(outcome, (byClient = new Map()));
    let counted = byClient.get(client);
    if (!counted) byClient.set(client, (counted = { labels: { endpoint, outcome, client }, count: 0 }));
    counted.count += 1;
    let timed = this.durations.get(endpoint);
    if (!timed) {
      timed = { labels: { endpoint }, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      this.durations.set(endpoint, timed);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket += 1;
    timed.buckets[bucket]! += 1;
    timed.sum += seconds;
    timed.count += 1;
  }

  /** The histogram as prom-client's registry reads a metric: name, help, type and its samples. */
  private histogram(name: string, help: string) {
    const durations = this.durations;
    const read = () => {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const { labels, buckets, sum, count } of durations.values()) {
        let cumulative = 0;
        DURATION_BUCKETS.forEach((bound, index) => {
          cumulative += buckets[index]!;
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
        values.push({ metricName: `${name}_sum`, labels, value: sum });
        values.push({ metricName: `${name}_count`, labels, value: count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    };
    return { name, help, type: 'histogram', aggregator: 'sum', get: read, reset: () => durations.clear() };
  }
}
