/**
 * `npm run bench [-- --seconds 10 --connections 50 --runs 1 --no-scale]`: the benchmark.
 * Not a test: it prints figures and ratios, never pass/fail. In one run on one machine it
 * starts a raw node:http ceiling (bench/ceiling.mjs) and the built server on the shipped
 * config, drives each hot endpoint with wrk or autocannon (server and load pinned to
 * different cores where taskset exists), and prints req/s, p50, p99 and each endpoint's
 * ratio to the ceiling of its method. Then the scale check: 100 000 domains over 1 000
 * providers (bench/generate-domains.mjs), their load time, the server's RSS after load,
 * and GET req/s with that config against the shipped one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { generateDomains } from './generate-domains.mjs';
import { LOAD_GENERATOR, PINNING, ROOT, drive, fetchOnce, freePort, median, rssMb, startNode, startServer, stop } from './harness.mjs';
import { PROBES } from './probes.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    runs: { type: 'string', default: '1' },
    'no-scale': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const load = { seconds: Number(values.seconds), connections: Number(values.connections) };
const runs = Number(values.runs);
const print = (line) => process.stdout.write(`${line}\n`);

/** Checks the answer once, then drives it `runs` times; the median run by req/s. */
async function measure(port, probe) {
  const answer = await fetchOnce(port, probe);
  if (answer?.status !== probe.status || !answer.body.toString('utf8').includes(probe.contains)) {
    throw new Error(`${probe.name}: unexpected answer ${answer?.status} ${answer?.body.toString('utf8').slice(0, 200)}`);
  }
  const results = [];
  for (let run = 0; run < runs; run += 1) results.push(await drive(port, probe, load));
  const rps = median(results.map((result) => result.rps));
  return results.find((result) => result.rps === rps);
}

const format = (result) =>
  `${Math.round(result.rps).toString().padStart(7)} req/s  p50 ${result.p50Ms.toFixed(2).padStart(6)} ms  p99 ${result.p99Ms.toFixed(2).padStart(6)} ms` +
  (result.errors ? `  ${result.errors} socket errors` : '');

async function main() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  print(`machine   ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GB, Linux ${os.release()}, Node ${process.version}`);
  print(`load      ${LOAD_GENERATOR}, ${load.connections} connections, ${load.seconds} s, median of ${runs}; pinning: ${PINNING.server.length ? 'server core 0, load core 1' : 'none (no taskset)'}`);
  print('');

  const configDir = path.join(ROOT, 'config');
  const serverPort = await freePort();
  const { child: server } = await startServer(configDir, serverPort);
  const sizes = {};
  for (const method of ['GET', 'POST']) {
    const probe = PROBES.find((candidate) => candidate.method === method);
    sizes[method] = (await fetchOnce(serverPort, probe)).body.length;
  }
  const ceilingPort = await freePort();
  const { child: ceiling } = await startNode([path.join(import.meta.dirname, 'ceiling.mjs'), String(ceilingPort), String(sizes.GET), String(sizes.POST)], ceilingPort);
  const ceilings = {};
  try {
    for (const method of ['GET', 'POST']) {
      const probe = { ...PROBES.find((candidate) => candidate.method === method), status: 200, contains: 'x' };
      ceilings[method] = await measure(ceilingPort, probe);
      print(`${`ceiling: raw node:http ${method} (${sizes[method]} B)`.padEnd(44)}${format(ceilings[method])}`);
    }
  } finally {
    await stop(ceiling);
  }
  print('');
  const results = {};
  try {
    for (const probe of PROBES) {
      if (values.only && !probe.name.includes(values.only)) continue;
      const result = await measure(serverPort, probe);
      results[probe.name] = result;
      print(`${probe.name.padEnd(44)}${format(result)}  ratio ${(result.rps / ceilings[probe.ceiling].rps).toFixed(2)}`);
    }
    print(`server RSS after the run: ${rssMb(server.pid).toFixed(0)} MB`);
  } finally {
    await stop(server);
  }
  if (values['no-scale']) return;

  print('');
  const scaleDir = mkdtempSync(path.join(os.tmpdir(), 'mail-autoconfig-scale-'));
  try {
    const { domains, providers } = await generateDomains(scaleDir, { domains: 100_000, providers: 1_000 });
    const port = await freePort();
    const { child, upMs } = await startServer(scaleDir, port);
    try {
      print(`scale: ${domains} domains over ${providers} providers: server up (load included) in ${(upMs / 1000).toFixed(2)} s, RSS after load ${rssMb(child.pid).toFixed(0)} MB`);
      const probe = PROBES[0];
      const scaled = await measure(port, { ...probe, path: '/mail/config-v1.1.xml?emailaddress=fred%40d77777.example', host: 'autoconfig.d77777.example' });
      const shipped = results[probe.name];
      print(`${'GET autoconfig, with address, 100 000 domains'.padEnd(44)}${format(scaled)}${shipped ? `  vs shipped config ${(scaled.rps / shipped.rps).toFixed(2)}` : ''}`);
    } finally {
      await stop(child);
    }
  } finally {
    rmSync(scaleDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
