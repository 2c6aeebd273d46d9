/**
 * `node bench/ab.mjs [--rounds 6] [--seconds 2] [--probe NAME] [--config DIR --domain NAME] [--variant 'LABEL:ENV=V,ENV=V'] ...`
 * (after `npm run build`): what one setting costs, on a shared machine. Starts the raw
 * ceiling and the built server once per variant (each with its environment: for example
 * `--variant 'no access log:LOG_LEVEL=warn'`), all at once, then drives them in turns,
 * `rounds` times, and prints each one's median CPU time per request and its ratio to the
 * ceiling's. Taking turns for a minute or more spreads the machine's slow and fast
 * moments over all of them, which measuring one after the other does not: on the
 * development machine the ceiling alone moved between 42 and 75 µs within one bench run.
 * Without variants it compares everything on, no access log, no rate limit, and neither.
 * `--embedded` adds the package embedded in an Express site as the docs set it up.
 * To compare two commits, build the older one, copy its dist/ to a directory inside the
 * repository (dist-* is ignored by git) and name it: `--variant 'before:BENCH_DIST=dist-before'`.
 */
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { ROOT, drive, driveMeasured, fetchOnce, freePort, median, startCeiling, startEmbedded, startServer, stop } from './harness.mjs';
import { PROBES } from './probes.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    probe: { type: 'string', default: PROBES[0].name },
    variant: { type: 'string', multiple: true },
    config: { type: 'string' },
    domain: { type: 'string' },
    embedded: { type: 'boolean', default: false },
  },
});
const named = PROBES.find((candidate) => candidate.name.includes(values.probe));
if (!named) throw new Error(`no probe named like ${values.probe}; probes: ${PROBES.map((candidate) => candidate.name).join('; ')}`);
// Another config directory hosts other domains (bench/generate-domains.mjs: d<n>.example).
const probe = values.domain ? { ...named, path: named.path.replaceAll('example.com', values.domain), host: named.host.replace('example.com', values.domain) } : named;
const load = { seconds: Number(values.seconds), connections: Number(values.connections) };
const variants = (values.variant ?? ['everything on:', 'no access log:LOG_LEVEL=warn', 'no rate limit:MAIL_AUTOCONFIG_RATE_LIMIT=0', 'neither:LOG_LEVEL=warn,MAIL_AUTOCONFIG_RATE_LIMIT=0']).map(
  (spec) => {
    const [label, settings = ''] = spec.split(/:(.*)/s);
    return { label, env: Object.fromEntries(settings.split(',').filter(Boolean).map((pair) => pair.split(/=(.*)/s).slice(0, 2))) };
  },
);

const config = values.config ? path.resolve(values.config) : path.join(ROOT, 'config');
const servers = [];
let ceiling;
try {
  for (const { label, env } of variants) {
    const port = await freePort();
    servers.push({ label, port, child: (await startServer(config, port, env)).child, cpuUs: [] });
  }
  if (values.embedded) {
    const port = await freePort();
    servers.push({ label: 'embedded in Express (express-only.mjs)', port, child: (await startEmbedded(config, port)).child, cpuUs: [] });
  }
  const size = (await fetchOnce(servers[0].port, probe)).body.length;
  ceiling = { label: `ceiling: raw node:http ${probe.method}`, cpuUs: [], ...(await startCeiling({ GET: size, POST: size })) };
  const all = [ceiling, ...servers];
  const ceilingProbe = { ...probe, status: 200, contains: 'x' };
  for (const server of all) await drive(server.port, server === ceiling ? ceilingProbe : probe, { ...load, seconds: 1 });
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const server of all) {
      server.cpuUs.push((await driveMeasured(server.port, server === ceiling ? ceilingProbe : probe, load, server.child.pid)).cpuUs);
    }
  }
  process.stdout.write(`${probe.name}: ${values.rounds} rounds of ${load.seconds} s, ${load.connections} connections\n`);
  const ceilingUs = median(ceiling.cpuUs);
  for (const server of all) {
    const us = median(server.cpuUs);
    process.stdout.write(`${server.label.padEnd(40)} ${us.toFixed(1).padStart(6)} µs/req (median)  ratio ${(ceilingUs / us).toFixed(2)}\n`);
  }
} finally {
  for (const server of [...servers, ceiling]) if (server?.child) await stop(server.child);
}
