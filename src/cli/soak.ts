/**
 * `npm run soak [-- --seconds N --concurrency C --config DIR]`: a soak test, not a unit
 * test. Starts the built server as a child process on loopback, sends it N seconds of
 * mixed traffic (every endpoint, good and bad input, a SIGHUP reload every 10 s) from
 * this process, checks every answer, and prints requests, errors and the server's RSS
 * after warm-up and at the end. Exits 1 on any error or if RSS grew by more than
 * RSS_GROWTH_LIMIT_MB.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NAMESPACES } from '../formats/outlook/pox';
import { AUTODISCOVER_V2_EMAIL_PATH, HEALTH_PATH, MOZILLA_PATH, MOZILLA_WELL_KNOWN_PATH, POX_PATH } from '../http/routes';

/**
 * Allowed RSS growth between warm-up and the end of the run. V8 keeps growing its heap
 * reservation for a while under load while the heap after GC stays flat
 * (docs/performance.md#soak), so the bound is above that wander and far below a real leak.
 */
const RSS_GROWTH_LIMIT_MB = 30;
const RELOAD_EVERY_MS = 10_000;

const POX_REQUEST = (address: string) =>
  `<Autodiscover xmlns="${NAMESPACES.outlookRequest}"><Request>` +
  `<EMailAddress>${address}</EMailAddress>` +
  `<AcceptableResponseSchema>${NAMESPACES.outlookResponse}</AcceptableResponseSchema>` +
  '</Request></Autodiscover>';

interface Probe {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly host: string;
  readonly body?: string;
  readonly status: number;
  /** Text the answer must contain. */
  readonly contains: string;
}

/** Outlook capitalises the POX path's segments (/Autodiscover/Autodiscover.xml). */
const capitalised = (path: string) => path.replace(/\/([a-z])/g, (_, letter: string) => `/${letter.toUpperCase()}`);

/** The mix: what clients, scanners and monitors send, with the answer each must get; the paths come from the route table. */
const PROBES: readonly Probe[] = [
  { method: 'GET', path: `${MOZILLA_PATH}?emailaddress=fred%40example.com`, host: 'autoconfig.example.com', status: 200, contains: '</clientConfig>' },
  { method: 'GET', path: MOZILLA_WELL_KNOWN_PATH, host: 'hotmail.com', status: 200, contains: 'pop3.live.com' },
  { method: 'GET', path: `${MOZILLA_PATH}?emailaddress=x%40unknown.invalid`, host: 'autoconfig.unknown.invalid', status: 404, contains: 'No configuration' },
  { method: 'GET', path: `${MOZILLA_PATH}?emailaddress=%22%3Cx%3E%26`, host: 'autoconfig.example.com', status: 400, contains: 'Invalid email' },
  { method: 'POST', path: POX_PATH, host: 'autodiscover.example.com', body: POX_REQUEST('fred@example.com'), status: 200, contains: '<Action>settings</Action>' },
  { method: 'POST', path: capitalised(POX_PATH), host: 'autodiscover.unknown.invalid', body: POX_REQUEST('x@unknown.invalid'), status: 200, contains: '<ErrorCode>500</ErrorCode>' },
  { method: 'POST', path: POX_PATH, host: 'example.com', body: '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', status: 200, contains: '<ErrorCode>600</ErrorCode>' },
  {
    method: 'GET',
    path: `${AUTODISCOVER_V2_EMAIL_PATH.replace(':email', 'fred@example.com')}?Protocol=AutodiscoverV1`,
    host: 'autodiscover.example.com',
    status: 200,
    contains: '"AutodiscoverV1"',
  },
  { method: 'GET', path: HEALTH_PATH, host: 'localhost', status: 200, contains: '"ok"' },
  // Not a route: what scanners try.
  { method: 'GET', path: '/wp-login.php', host: 'example.com', status: 404, contains: 'Not found' },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: process.env.SOAK_SECONDS ?? '60' },
      concurrency: { type: 'string', default: '8' },
      config: { type: 'string', default: './config' },
    },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const port = await freePort();
  const server = spawn(process.execPath, [path.join(__dirname, 'main.js'), '--config', values.config], {
    // The mix asks for the shipped example providers (hotmail.com) on purpose.
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: '0', LOG_LEVEL: 'warn', MAIL_AUTOCONFIG_RATE_LIMIT: '0', MAIL_AUTOCONFIG_ALLOW_EXAMPLES: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  await waitUntilUp(port, agent);

  let requests = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  const latencies: number[] = [];
  const warmUpMs = Math.min(10_000, (seconds * 1000) / 5);
  let rssStart = 0;
  const started = Date.now();
  const end = started + seconds * 1000;
  const warmUp = setTimeout(() => (rssStart = rssKb(server.pid!)), warmUpMs);
  const rssSeries: number[] = [];
  const reloads = setInterval(() => {
    rssSeries.push(rssKb(server.pid!));
    server.kill('SIGHUP');
  }, RELOAD_EVERY_MS);

  const worker = async (offset: number) => {
    for (let i = offset; Date.now() < end; i += 1) {
      const probe = PROBES[i % PROBES.length]!;
      const sent = performance.now();
      const problem = await send(port, agent, probe);
      latencies.push(performance.now() - sent);
      requests += 1;
      if (problem !== undefined) {
        errors += 1;
        if (firstErrors.length < 5) firstErrors.push(`${probe.method} ${probe.path}: ${problem}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => worker).map(worker));
  clearTimeout(warmUp);
  clearInterval(reloads);
  const rssEnd = rssKb(server.pid!);
  agent.destroy();
  server.kill('SIGTERM');
  const exitCode = await exited;

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
  const growthMb = (rssEnd - rssStart) / 1024;
  const report = [
    `duration        ${seconds} s, ${concurrency} concurrent keep-alive clients, SIGHUP every ${RELOAD_EVERY_MS / 1000} s`,
    `requests        ${requests} (${Math.round(requests / seconds)}/s)`,
    `errors          ${errors}${firstErrors.length ? `\n  ${firstErrors.join('\n  ')}` : ''}`,
    `latency         p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms`,
    `server RSS      ${(rssStart / 1024).toFixed(1)} MB after ${warmUpMs / 1000} s warm-up, ${(rssEnd / 1024).toFixed(1)} MB at the end (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB; limit +${RSS_GROWTH_LIMIT_MB} MB)`,
    `RSS every ${RELOAD_EVERY_MS / 1000} s   ${rssSeries.map((kb) => (kb / 1024).toFixed(0)).join(' ')} MB`,
    `server exit     ${exitCode} after SIGTERM`,
  ];
  process.stdout.write(`${report.join('\n')}\n`);
  return errors === 0 && growthMb <= RSS_GROWTH_LIMIT_MB && exitCode === 0 ? 0 : 1;
}

/** Sends one probe; returns what was wrong with the answer, or undefined when it was right. */
function send(port: number, agent: Agent, probe: Probe): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, agent, method: probe.method, path: probe.path, headers: { Host: probe.host, 'Content-Type': 'text/xml' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== probe.status) resolve(`status ${res.statusCode}, expected ${probe.status}`);
        else if (!text.includes(probe.contains)) resolve(`answer lacks ${JSON.stringify(probe.contains)}`);
        else resolve(undefined);
      });
      res.on('error', (error) => resolve(error.message));
    });
    req.on('error', (error) => resolve(error.message));
    req.end(probe.body);
  });
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(port: number, agent: Agent): Promise<void> {
  const health = PROBES.find((probe) => probe.path === HEALTH_PATH)!;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await send(port, agent, health)) === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not come up within 10 s');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
