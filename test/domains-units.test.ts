import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../src/config/errors';
import { ExpiringLruCache } from '../src/domains/lru-cache';
import { redactDatabaseUrl, redactSecrets } from '../src/domains/redact';
import { DEFAULT_DOMAIN_QUERY } from '../src/domains/schema';
import { listensForChanges } from '../src/domains/settings';
import { loadSettings } from '../src/config/settings';
import { tlsAskAllows } from '../src/domains/tls-ask';

describe('tlsAskAllows: certificates only for discovery names of hosted domains', () => {
  const hosted = new Set(['example.com', 'mail.example.org', 'xn--bcher-kva.example']);
  const isHosted = (domain: string) => hosted.has(domain);

  test.each(['autoconfig.example.com', 'autodiscover.example.com', 'ua-auto-config.example.com', 'autoconfig.mail.example.org', 'AutoDiscover.EXAMPLE.com', 'autoconfig.xn--bcher-kva.example'])(
    '%s is allowed',
    (name) => expect(tlsAskAllows(name, isHosted)).toBe(true),
  );

  test.each([
    ['the bare domain', 'example.com'],
    ['an unhosted domain', 'autoconfig.example.net'],
    ['a deeper subdomain', 'x.autoconfig.example.com'],
    ['a prefix on a subdomain of a hosted domain', 'autoconfig.sub.example.com'],
    ['a trailing dot', 'autoconfig.example.com.'],
    ['two trailing dots', 'autoconfig.example.com..'],
    ['the U-label form', 'autoconfig.bücher.example'],
    ['an upper-case U-label', 'AUTOCONFIG.BÜCHER.example'],
    ['a port', 'autoconfig.example.com:443'],
    ['whitespace', ' autoconfig.example.com'],
    ['a prefix without a dot', 'autoconfigexample.com'],
    ['the prefix alone', 'autoconfig.'],
    ['another prefix', 'mail.example.com'],
    ['an empty name', ''],
    ['a prefix with a TLD only', 'autoconfig.com'],
  ])('%s (%j) is refused', (_what, name) => expect(tlsAskAllows(name, isHosted)).toBe(false));

  test('the hosted check sees the bare, lower-case domain', () => {
    const asked: string[] = [];
    tlsAskAllows('UA-Auto-Config.Mail.Example.ORG', (domain) => (asked.push(domain), true));
    expect(asked).toEqual(['mail.example.org']);
  });

  test('refused shapes are refused whatever is hosted, without asking', () => {
    const asked: string[] = [];
    for (const name of ['autoconfig.example.com.', 'x.autoconfig.example.com', 'autoconfig.bücher.example', 'autoconfig.com']) {
      expect(tlsAskAllows(name, (domain) => (asked.push(domain), true))).toBe(false);
    }
    expect(asked).toEqual([]);
  });
});

describe('ExpiringLruCache', () => {
  let now = 1_000;
  const clock = () => now;

  test('evicts the least recently used entry when full', () => {
    const cache = new ExpiringLruCache<string>(2, clock);
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 1000);
    cache.get('a');
    cache.set('c', 'C', 1000);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.value).toBe('A');
    expect(cache.get('c')?.value).toBe('C');
  });

  test('keeps expired entries, but not as fresh', () => {
    const cache = new ExpiringLruCache<string>(10, clock);
    cache.set('a', 'A', 100);
    expect(cache.isFresh(cache.get('a')!)).toBe(true);
    now += 100;
    const entry = cache.get('a');
    expect(entry?.value).toBe('A');
    expect(cache.isFresh(entry!)).toBe(false);
  });

  test('expireAll makes every entry stale at once; new entries are fresh', () => {
    const cache = new ExpiringLruCache<string>(10, clock);
    cache.set('a', 'A', 60_000);
    cache.expireAll();
    expect(cache.isFresh(cache.get('a')!)).toBe(false);
    cache.set('b', 'B', 60_000);
    expect(cache.isFresh(cache.get('b')!)).toBe(true);
  });

  test('stays within its capacity under a stream of distinct keys', () => {
    const cache = new ExpiringLruCache<number>(100, clock);
    for (let index = 0; index < 10_000; index += 1) cache.set(`d${index}.example`, index, 1000);
    expect(cache.size).toBe(100);
    expect(cache.get('d9999.example')?.value).toBe(9999);
    expect(cache.get('d9899.example')).toBeUndefined();
  });

  test('a capacity of 0 caches nothing', () => {
    const cache = new ExpiringLruCache<string>(0, clock);
    cache.set('a', 'A', 1000);
    expect(cache.size).toBe(0);
  });
});

