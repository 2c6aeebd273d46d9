/**
 * Every loadable ISPDB sample in one config directory, served by one app: several hundred
 * domains from dozens of providers, looked up through the real loader and HTTP routes. Two
 * files claiming the same domain (outlook.com: the current hotmail.com file and the
 * historical outlook.com file) are a configuration error until one of them is left out.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ConfigError } from '../src/config/errors';
import { DEFAULT_CONFIG_FILE_LIMITS } from '../src/config/config-files';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { ISPDB_FIXTURES, parseXml } from './support/app';

const ISPDB_SAMPLE = ISPDB_FIXTURES;

/** Samples refused on their own (see ispdb-samples.test.ts for why); they would fail any directory. */
const REFUSED = new Set([
  'historical/cloudnine-net.jp.xml',
  'unmerged-pr/purelymail.com.xml',
  'unmerged-pr/pspddd.pl.xml',
  'unmerged-pr/protonmail.com.xml',
]);
const OUTLOOK_COM = 'historical/outlook.com.xml';

const loadable = ['current', 'historical', 'unmerged-pr'].flatMap((folder) =>
  readdirSync(path.join(ISPDB_SAMPLE, folder))
    .map((file) => `${folder}/${file}`)
    .filter((name) => name.endsWith('.xml') && !REFUSED.has(name)),
);

const directories: string[] = [];
afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

// The samples stay where they are, outside the config directory: allowed as the setting allows it.
const LINKS_ALLOWED = { ...DEFAULT_CONFIG_FILE_LIMITS, allowFilesOutsideConfigDir: true };

/** A config directory whose providers/ links to the given sample files (never copies them; read with LINKS_ALLOWED). */
function configWith(names: readonly string[]): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'ispdb-all-'));
  directories.push(directory);
  mkdirSync(path.join(directory, 'providers'));
  for (const name of names) symlinkSync(path.join(ISPDB_SAMPLE, name), path.join(directory, 'providers', name.replace('/', '--')));
  return directory;
}

test('a domain listed by two files is a config error naming both files', async () => {
  const directory = configWith(loadable);
  const error = await loadProviderDirectory(directory, {}, LINKS_ALLOWED).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems;
  expect(problems).toHaveLength(1);
  expect(problems[0]?.file).toMatch(/historical--outlook\.com\.xml$/);
  expect(problems[0]).toMatchObject({ line: 15, column: 5 });
  expect(problems[0]?.message).toMatch(/^domain outlook\.com is already claimed by .*current--hotmail\.com\.xml:7:5 \(provider hotmail\.com\); a domain belongs to one provider: remove it from one of the two files$/);
});

describe('all samples but the historical outlook.com file, in one server', () => {
  const names = loadable.filter((name) => name !== OUTLOOK_COM);
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    const directory = configWith(names);
    app = createApp({ providerDirectory: await loadProviderDirectory(directory, {}, LINKS_ALLOWED), settings: defaultSettings({ configDir: directory }) });
  });

  test('hosts every provider and several hundred domains', async () => {
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', providers: names.length, domains: 735 });
    expect(names).toHaveLength(56);
  });

  const providerFor = async (query: Record<string, string>, host = 'autoconfig.example.invalid') => {
    const res = await request(app).get('/mail/config-v1.1.xml').query(query).set('Host', host).expect(200);
    return parseXml(res.text).clientConfig.emailProvider;
  };

  test.each([
    ['someone@gmx.de', 'gmx.net'],
    ['Someone@GMX.AT', 'gmx.net'],
    ['someone@outlook.com', 'hotmail.com'],
    ['someone@live.de', 'hotmail.com'],
    ['someone@mail.protection.outlook.com', 'office365.com'],
    ['someone@ewetel.de', 'ewe.net'],
    ['someone@charter.net', 'charter.com'],
    ['someone@cty-net.ne.jp', 'cty-net.ne.jp'],
  ])('%s is served the %s provider', async (address, id) => {
    expect((await providerFor({ emailaddress: address }))['@id']).toBe(id);
  });

  test('the Host names the domain when no address is given (and MX-style autoconfig.<domain>)', async () => {
    expect((await providerFor({}, 'autoconfig.onmicrosoft.com'))['@id']).toBe('office365.com');
  });

  test('a domain no file lists is not found', async () => {
    await request(app).get('/mail/config-v1.1.xml').query({ emailaddress: 'someone@example.invalid' }).expect(404);
  });

  test('Outlook gets the same provider for the same address', async () => {
    const res = await request(app)
      .post('/autodiscover/autodiscover.xml')
      .set('Content-Type', 'text/xml')
      .send(
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
          '<EMailAddress>someone@posteo.de</EMailAddress>' +
          '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
          '</Request></Autodiscover>',
      )
      .expect(200);
    const [first] = parseXml(res.text).Autodiscover.Response.Account.Protocol;
    expect(first).toMatchObject({ Type: 'IMAP', Server: 'posteo.de', Port: '993', SSL: 'on', Encryption: 'SSL' });
  });
});
