/**
 * What the bench scripts share: free ports, starting the built server (or the ceiling)
 * pinned to a core, waiting for it, reading a process's RSS, and driving load with wrk
 * (when installed) or autocannon (a devDependency), pinned to another core.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '..');

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Server on core 0, load generator on core 1, where taskset exists and there are two cores. */
export const PINNING = onPath('taskset') ? { server: ['taskset', '-c', '0'], load: ['taskset', '-c', '1'] } : { server: [], load: [] };
export const LOAD_GENERATOR = process.env.BENCH_LOAD_GENERATOR ?? (onPath('wrk') ? 'wrk' : 'autocannon');

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function pinned(prefix, command, args) {
  return prefix.length ? [prefix[0], [...prefix.slice(1), command, ...args]] : [command, args];
}

/** Starts `node ARGS` on the server core; resolves once `port` answers HTTP. */
export async function startNode(args, port, env = {}) {
  const [command, argv] = pinned(PINNING.server, process.execPath, args);
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const started = performance.now();
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if ((await fetchOnce(port, { method: 'GET', path: '/healthz', host: 'localhost' })) !== undefined) {
      return { child, upMs: performance.now() - started };
    }
    await sleep(50);
  }
  throw new Error(`${args.join(' ')} did not come up`);
}

/**
 * Starts the built server on a config directory, with access logs on (to /dev/null) and
 * rate limiting that never trips. `env.BENCH_DIST` names another build's directory (a copy
 * of dist/ from another commit, kept inside the repository so it finds node_modules), and
 * `env.BENCH_CONFIG` another config directory. `nodeOptions` go before the script.
 */
export function startServer(configDir, port, env = {}, nodeOptions = []) {
  const dist = env.BENCH_DIST ? path.resolve(ROOT, env.BENCH_DIST) : path.join(ROOT, 'dist');
  // The process entry is cli/main.js; builds older than that move had it at the top.
  const main = existsSync(path.join(dist, 'cli', 'main.js')) ? path.join(dist, 'cli', 'main.js') : path.join(dist, 'main.js');
  return startNode([...nodeOptions, main, '--config', env.BENCH_CONFIG ?? configDir], port, {
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    MAIL_AUTOCONFIG_RATE_LIMIT: '1000000000',
    ...env,
  });
}

/**
 * Starts the built package embedded in an Express site as docs/deploying.md sets it up
 * (express-only.mjs), with the same settings as startServer's.
 */
export function startEmbedded(configDir, port, env = {}) {
  return startNode([path.join(import.meta.dirname, 'express-only.mjs'), String(port), configDir], port, {
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    MAIL_AUTOCONFIG_RATE_LIMIT: '1000000000',
    ...env,
  });
}

/**
 * Starts the raw node:http ceiling (ceiling.mjs) on a free port: GET answers `sizes.GET`
 * bytes, POST parses its body and answers `sizes.POST` bytes, GET /with-headers sends
 * `headers` (a flat list of names and values) too. Resolves to { port, child }.
 */
export async function startCeiling(sizes, { headers = [], nodeOptions = [], env = {} } = {}) {
  const port = await freePort();
  const args = [...nodeOptions, path.join(import.meta.dirname, 'ceiling.mjs'), String(port), String(sizes.GET), String(sizes.POST), JSON.stringify(headers)];
  const { child } = await startNode(args, port, env);
  return { port, child };
}

/**
 * Our answers to the first probe of each method (GET autoconfig, POST POX), and their
 * body sizes: what the ceiling's bodies are made as large as.
 */
export async function firstAnswers(port, probes) {
  const answers = {};
  const sizes = {};
  for (const method of ['GET', 'POST']) {
    answers[method] = await fetchOnce(port, probes.find((probe) => probe.method === method));
    sizes[method] = answers[method].body.length;
  }
  return { answers, sizes };
}

export async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** One request; resolves to { status, headers (raw, flat), body } or undefined when nothing answers. */
export function fetchOnce(port, { method, path: requestPath, host, body }) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path: requestPath, headers: { Host: host, 'Content-Type': 'text/xml' } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

/** CPU seconds (user and system) a process has used so far. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited with ${code}`))));
  });
}

/**
 * Drives `probe` at the server on `port` for `seconds` with `connections` keep-alive
 * connections. Resolves to { rps, p50Ms, p99Ms, errors, non2xx }.
 */
export async function drive(port, probe, { seconds, connections }) {
  const url = `http://127.0.0.1:${port}${probe.path}`;
  if (LOAD_GENERATOR === 'wrk') {
    const [command, args] = pinned(PINNING.load, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', path.join(import.meta.dirname, 'wrk-request.lua'), url]);
    const output = await run(command, args, { BENCH_METHOD: probe.method, BENCH_HOST: probe.host, BENCH_BODY: probe.body ?? '' });
    const summary = JSON.parse(/^BENCH (.*)$/m.exec(output)[1]);
    return {
      requests: summary.requests,
      rps: summary.requests / (summary.durationUs / 1e6),
      p50Ms: summary.p50Us / 1000,
      p99Ms: summary.p99Us / 1000,
      errors: summary.errors,
      non2xx: summary.non2xx,
    };
  }
  const autocannon = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
  const headers = ['-H', `Host=${probe.host}`, ...(probe.body ? ['-H', 'Content-Type=text/xml', '-b', probe.body] : [])];
  const [command, args] = pinned(PINNING.load, process.execPath, [autocannon, '-j', '-c', String(connections), '-d', String(seconds), '-m', probe.method, ...headers, url]);
  const result = JSON.parse(await run(command, args, {}));
  return { requests: result.requests.total, rps: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

/** One measured drive, with the server's CPU time per request (µs, as `cpuUs`), which a busy shared machine disturbs far less than req/s. */
export async function driveMeasured(port, probe, load, pid) {
  const cpuBefore = cpuSeconds(pid);
  const result = await drive(port, probe, load);
  return { ...result, cpuUs: ((cpuSeconds(pid) - cpuBefore) / result.requests) * 1e6 };
}

/** Drives a fixed number of requests (autocannon), for the memory check. */
export async function driveAmount(port, probe, { amount, connections }) {
  const autocannon = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
  const headers = ['-H', `Host=${probe.host}`, ...(probe.body ? ['-H', 'Content-Type=text/xml', '-b', probe.body] : [])];
  const [command, args] = pinned(PINNING.load, process.execPath, [autocannon, '-j', '-c', String(connections), '-a', String(amount), '-m', probe.method, ...headers, `http://127.0.0.1:${port}${probe.path}`]);
  const result = JSON.parse(await run(command, args, {}));
  return { requests: result.requests.total, errors: result.errors + result.timeouts };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
