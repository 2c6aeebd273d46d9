import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { RequestDurations } from '../src/http/request-durations';
import { parseExposition } from './support/exposition';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The exposition's comment lines and its samples in a stable order. */
function readBack(text: string) {
  const comments = text.split('\n').filter((line) => line.startsWith('#'));
  const samples = parseExposition(text).map((sample) => JSON.stringify(sample));
  return { comments, samples: samples.sort() };
}

describe('request durations', () => {
  test("the histogram written is the one prom-client's own Histogram writes for the same observations", async () => {
    // Bounds themselves, values between and beyond them, and label values the format must escape.
    const seconds = fc.oneof(fc.constantFrom(0, ...BUCKETS), fc.double({ min: 0, max: 5, noNaN: true }));
    const endpoint = fc.constantFrom('mozilla', 'outlook', 'v2 json', 'a "quoted" \\ back\nslash');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(endpoint, seconds), { maxLength: 60 }), async (observations) => {
        const help = 'Time from receiving a request to finishing its answer \\ with a\nnewline';
        const ours = new RequestDurations('test_duration_seconds', help, BUCKETS);
        const registry = new Registry();
        const theirs = new Histogram({ name: 'test_duration_seconds', help, labelNames: ['endpoint'], buckets: BUCKETS, registers: [registry] });
        for (const [name, value] of observations) {
          ours.observe(name, value);
          theirs.observe({ endpoint: name }, value);
        }
        expect(readBack(ours.exposition())).toEqual(readBack(await registry.metrics()));
      }),
      { numRuns: 200 },
    );
  });
});