describe('database settings: the database section of the server settings', () => {
  const url = 'postgres://autoconfig:pa%2Fss@db.internal:5432/mail';
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-db-settings-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const load = async (yaml: string | undefined, env: NodeJS.ProcessEnv = {}) => {
    if (yaml !== undefined) await writeFile(path.join(dir, 'settings.yaml'), yaml);
    return loadSettings(dir, env);
  };
  const failure = async (yaml: string | undefined, env: NodeJS.ProcessEnv = {}) => {
    const error = await load(yaml, env).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  };

  test('no section and no environment: no database', async () => {
    expect((await load(undefined)).database).toBeUndefined();
    expect((await load('port: 8081\n')).database).toBeUndefined();
  });

  test('defaults apply, and the default query listens for changes', async () => {
    const settings = (await load(undefined, { MAIL_AUTOCONFIG_DATABASE_URL: url })).database!;
    expect(settings).toMatchObject({ url, domainQuery: DEFAULT_DOMAIN_QUERY, poolMax: 5, queryTimeoutMs: 1000, cacheEntries: 100_000, cacheTtlMs: 300_000, missTtlMs: 30_000, maxPendingLookups: 1000 });
    expect(listensForChanges(settings)).toBe(true);
  });

  test('the environment overrides the file; a custom query only listens when told to', async () => {
    const query = 'SELECT transport FROM virtual_domains WHERE name = $1';
    const settings = (await load('database:\n  url: postgres://other/db\n  poolMax: 3\n', { MAIL_AUTOCONFIG_DATABASE_URL: url, MAIL_AUTOCONFIG_DOMAIN_QUERY: query })).database!;
    expect(settings.url).toBe(url);
    expect(settings.poolMax).toBe(3);
    expect(listensForChanges(settings)).toBe(false);
    expect(listensForChanges((await load(`database: { url: "${url}", domainQuery: "${query}", listen: true }\n`)).database!)).toBe(true);
  });

  test('yes/no settings take the same spellings and give the same error, in the database section and outside it', async () => {
    for (const [spelling, value] of [['yes', true], ['1', true], ['true', true], ['no', false], ['0', false], ['false', false]] as const) {
      const settings = await load(undefined, { MAIL_AUTOCONFIG_DATABASE_URL: url, MAIL_AUTOCONFIG_DATABASE_LISTEN: spelling, METRICS_ENABLED: spelling });
      expect([settings.database!.listen, settings.metricsEnabled]).toEqual([value, value]);
    }
    const listen = await failure(undefined, { MAIL_AUTOCONFIG_DATABASE_URL: url, MAIL_AUTOCONFIG_DATABASE_LISTEN: 'maybe' });
    const metrics = await failure(undefined, { METRICS_ENABLED: 'maybe' });
    expect(listen).toMatch(/MAIL_AUTOCONFIG_DATABASE_LISTEN: database\.listen: /);
    expect(listen.replace(/.*database\.listen: /s, '')).toBe(metrics.replace(/.*metricsEnabled: /s, ''));
  });

  test.each([
    ['no parameter', 'SELECT provider_id FROM t WHERE domain = lower(name)'],
    ['a second parameter', 'SELECT provider_id FROM t WHERE domain = $1 AND x = $2'],
    ['$10 only', 'SELECT provider_id FROM t WHERE domain = $10'],
  ])('a query with %s is refused, at its line and column', async (_what, domainQuery) => {
    expect(await failure(`port: 8080\ndatabase:\n  url: "${url}"\n  domainQuery: "${domainQuery}"\n`)).toMatch(/settings\.yaml:4:3: database\.domainQuery: must use exactly one parameter/);
  });

  test('a bad setting names its field and place; a bad URL is quoted without its password, from the file or the environment', async () => {
    expect(await failure(`database:\n  url: "${url}"\n  poolMax: 0\n`)).toMatch(/settings\.yaml:3:\d+: database\.poolMax/);
    expect(await failure(`database:\n  url: "${url}"\n  poolMaks: 3\n`)).toMatch(/database\.poolMaks: unknown setting; did you mean poolMax\?/);
    const fromFile = await failure('database:\n  url: mysql://user:hunter2@db/mail\n');
    expect(fromFile).toMatch(/database\.url: must be a postgres/);
    expect(fromFile).not.toContain('hunter2');
    const fromEnv = await failure(undefined, { MAIL_AUTOCONFIG_DATABASE_URL: 'mysql://user:hunter2@db/mail' });
    expect(fromEnv).toMatch(/environment variable MAIL_AUTOCONFIG_DATABASE_URL: database\.url: must be a postgres/);
    expect(fromEnv).not.toContain('hunter2');
    expect(await failure(`database:\n  domainQuery: "${DEFAULT_DOMAIN_QUERY}"\n`)).toMatch(/database\.url: required/);
    expect(await failure(undefined, { MAIL_AUTOCONFIG_DATABASE_POOL_MAX: '3' })).toMatch(/database\.url: required/);
  });
});

describe('redaction', () => {
  test('the URL keeps everything but its password', () => {
    expect(redactDatabaseUrl('postgres://user:pa%2Fss@db:5432/mail?sslmode=require')).toBe('postgres://user:***@db:5432/mail?sslmode=require');
    expect(redactDatabaseUrl('postgresql://db/mail?password=x1&user=u')).toBe('postgresql://db/mail?password=***&user=u');
    expect(redactDatabaseUrl('postgres://db/mail')).toBe('postgres://db/mail');
  });

  test('messages lose the URL and the password, encoded or not', () => {
    const url = 'postgres://user:pa%2Fss@db:5432/mail';
    expect(redactSecrets(`cannot connect to ${url}: bad password pa/ss or pa%2Fss`, url)).toBe('cannot connect to postgres://user:***@db:5432/mail: bad password *** or ***');
  });
});
