/**
 * The Express app (createApp) and the standalone server's handler (createMiddleware,
 * called without `next` as the server calls it) must not differ by a single byte: the same requests sent to both get the same status,
 * headers and body, for every row of the route table (src/http/routes.ts), its error
 * cases, other methods and paths no route serves. The access log lines and the request
 * counts in /metrics must match too. The clock is frozen (Date only), so
 * that POX error times, RateLimit resets and log times are the same on both sides.
 */
import { once } from 'node:events';
import { IncomingMessage, createServer, request, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings, type SettingsInput } from '../src/config/settings';
import { createApp, createMiddleware, type AppOptions } from '../src/http/app';
import { Metrics } from '../src/http/metrics';
import { rateLimitOptions } from '../src/http/rate-limit';
import { pathMatcher } from '../src/http/route-match';
import { ROUTES } from '../src/http/routes';
import { SHIPPED_CONFIG } from './support/app';
import { poxRequestXml } from './support/raw-http';

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body chunked, without Content-Length. */
  readonly chunked?: boolean;
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Side {
  readonly server: Server;
  readonly logLines: Record<string, unknown>[];
  readonly metrics: Metrics;
}

const POX = poxRequestXml('fred@example.com');
const POX_UNKNOWN = poxRequestXml('fred@unknown.invalid');
const MOBILESYNC = POX.replace('outlook/responseschema/2006a', 'mobilesync/responseschema/2006');

