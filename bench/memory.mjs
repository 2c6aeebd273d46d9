/**
 * `npm run bench:memory [-- --requests 1000000]`: the memory check. Starts the built
 * server on the shipped config (access log on, to /dev/null) and, as the baseline, the
 * raw node:http ceiling (bench/ceiling.mjs), and sends each the bench's hot requests in
 * turn with autocannon, 10 000 at a time per endpoint, the two servers taking turns chunk
 * by chunk so that both see the same minutes. Prints each server's RSS after the first
 * 10 000 requests and then every 100 000 up to the total, each time after a second of
 * quiet; then, for each, the growth from the first figure to the last (the check)
 * and the range of the readings from 100 000 on with the lowest of each half (what tells a
 * leak from V8's collection cycle). At the first and the last reading, both servers also
 * run a full garbage collection (bench/collect-on-signal.mjs) and report RSS again, with
 * where it is: V8's young generation, live objects in old space, code, memory outside the
 * heap. That is what they hold once nothing dead is left, which compares without landing
 * somewhere in a collection cycle. The ceiling answers every request with a fixed body,
 * so what it grows by is what Node itself grows by under this traffic (its young
 * generation reaching working size, a new connection per 10 000 requests and client).
 * It is a script, not a test, and passes no judgement beyond those figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ROOT, driveAmount, firstAnswers, freePort, rssMb, startCeiling, startServer, stop } from './harness.mjs';
import { PROBES } from './probes.mjs';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' }, connections: { type: 'string', default: '50' } } });
const total = Number(values.requests);
const connections = Number(values.connections);
const print = (line) => process.stdout.write(`${line}\n`);

const COLLECTABLE = ['--expose-gc', '--import', path.join(import.meta.dirname, 'collect-on-signal.mjs')];
const heapDir = mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
const heapFile = (name) => path.join(heapDir, `${name}.json`);
const ourPort = await freePort();
const { child: ours } = await startServer(path.join(ROOT, 'config'), ourPort, { MAIL_AUTOCONFIG_RATE_LIMIT: '0', BENCH_HEAP_FILE: heapFile('ours') }, COLLECTABLE);
const children = [ours];
try {
  const { sizes } = await firstAnswers(ourPort, PROBES);
  const { port: ceilingPort, child: ceiling } = await startCeiling(sizes, { nodeOptions: COLLECTABLE, env: { BENCH_HEAP_FILE: heapFile('ceiling') } });
  children.push(ceiling);
  const servers = [
    { name: 'ours', port: ourPort, child: ours, readings: [], collected: [], errors: 0 },
    { name: 'ceiling', port: ceilingPort, child: ceiling, readings: [], collected: [], errors: 0 },
  ];
  /** What each server holds after a full collection. */
  const readCollected = async () => {
    for (const server of servers) server.child.kill('SIGUSR2');
    await sleep(1000);
    for (const server of servers) server.collected.push(JSON.parse(readFileSync(heapFile(server.name), 'utf8')));
  };

  let sent = 0;
  let nextReport = 10_000;
  const chunk = (left) => Math.min(left, sent < 10_000 ? Math.ceil(10_000 / PROBES.length) : 10_000);
  print(`${'requests'.padStart(8)}  ${servers.map(({ name }) => `RSS ${name}`.padStart(14)).join('')}`);
  while (sent < total) {
    for (const probe of PROBES) {
      const amount = chunk(total - sent);
      if (amount <= 0) break;
      let requests = 0;
      for (const server of servers) {
        const result = await driveAmount(server.port, probe, { amount, connections });
        server.errors += result.errors;
        requests = result.requests;
      }
      sent += requests;
    }
    if (sent >= nextReport || sent >= total) {
      // A second of quiet first, alike for every reading: what is read is what the server
      // holds on to, not the garbage of the last burst that V8 has yet to collect.
      await sleep(1000);
      for (const server of servers) server.readings.push({ sent, rss: rssMb(server.child.pid) });
      print(`${String(sent).padStart(8)}  ${servers.map(({ readings }) => `${readings.at(-1).rss.toFixed(1)} MB`.padStart(14)).join('')}`);
      if (servers[0].readings.length === 1 || sent >= total) await readCollected();
      nextReport = nextReport === 10_000 ? 100_000 : nextReport + 100_000;
    }
  }
  const growth = (first, last) => `${first.toFixed(1)} MB, after ${sent}: ${last.toFixed(1)} MB (${(((last - first) / first) * 100).toFixed(1)} %)`;
  const mb = (bytes) => bytes / 2 ** 20;
  // Where memory is after a full collection: the young generation's committed size (V8
  // grows it to the allocation rate, up to 2 × 16 MB), what is alive in old space, and
  // memory outside V8's heap that it knows of (buffers' contents).
  const where = ({ spaces, external }) =>
    `young generation ${mb(spaces.new_space.physical).toFixed(1)}, live in old space ${mb(spaces.old_space.used).toFixed(1)}, code ${mb(spaces.code_space.physical).toFixed(1)}, outside the heap ${mb(external).toFixed(1)} MB`;
  for (const { name, readings, collected, errors } of servers) {
    print(`${name}: RSS after the first 10 000: ${growth(readings[0].rss, readings.at(-1).rss)}, ${errors} socket errors`);
    print(`  after a full collection: ${growth(mb(collected[0].rss), mb(collected.at(-1).rss))}`);
    print(`    first: ${where(collected[0])}`);
    print(`    last:  ${where(collected.at(-1))}`);
    // Old space fills with dead objects between full collections, so a single reading can
    // land anywhere in V8's collection cycle: the range shows the cycle, and a lowest
    // reading that keeps rising would show a leak.
    const later = readings.filter((reading) => reading.sent >= 100_000).map((reading) => reading.rss);
    if (later.length > 1) {
      const half = Math.ceil(later.length / 2);
      const lowest = (list) => Math.min(...list).toFixed(1);
      print(`  readings from 100 000 on: ${lowest(later)}–${Math.max(...later).toFixed(1)} MB; lowest in the first half ${lowest(later.slice(0, half))} MB, in the second ${lowest(later.slice(half))} MB`);
    }
  }
} finally {
  for (const child of children) await stop(child);
  rmSync(heapDir, { recursive: true, force: true });
}
