/**
 * `npm run bench [-- --seconds 5 --connections 50 --runs 3 --no-scale]`: the benchmark.
 * Not a test: it prints figures and ratios, never pass/fail. In one run on one machine it
 * starts a raw node:http ceiling (bench/ceiling.mjs) and the built server on the shipped
 * config, drives each hot endpoint with wrk or autocannon (server and load pinned to
 * different cores where taskset exists), each endpoint taking turns with the ceiling of
 * its method run by run, and prints req/s, p50, p99 and each endpoint's ratios to that
 * ceiling (the median of the runs' ratios: req/s, CPU time, and p99 as a multiple of the
 * ceiling's). Then the scale check: 100 000 domains over 1 000
 * providers (bench/generate-domains.mjs), their load time, the server's RSS after load,
 * and GET req/s with that config against the shipped one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { generateDomains } from './generate-domains.mjs';
import { LOAD_GENERATOR, PINNING, ROOT, drive, driveMeasured, fetchOnce, firstAnswers, freePort, median, rssMb, startCeiling, startEmbedded, startServer, stop } from './harness.mjs';
import { PROBES } from './probes.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
    'no-scale': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const load = { seconds: Number(values.seconds), connections: Number(values.connections) };
const runs = Number(values.runs);
const print = (line) => process.stdout.write(`${line}\n`);

/** Checks the answer once, then drives it one unmeasured second. */
async function warmUp(port, probe) {
  const answer = await fetchOnce(port, probe);
  if (answer?.status !== probe.status || !answer.body.toString('utf8').includes(probe.contains)) {
    throw new Error(`${probe.name}: unexpected answer ${answer?.status} ${answer?.body.toString('utf8').slice(0, 200)}`);
  }
  // The first requests of a code path run before the JIT has compiled it and while the
  // heap grows, which would show as a p99 of that start.
  await drive(port, probe, { ...load, seconds: 1 });
}

const measureOnce = (port, probe, pid) => driveMeasured(port, probe, load, pid);

/**
 * Drives each of `probes` for a few unmeasured seconds before anything is measured: a
 * fresh server compiles its code paths and grows its heap over its first seconds under
 * load, which read as a low figure for whichever endpoint came first.
 */
async function warmUpFresh(port, probes) {
  for (const probe of probes) await drive(port, probe, { ...load, seconds: 2 });
}

/** The ceiling's probe of a method: the first probe's request, answered with a fixed body. */
const ceilingProbeOf = (method) => ({ ...PROBES.find((candidate) => candidate.method === method), status: 200, contains: 'x' });

const medianRun = (results) => {
  const rps = median(results.map((result) => result.rps));
  return results.find((result) => result.rps === rps);
};

/** `runs` measured runs after a warm-up; the median run by req/s. */
async function measure(port, probe, pid) {
  await warmUp(port, probe);
  const results = [];
  for (let run = 0; run < runs; run += 1) results.push(await measureOnce(port, probe, pid));
  return medianRun(results);
}

const format = (result) =>
  `${Math.round(result.rps).toString().padStart(7)} req/s  p50 ${result.p50Ms.toFixed(2).padStart(6)} ms  p99 ${result.p99Ms.toFixed(2).padStart(6)} ms` +
  `  CPU ${result.cpuUs.toFixed(0).padStart(4)} µs/req` +
  (result.errors ? `  ${result.errors} socket errors` : '');
const label = (text) => text.padEnd(48);

function loadTime(configDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(import.meta.dirname, 'load-time.mjs'), configDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`load-time exited with ${code}`))));
  });
}

/**
 * Measures each probe and the ceiling of its method in turns, run by run, so that both
 * figures of a ratio come from the same minute of a shared machine; the ratios are the
 * medians of those pairs' ratios.
 */
async function measureAgainstCeiling(server, ceilingServer, probes, sizes) {
  for (const probe of probes) {
    if (values.only && !probe.name.includes(values.only)) continue;
    const ceilingProbe = ceilingProbeOf(probe.method);
    await warmUp(ceilingServer.port, ceilingProbe);
    await warmUp(server.port, probe);
    const pairs = [];
    for (let run = 0; run < runs; run += 1) {
      const ceiling = await measureOnce(ceilingServer.port, ceilingProbe, ceilingServer.child.pid);
      pairs.push({ ceiling, result: await measureOnce(server.port, probe, server.child.pid) });
    }
    const rpsRatio = median(pairs.map(({ ceiling, result }) => result.rps / ceiling.rps));
    const cpuRatio = median(pairs.map(({ ceiling, result }) => ceiling.cpuUs / result.cpuUs));
    // p99 at a fixed number of connections follows from req/s on a slow machine (README),
    // so it is also given against the ceiling's p99 of the same minute.
    const p99Ratio = median(pairs.map(({ ceiling, result }) => result.p99Ms / ceiling.p99Ms));
    print(`${label(`ceiling: raw node:http ${probe.method} (${sizes[probe.method]} B)`)}${format(medianRun(pairs.map((pair) => pair.ceiling)))}`);
    print(`${label(probe.name)}${format(medianRun(pairs.map((pair) => pair.result)))}  ratio ${rpsRatio.toFixed(2)} (req/s), ${cpuRatio.toFixed(2)} (CPU), p99 ${p99Ratio.toFixed(1)} × the ceiling's`);
  }
}