/** What clients and scanners send to the most-requested endpoints, good and bad. */
const PROBES: readonly Probe[] = [
  // Mozilla autoconfig
  { method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=fred%40example.com', headers: { Host: 'autoconfig.example.com' } },
  { method: 'GET', path: '/.well-known/autoconfig/mail/config-v1.1.xml', headers: { Host: 'autoconfig.example.com' } },
  { method: 'GET', path: '/.well-known/autoconfig/mail/config-v1.1.xml', headers: { Host: 'example.net:8443' } },
  { method: 'GET', path: '/v1.1/mail/config-v1.1.xml?emailaddress=fred+tag@example.com', headers: { Host: 'example.com' } },
  { method: 'GET', path: '/.well-known/mail-v1.xml?emailaddress=fred%40example.com' },
  { method: 'GET', path: '/MAIL/Config-V1.1.XML?EmailAddress=fred%40example.com' },
  { method: 'HEAD', path: '/mail/config-v1.1.xml?emailaddress=fred%40example.com' },
  { method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=fred%40unknown.invalid', headers: { Host: 'autoconfig.unknown.invalid' } },
  { method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=%22%3Cx%3E%26' },
  { method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=%ZZ' },
  { method: 'GET', path: '/mail/config-v1.1.xml', headers: { Host: '[::1]:8080' } },
  { method: 'GET', path: '/mail/config-v1.1.xml/', headers: { Host: 'autoconfig.example.com' } },
  { method: 'GET', path: '/mail/config-v1.1.xml', headers: { Host: 'autoconfig.example.com', 'If-None-Match': 'W/"0-x"' } },
  { method: 'GET', path: '/mail/config-v1.1.xml', headers: { Host: 'autoconfig.example.com', 'If-None-Match': '*' } },
  { method: 'DELETE', path: '/mail/config-v1.1.xml' },
  { method: 'GET', path: 'http://autoconfig.example.com/mail/config-v1.1.xml' },
  // POX autodiscover
  { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.example.com', 'Content-Type': 'text/xml' }, body: POX },
  { method: 'POST', path: '/Autodiscover/Autodiscover.xml', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: POX },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.unknown.invalid' }, body: POX_UNKNOWN },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: MOBILESYNC },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>' },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: '<Autodiscover><Request>' },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: '' },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: Buffer.from([0xff, 0xfe, 0x3c]) },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: POX, chunked: true },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { 'Content-Encoding': 'gzip' }, body: gzipSync(POX) },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', body: `${POX}${' '.repeat(9000)}` },
  { method: 'GET', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.example.com' } },
  { method: 'GET', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.unknown.invalid' } },
  { method: 'PUT', path: '/autodiscover/autodiscover.xml', body: POX },
  // Outlook's http redirect step, through a trusted proxy (loopback), and a forwarded https request
  { method: 'GET', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.example.com', 'X-Forwarded-Proto': 'http' } },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { Host: 'autodiscover.example.com', 'X-Forwarded-Proto': 'http' }, body: POX },
  { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'autodiscover.example.net', 'X-Forwarded-For': '198.51.100.7' }, body: POX },
  // Autodiscover v2
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1', headers: { Host: 'autodiscover.example.com' } },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/fred%40example.com?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json?Email=fred%40example.com&Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json?Email=fred%40example.com' },
  { method: 'GET', path: '/autodiscover/autodiscover.json?Email=fred%40example.com&Protocol=ActiveSync' },
  { method: 'GET', path: '/autodiscover/autodiscover.json?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/not-an-address?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/fred@unknown.invalid?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/%E0%A4%A?Protocol=AutodiscoverV1' },
  // Apple profiles
  { method: 'GET', path: '/mobileconfig?emailaddress=fred%40example.com', headers: { 'User-Agent': 'Mozilla/5.0 (iPhone)' } },
  { method: 'GET', path: '/Example.mobileconfig?email=fred%40example.com' },
  { method: 'HEAD', path: '/mobileconfig?emailaddress=fred%40example.com' },
  { method: 'GET', path: '/mobileconfig' },
  { method: 'GET', path: '/mobileconfig?emailaddress=fred%40unknown.invalid' },
  { method: 'POST', path: '/mobileconfig?emailaddress=fred%40example.com', body: 'x' },
  // PACC
  { method: 'GET', path: '/.well-known/user-agent-configuration.json', headers: { Host: 'ua-auto-config.example.com' } },
  { method: 'OPTIONS', path: '/.well-known/user-agent-configuration.json', headers: { Origin: 'https://webmail.example.net' } },
  // The setup page, its redirect and its assets
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/setup?email=fred%40example.com' },
  { method: 'GET', path: '/setup?email=fred%40unknown.invalid' },
  { method: 'GET', path: '/setup?email=nobody' },
  { method: 'GET', path: '/setup/?email=fred%2Bx%40example.com' },
  { method: 'GET', path: '/static/setup.css' },
  { method: 'GET', path: '/static/favicon.svg', headers: { 'If-None-Match': '*' } },
  // Operations
  { method: 'GET', path: '/healthz' },
  { method: 'HEAD', path: '/healthz' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/metrics', body: 'x' },
  // No route
  { method: 'GET', path: '/wp-login.php' },
  { method: 'GET', path: '/setup?emailaddress=fred%40example.com' },
];

const FROZEN_NOW = new Date('2026-11-27T01:00:00.000Z');

beforeAll(() => {
  // Only Date: sockets and timers must run for real.
  jest.useFakeTimers({
    now: FROZEN_NOW,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
});
afterAll(() => jest.useRealTimers());

/**
 * One side of the comparison. With `linesPastTheLogger`, access log lines are written to the
 * destination directly as the standalone server writes them, and the other side's come
 * through pino: the comparison then also checks that both give the same line.
 */
async function side(build: (options: AppOptions) => RequestListener, overrides: Partial<SettingsInput>, linesPastTheLogger = false): Promise<Side> {
  const settings = defaultSettings({ trustProxy: 'loopback', metricsOnMainPort: true, ...overrides, configDir: SHIPPED_CONFIG });
  const logLines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  const metrics = new Metrics(() => providerDirectory);
  const listener = build({
    providerDirectory,
    settings,
    logger: pino({ level: 'info' }, stream),
    // pino's default base fields, which the lines written past it must repeat.
    accessLogLines: linesPastTheLogger ? { sink: { write: (line: string) => stream.write(line) }, base: { pid: process.pid, hostname: os.hostname() } } : undefined,
    metrics,
    rateLimit: rateLimitOptions(settings),
  });
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, logLines, metrics };
}

function send(server: Server, probe: Probe): Promise<Reply> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    // A fixed Host and request id, so that the two servers' ports and fresh ids do not differ.
    const headers: Record<string, string | number> = { Host: 'localhost', 'X-Request-Id': 'parity-test', ...probe.headers };
    if (probe.body !== undefined && !probe.chunked) headers['Content-Length'] = Buffer.byteLength(probe.body);
    const req = request({ host: '127.0.0.1', port, method: probe.method, path: probe.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    if (probe.chunked && probe.body !== undefined) {
      const text = Buffer.from(probe.body);
      req.write(text.subarray(0, 10));
      req.end(text.subarray(10));
    } else {
      req.end(probe.body);
    }
  });
}

/** Headers that differ per request whatever the path: the Date (second resolution) and keep-alive bookkeeping. */
function comparable(headers: IncomingHttpHeaders, probe: Probe): IncomingHttpHeaders {
  const rest = { ...headers };
  delete rest.date;
  // The exposition's length depends on the durations it holds.
  if (probe.path === '/metrics') delete rest['content-length'];
  return rest;
}

/** The metrics text without its duration and process figures, which no two servers share. */
function comparableBody(body: string, probe: Probe): string {
  if (probe.path !== '/metrics' || probe.method !== 'GET') return body;
  return body
    .split('\n')
    .filter((line) => line.startsWith('mail_autoconfig_requests_total'))
    .join('\n');
}

/** Log fields that measure time spent, which no two requests share. */
function comparableLog(line: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...line };
  delete rest.responseTime;
  return rest;
}

