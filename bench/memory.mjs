/**
 * `npm run bench:memory [-- --requests 1000000]`: the memory check. Starts the built
 * server on the shipped config (access log on, to /dev/null) and sends it the bench's hot
 * requests in turn with autocannon, 10 000 at a time per endpoint, printing the server's
 * RSS after the first 10 000 requests and then every 100 000 up to the total, each time
 * after a second of quiet. Prints the growth from the first figure to the last (the
 * issue's check), and the range of the readings from 100 000 on with the lowest of each
 * half (what tells a leak from V8's collection cycle); it is a script, not a test, and
 * passes no judgement beyond those figures.
 */
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ROOT, driveAmount, freePort, rssMb, startServer, stop } from './harness.mjs';
import { PROBES } from './probes.mjs';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' }, connections: { type: 'string', default: '50' } } });
const total = Number(values.requests);
const connections = Number(values.connections);
const print = (line) => process.stdout.write(`${line}\n`);

const port = await freePort();
const { child } = await startServer(path.join(ROOT, 'config'), port, { MAIL_AUTOCONFIG_RATE_LIMIT: '0' });
try {
  let sent = 0;
  let errors = 0;
  let nextReport = 10_000;
  let first;
  let last;
  // Readings from 100 000 requests on, when V8's heap has reached its working size.
  const later = [];
  const chunk = (left) => Math.min(left, sent < 10_000 ? Math.ceil(10_000 / PROBES.length) : 10_000);
  while (sent < total) {
    for (const probe of PROBES) {
      const amount = chunk(total - sent);
      if (amount <= 0) break;
      const result = await driveAmount(port, probe, { amount, connections });
      sent += result.requests;
      errors += result.errors;
    }
    if (sent >= nextReport || sent >= total) {
      // A second of quiet first, alike for every reading: what is read is what the server
      // holds on to, not the garbage of the last burst that V8 has yet to collect.
      await sleep(1000);
      last = rssMb(child.pid);
      first ??= last;
      if (sent >= 100_000) later.push(last);
      print(`${String(sent).padStart(8)} requests  server RSS ${last.toFixed(1)} MB`);
      nextReport = nextReport === 10_000 ? 100_000 : nextReport + 100_000;
    }
  }
  print(`RSS after the first 10 000: ${first.toFixed(1)} MB, after ${sent}: ${last.toFixed(1)} MB (${(((last - first) / first) * 100).toFixed(1)} %), ${errors} socket errors`);
  // Old space fills with dead objects between full collections, so a single reading can
  // land anywhere in a cycle of about 20 MB: the range shows the cycle, and a lowest
  // reading that keeps rising would show a leak.
  if (later.length > 1) {
    const half = Math.ceil(later.length / 2);
    const lowest = (readings) => Math.min(...readings).toFixed(1);
    print(`readings from 100 000 on: ${lowest(later)}–${Math.max(...later).toFixed(1)} MB; lowest in the first half ${lowest(later.slice(0, half))} MB, in the second ${lowest(later.slice(half))} MB`);
  }
} finally {
  await stop(child);
}