async function main() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  print(`machine   ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GB, Linux ${os.release()}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
  print(`load      ${LOAD_GENERATOR}, ${load.connections} connections, ${load.seconds} s, median of ${runs} runs taking turns with the ceiling; pinning: ${PINNING.server.length ? 'server core 0, load core 1' : 'none (no taskset)'}`);
  print('server    shipped config, access log on (to /dev/null), metrics on, rate limit on (never reached)');
  print('');

  const configDir = path.join(ROOT, 'config');
  const serverPort = await freePort();
  const { child: server } = await startServer(configDir, serverPort);
  const { answers, sizes } = await firstAnswers(serverPort, PROBES);
  // The header fields of our autoconfig answer, less those Node adds itself.
  const ourHeaders = answers.GET.headers.filter((_value, index, all) => !['date', 'connection', 'keep-alive'].includes(all[index - (index % 2)].toLowerCase()));
  const { port: ceilingPort, child: ceiling } = await startCeiling(sizes, { headers: ourHeaders });
  try {
    await warmUpFresh(serverPort, PROBES);
    await warmUpFresh(ceilingPort, [ceilingProbeOf('GET'), ceilingProbeOf('POST')]);
    await measureAgainstCeiling({ port: serverPort, child: server }, { port: ceilingPort, child: ceiling }, PROBES, sizes);
    // How much of the gap is the header fields themselves (security headers, request id,
    // RateLimit, ETag), whatever server sends them.
    const withHeaders = { ...PROBES[0], name: `raw node:http with our ${ourHeaders.length / 2} header fields`, path: '/with-headers', status: 200, contains: 'x' };
    await measureAgainstCeiling({ port: ceilingPort, child: ceiling }, { port: ceilingPort, child: ceiling }, [withHeaders], sizes);
    print(`server RSS after the run: ${rssMb(server.pid).toFixed(0)} MB`);
    await stop(server);

    // What the cross-cutting features cost: the same server without access log and rate limit.
    print('');
    print('without access log and rate limit (LOG_LEVEL=warn, MAIL_AUTOCONFIG_RATE_LIMIT=0):');
    const barePort = await freePort();
    const { child: bare } = await startServer(configDir, barePort, { LOG_LEVEL: 'warn', MAIL_AUTOCONFIG_RATE_LIMIT: '0' });
    try {
      await warmUpFresh(barePort, PROBES.slice(0, 3));
      await measureAgainstCeiling({ port: barePort, child: bare }, { port: ceilingPort, child: ceiling }, PROBES.slice(0, 3), sizes);
    } finally {
      await stop(bare);
    }

    // What embedding costs, set up as docs/deploying.md tells a site to: our handler in front of an Express site.
    print('');
    print('embedded in an Express site (bench/express-only.mjs: openMailAutoconfig in front of the site, as the docs show):');
    const expressPort = await freePort();
    const { child: expressOnly } = await startEmbedded(configDir, expressPort);
    try {
      await warmUpFresh(expressPort, PROBES.slice(0, 3));
      await measureAgainstCeiling({ port: expressPort, child: expressOnly }, { port: ceilingPort, child: ceiling }, PROBES.slice(0, 3), sizes);
    } finally {
      await stop(expressOnly);
    }
  } finally {
    await stop(server);
    await stop(ceiling);
  }
  if (values['no-scale']) return;

  print('');
  for (const fileFormat of ['yaml', 'json']) {
    const scaleDir = mkdtempSync(path.join(os.tmpdir(), 'mail-autoconfig-scale-'));
    try {
      const { domains, providers } = await generateDomains(scaleDir, { domains: 100_000, providers: 1_000, format: fileFormat });
      const loaded = await loadTime(scaleDir);
      print(`scale (${fileFormat}): ${domains} domains over ${providers} providers load in ${(loaded.loadMs / 1000).toFixed(2)} s; RSS after load ${loaded.rssMb.toFixed(0)} MB`);
      if (fileFormat !== 'yaml') continue;
      const port = await freePort();
      const { child, upMs } = await startServer(scaleDir, port);
      try {
        print(`scale (${fileFormat}): server up in ${(upMs / 1000).toFixed(2)} s (node start and load), RSS ${rssMb(child.pid).toFixed(0)} MB`);
        const probe = { ...PROBES[0], path: '/mail/config-v1.1.xml?emailaddress=fred%40d77777.example', host: 'autoconfig.d77777.example' };
        const scaled = await measure(port, probe, child.pid);
        const shippedAgain = await measureShipped(PROBES[0]);
        print(`${label('GET autoconfig, with address, shipped config')}${format(shippedAgain)}`);
        print(`${label('GET autoconfig, with address, 100 000 domains')}${format(scaled)}  vs shipped ${(scaled.rps / shippedAgain.rps).toFixed(2)}`);
        print(`scale: server RSS after the run ${rssMb(child.pid).toFixed(0)} MB`);
      } finally {
        await stop(child);
      }
    } finally {
      rmSync(scaleDir, { recursive: true, force: true });
    }
  }
}

/** The shipped config's figure again, measured next to the scaled one. */
async function measureShipped(probe) {
  const port = await freePort();
  const { child } = await startServer(path.join(ROOT, 'config'), port);
  try {
    return await measure(port, probe, child.pid);
  } finally {
    await stop(child);
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