/** The request counters of /metrics (durations differ between any two runs). */
async function requestCounts(metrics: Metrics): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split('\n').filter((line) => line.startsWith('mail_autoconfig_requests_total{'));
}

/** Sends each probe to both sides; returns the statuses, so a test can check it met the cases it meant to. */
async function compare(probes: readonly Probe[], overrides: Partial<SettingsInput> = {}): Promise<number[]> {
  const express = await side((options) => createApp(options), overrides);
  const standalone = await side(createMiddleware, overrides, true);
  const statuses: number[] = [];
  try {
    for (const probe of probes) {
      const expected = await send(express.server, probe);
      statuses.push(expected.status);
      const actual = await send(standalone.server, probe);
      const label = `${probe.method} ${probe.path}`;
      expect({ label, status: actual.status, headers: comparable(actual.headers, probe), body: comparableBody(actual.body, probe) }).toEqual({
        label,
        status: expected.status,
        headers: comparable(expected.headers, probe),
        body: comparableBody(expected.body, probe),
      });
    }
    expect(standalone.logLines.map(comparableLog)).toEqual(express.logLines.map(comparableLog));
    expect(standalone.logLines).toHaveLength(probes.length);
    expect(await requestCounts(standalone.metrics)).toEqual(await requestCounts(express.metrics));
    return statuses;
  } finally {
    express.server.close();
    standalone.server.close();
  }
}

test('the most-requested endpoints, good and bad requests: same status, headers, body, log line and count from Express and the standalone listener', async () => {
  const statuses = await compare(PROBES, { rateLimitRequests: 1_000 });
  expect(new Set(statuses)).toEqual(new Set([200, 204, 301, 302, 304, 400, 404, 405, 413, 415]));
});

test('with addresses in the log and no https redirect, the answers still match', async () => {
  await compare(PROBES.slice(0, 35), { rateLimitRequests: 1_000, logEmailAddresses: true, autodiscoverHttpsRedirect: false });
});

