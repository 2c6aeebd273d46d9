/**
 * The request duration histogram, counted in plain numbers per endpoint and bucket and
 * written in Prometheus's text format when scraped, beside prom-client's own metrics.
 * prom-client's Histogram hashes and validates its label set on every observation, the
 * largest share of counting a request (docs/performance.md#choices-in-the-code); the
 * format written is the one prom-client writes for a histogram, which a test compares
 * sample by sample.
 */

interface EndpointDurations {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class RequestDurations {
  private readonly byEndpoint = new Map<string, EndpointDurations>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    readonly buckets: readonly number[],
  ) {}

  observe(endpoint: string, seconds: number): void {
    let durations = this.byEndpoint.get(endpoint);
    if (!durations) this.byEndpoint.set(endpoint, (durations = { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 }));
    let bucket = 0;
    while (bucket < this.buckets.length && seconds > this.buckets[bucket]!) bucket += 1;
    durations.counts[bucket]! += 1;
    durations.sum += seconds;
    durations.count += 1;
  }

  /** The histogram in the text exposition format (version 0.0.4), ending with a newline. */
  exposition(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const [endpoint, { counts, sum, count }] of this.byEndpoint) {
      const label = `endpoint="${escapeLabelValue(endpoint)}"`;
      let cumulative = 0;
      counts.forEach((observed, index) => {
        cumulative += observed;
        const bound = index < this.buckets.length ? String(this.buckets[index]) : '+Inf';
        lines.push(`${this.name}_bucket{le="${bound}",${label}} ${cumulative}`);
      });
      lines.push(`${this.name}_sum{${label}} ${sum}`, `${this.name}_count{${label}} ${count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

// The text format's escaping: backslash and newline in help texts, and the double quote too in label values.
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (text: string) => escapeHelp(text).replace(/"/g, '\\"');