test('rate limiting: the same budget, the same 429 with Retry-After, per forwarded client', async () => {
  const ask = (client: string): Probe => ({
    method: 'GET',
    path: '/mail/config-v1.1.xml?emailaddress=fred%40example.com',
    headers: { 'X-Forwarded-For': client },
  });
  const post: Probe = { method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { 'X-Forwarded-For': '198.51.100.7' }, body: POX };
  const probes = [ask('198.51.100.7'), ask('198.51.100.7'), post, ask('198.51.100.7'), ask('198.51.100.8'), ask('2001:db8::1'), ask('2001:db8::2')];
  expect(await compare(probes, { rateLimitRequests: 3 })).toEqual([200, 200, 200, 429, 200, 200, 200]);
});

/** Sends each probe to the server's listener; says for each whether Express touched it. */
async function reachedExpress(probes: readonly Probe[]): Promise<boolean[]> {
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  const listener = createMiddleware({ providerDirectory, settings: defaultSettings({ configDir: SHIPPED_CONFIG }) });
  // Express gives every request it dispatches its own prototype.
  const reached: boolean[] = [];
  const server = createServer((req, res) => {
    listener(req, res);
    reached.push(Object.getPrototypeOf(req) !== IncomingMessage.prototype);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    for (const probe of probes) await send(server, probe);
    return reached;
  } finally {
    server.close();
  }
}

test('the standalone server answers every request itself, the body parser fallback included', async () => {
  expect(await reachedExpress(PROBES)).toEqual(PROBES.map(() => false));
});

test('the probes cover every row of the route table', () => {
  const match = pathMatcher(ROUTES);
  for (const route of ROUTES) {
    const covered = PROBES.some((probe) => match(new URL(probe.path, 'http://x').pathname)?.route === route);
    expect({ paths: route.paths, covered }).toEqual({ paths: route.paths, covered: true });
  }
});

/** Paths no route serves (scanners' favourites), and near-misses of every route, which some route does match. */
const UNROUTED: readonly Probe[] = [
  { method: 'GET', path: '/wp-login.php' },
  { method: 'POST', path: '/wp-login.php', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'log=admin&pwd=x' },
  { method: 'HEAD', path: '/.env' },
  { method: 'OPTIONS', path: '/anything' },
  { method: 'DELETE', path: '/a/b/c?x=1' },
  { method: 'GET', path: '/mail/config-v1.1.xml.bak' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/fred@example.com/more?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/static/other.css' },
  { method: 'GET', path: '/a/b.mobileconfig' },
  // Apple's `/<name>.mobileconfig` is a regular expression, which takes no trailing slash.
  { method: 'GET', path: '/Fred.Mobileconfig/' },
  { method: 'GET', path: '/%E0%A4%A' },
];
const NEAR_MISSES: readonly Probe[] = [
  { method: 'GET', path: '/healthz/' },
  { method: 'GET', path: '//' },
  { method: 'OPTIONS', path: '/healthz' },
  { method: 'POST', path: '/Metrics' },
  { method: 'GET', path: '/SETUP/' },
  { method: 'PUT', path: '/' },
  { method: 'GET', path: '/static/setup.css' },
  { method: 'GET', path: '/.well-known/user-agent-configuration.json' },
  { method: 'PATCH', path: '/.well-known/user-agent-configuration.json/' },
  { method: 'OPTIONS', path: '/mobileconfig' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/%E0%A4%A?Protocol=AutodiscoverV1' },
  { method: 'GET', path: '/autodiscover/autodiscover.json/' },
  { method: 'POST', path: '/autodiscover/autodiscover.xml/', body: POX },
  { method: 'GET', path: '/.well-known/autoconfig/mail/config-v1.1.xml/' },
];

test('paths no route serves get 404; near-misses of every route are matched as Express matches them', async () => {
  const statuses = await compare([...UNROUTED, ...NEAR_MISSES], { rateLimitRequests: 1_000 });
  expect(statuses.slice(0, UNROUTED.length)).toEqual(UNROUTED.map(() => 404));
  expect(statuses.slice(UNROUTED.length)).toEqual([200, 200, 204, 405, 301, 405, 200, 404, 405, 204, 400, 400, 200, 404]);
});
