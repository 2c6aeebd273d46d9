/**
 * PACC (docs/endpoints.md#pacc): the document checked against a schema written from the draft
 * (not from our serialiser), its digest against the draft's test vector, and the bytes
 * served against the digest an admin would publish.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { z } from 'zod';
import { loadProviderDirectory, loadServedConfig } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { parseProviderFile } from '../src/config/load-providers';
import { dnsRecords, paccDigestRecord } from '../src/formats/admin/dns';
import { paccDigest, renderPacc } from '../src/formats/pacc/pacc';
import type { ProviderInput } from '../src/model/provider';
import { startServer, type RunningServer } from '../src/server';
import { appWithProviders, binaryBody, SHIPPED_CONFIG, shippedApp } from './support/formats';

const PATH = '/.well-known/user-agent-configuration.json';

// The draft's members (docs/endpoints.md#pacc). Unknown members must be ignored by clients, hence loose objects.
const httpsUrl = z.url({ protocol: /^https$/ });
const fqdn = z.string().regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, 'a host name without port');
const urlService = z.strictObject({ url: httpsUrl });
const hostService = z.strictObject({ host: fqdn });
const paccSchema = z.looseObject({
  protocols: z.looseObject({
    jmap: urlService.optional(),
    caldav: urlService.optional(),
    carddav: urlService.optional(),
    webdav: urlService.optional(),
    imap: hostService.optional(),
    pop3: hostService.optional(),
    smtp: hostService.optional(),
    managesieve: hostService.optional(),
  }),
  authentication: z
    .looseObject({
      password: z.boolean().optional(),
      'oauth-public': z
        .looseObject({ issuer: httpsUrl.refine((issuer) => !/[?#]/.test(issuer), 'an RFC 8414 issuer has no query or fragment') })
        .optional(),
    })
    .optional(),
  info: z.looseObject({
    provider: z.looseObject({
      name: z.string().min(1).max(60),
      shortName: z.string().min(1).max(20).optional(),
      logo: z
        .array(
          z.looseObject({
            url: httpsUrl,
            'content-type': z.string().regex(/^image\//),
            width: z.number().int().positive().optional(),
            height: z.number().int().positive().optional(),
          }),
        )
        .optional(),
    }),
    help: z
      .looseObject({
        documentation: z.url().optional(),
        developer: z.url().optional(),
        contact: z.array(z.string().regex(/^(mailto|tel|https):/)).optional(),
      })
      .optional(),
  }),
});

// The draft's example document, exactly these bytes, and its published record.
const EXAMPLE =
  '{"protocols":{"jmap":{"url":"https://mail.example.org/jmap/session"},"imap":{"host":"mail.example.org"},"smtp":{"host":"mail.example.org"},"caldav":{"url":"https://dav.example.org/cal/"},"carddav":{"url":"https://dav.example.org/card/"}},"authentication":{"oauth-public":{"issuer":"https://id.example.org/"},"password":true},"info":{"provider":{"name":"Example Org Mail","shortName":"ExampleMail","logo":[{"url":"https://www.example.org/logo.svg","content-type":"image/svg+xml"}]},"help":{"documentation":"https://help.example.org/mail-setup","contact":["mailto:postmaster@example.org"]}}}';

function fetchPacc(app: Parameters<typeof request>[0], host: string) {
  return request(app).get(PATH).set('Host', host).buffer(true).parse(binaryBody);
}

describe('digest (the draft’s DNS integrity record)', () => {
  test('the test vector of the PACC draft', () => {
    expect(Buffer.byteLength(EXAMPLE)).toBe(589);
    expect(paccDigest(EXAMPLE)).toBe('Mz0nM7BZug/7y5L4iCyFdzMMP6c9VRZZt6t6gCagRpA=');
    const record = paccDigestRecord('example.org', EXAMPLE);
    expect(`${record.name} ${record.type} "${record.value}"`).toBe(
      '_ua-auto-config.example.org. TXT "v=UAAC1; a=sha256; d=Mz0nM7BZug/7y5L4iCyFdzMMP6c9VRZZt6t6gCagRpA="',
    );
  });

  test('the schema accepts the draft’s example', () => {
    expect(paccSchema.safeParse(JSON.parse(EXAMPLE)).success).toBe(true);
  });

  test('one changed byte changes the digest', () => {
    expect(paccDigest(`${EXAMPLE}\n`)).not.toBe(paccDigest(EXAMPLE));
  });
});

describe('GET /.well-known/user-agent-configuration.json', () => {
  test('example.com: content, headers, and the bytes match the digest an admin publishes', async () => {
    const res = await fetchPacc(await shippedApp(), 'ua-auto-config.example.com').expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['content-encoding']).toBeUndefined();
    const document = JSON.parse(res.body.toString('utf8'));
    expect(paccSchema.parse(document)).toEqual({
      protocols: { imap: { host: 'imap.example.com' }, pop3: { host: 'pop.example.com' }, smtp: { host: 'smtp.example.com' } },
      authentication: { password: true },
      info: { provider: { name: 'Example Mail', shortName: 'Example' }, help: { documentation: 'https://example.com/help/mail' } },
    });

    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
    const published = paccDigestRecord('example.com', renderPacc(providerDirectory.find('example.com')!.provider.definition, 'example.com')!);
    expect(published.name).toBe('_ua-auto-config.example.com.');
    expect(published.value).toBe(`v=UAAC1; a=sha256; d=${createHash('sha256').update(res.body).digest('base64')}`);
  });

  test('golden file', async () => {
    const res = await fetchPacc(await shippedApp(), 'ua-auto-config.example.com').expect(200);
    const golden = path.join(__dirname, 'golden', 'pacc-example.json');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, res.body);
    expect(res.body.toString('utf8')).toBe(readFileSync(golden, 'utf8'));
  });

  test('every domain of the shipped config: schema-valid and byte-stable', async () => {
    const app = await shippedApp();
    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
    for (const { definition } of providerDirectory.providers) {
      for (const domain of definition.domains) {
        const first = await fetchPacc(app, `ua-auto-config.${domain}`).expect(200);
        const again = await fetchPacc(app, `ua-auto-config.${domain}:443`).expect(200);
        expect(again.body.equals(first.body)).toBe(true);
        const result = paccSchema.safeParse(JSON.parse(first.body.toString('utf8')));
        expect(result.error).toBeUndefined();
      }
    }
  });

  test('hotmail: SMTP only on STARTTLS ports is left out, since PACC implies implicit TLS on 465', async () => {
    const res = await fetchPacc(await shippedApp(), 'ua-auto-config.live.com').expect(200);
    expect(JSON.parse(res.body.toString('utf8')).protocols).toEqual({ pop3: { host: 'pop3.live.com' } });
  });

  test('the bare domain works too; unknown domains get 404; POST gets 405', async () => {
    const app = await shippedApp();
    await fetchPacc(app, 'example.com').expect(200);
    const missing = await request(app).get(PATH).set('Host', 'ua-auto-config.unknown.example').expect(404);
    expect(missing.text).toMatch(/No configuration/);
    await request(app).post(PATH).set('Host', 'ua-auto-config.example.com').expect(405);
  });
});

test('a domain whose servers PACC cannot describe: 404 with the unknown-domain body, never empty protocols, and no DNS record', async () => {
  const app = appWithProviders([
    {
      id: 'starttls.example',
      displayName: '%EMAILDOMAIN%',
      domains: ['starttls.example'],
      incoming: [{ type: 'imap', hostname: 'imap.starttls.example', socketType: 'STARTTLS' }],
      outgoing: [{ type: 'smtp', hostname: 'smtp.starttls.example', socketType: 'STARTTLS' }],
    },
  ]);
  const answer = await request(app).get(PATH).set('Host', 'ua-auto-config.starttls.example').expect(404);
  const unknown = await request(app).get(PATH).set('Host', 'ua-auto-config.unknown.example').expect(404);
  expect([answer.headers['content-type'], answer.text]).toEqual([unknown.headers['content-type'], unknown.text]);
  const parsed = parseProviderFile('starttls.json', JSON.stringify({ id: 'starttls.example', domains: ['starttls.example'], incoming: [{ type: 'imap', hostname: 'imap.starttls.example', socketType: 'STARTTLS' }], outgoing: [{ type: 'smtp', hostname: 'smtp.starttls.example', socketType: 'STARTTLS' }] }));
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  expect(renderPacc(parsed.definition, 'starttls.example')).toBeUndefined();
  // No document, so neither the name it would be fetched from nor a digest of it is published.
  const zone = dnsRecords(parsed.definition, 'starttls.example', { target: 'config.example.net' });
  const names = zone.records.map((record) => record.name);
  expect(names).toContain('autoconfig.starttls.example.');
  expect(names).not.toContain('ua-auto-config.starttls.example.');
  expect(names).not.toContain('_ua-auto-config.starttls.example.');
  expect(zone.leftOut.flatMap((each) => each.names)).toEqual(['ua-auto-config.starttls.example.', '_ua-auto-config.starttls.example.']);
});

test('the provider’s name: %EMAILDOMAIN% filled per domain, and a short name over 20 characters left out', async () => {
  const app = appWithProviders([
    {
      id: 'names.example',
      displayName: '%EMAILDOMAIN%',
      displayShortName: 'A short name far too long',
      domains: ['names.example'],
      incoming: [{ type: 'imap', hostname: 'imap.names.example', socketType: 'SSL' }],
      outgoing: [{ type: 'smtp', hostname: 'smtp.names.example', socketType: 'SSL' }],
    },
  ]);
  const document = paccSchema.parse(JSON.parse((await fetchPacc(app, 'ua-auto-config.names.example').expect(200)).body.toString('utf8')));
  expect(document.info.provider).toEqual({ name: 'names.example' });
});

describe('what PACC can and cannot say', () => {
  const provider: ProviderInput = {
    id: 'pacc.example',
    displayName: 'PACC "Quoted" <Mail> & Co \u2028 ünïcödé',
    displayShortName: 'PACC',
    domains: ['pacc.example', 'other.example'],
    otherIncoming: [{ type: 'jmap', url: 'https://jmap.%EMAILDOMAIN%/session', authentication: ['OAuth2'] }],
    incoming: [
      { type: 'imap', hostname: 'imap.pacc.example', port: 143, socketType: 'STARTTLS' },
      { type: 'imap', hostname: 'imap-login.pacc.example', socketType: 'SSL', username: '%EMAILLOCALPART%' },
      { type: 'imap', hostname: 'mail.%EMAILDOMAIN%', socketType: 'SSL', authentication: ['OAuth2'] },
    ],
    outgoing: [{ type: 'smtp', hostname: 'smtp.pacc.example', port: 2465, socketType: 'SSL' }],
    oAuth2: {
      issuer: 'https://login.pacc.example/',
      scope: 'mail',
      authURL: 'https://login.pacc.example/authorize',
      tokenURL: 'https://login.pacc.example/token',
    },
  };

  test('only servers a client reaches with host name alone; placeholders filled per domain; values escaped', async () => {
    const app = appWithProviders([provider]);
    for (const domain of ['pacc.example', 'other.example']) {
      const res = await fetchPacc(app, `ua-auto-config.${domain}`).expect(200);
      const document = paccSchema.parse(JSON.parse(res.body.toString('utf8')));
      expect(document).toEqual({
        protocols: { jmap: { url: `https://jmap.${domain}/session` }, imap: { host: `mail.${domain}` } },
        authentication: { 'oauth-public': { issuer: 'https://login.pacc.example/' }, password: false },
        info: { provider: { name: provider.displayName, shortName: 'PACC' } },
      });
    }
  });

  test('logo and technical contact: the draft example’s info member, from a provider file', async () => {
    const draftExample = JSON.parse(EXAMPLE);
    const app = appWithProviders([
      {
        ...provider,
        displayName: 'Example Org Mail',
        displayShortName: 'ExampleMail',
        documentation: [{ url: 'https://help.example.org/mail-setup' }],
        logo: [
          { url: 'https://www.example.org/logo.svg', contentType: 'image/svg+xml' },
          { url: 'https://www.example.org/logo-64.png', contentType: 'image/png', width: 64, height: 64 },
        ],
        contact: ['mailto:postmaster@example.org'],
      },
    ]);
    const document = paccSchema.parse(JSON.parse((await fetchPacc(app, 'ua-auto-config.pacc.example').expect(200)).body.toString('utf8')));
    const pngLogo = { url: 'https://www.example.org/logo-64.png', 'content-type': 'image/png', width: 64, height: 64 };
    expect(document.info).toEqual({
      ...draftExample.info,
      provider: { ...draftExample.info.provider, logo: [...draftExample.info.provider.logo, pngLogo] },
    });
  });

  test.each([
    ['a logo over http', { logo: [{ url: 'http://www.example.org/logo.svg', contentType: 'image/svg+xml' }] }, 'logo[0].url', /https URL/],
    ['a logo that is no image', { logo: [{ url: 'https://www.example.org/logo', contentType: 'text/html' }] }, 'logo[0].contentType', /image media type/],
    ['a contact that is no URI', { contact: ['postmaster@example.org'] }, 'contact[0]', /mailto:, tel: or https:/],
  ])('%s is refused, naming the file and the field', (_name, fields, field, message) => {
    const result = parseProviderFile('pacc.json', JSON.stringify({ ...provider, ...fields }));
    expect(result).toEqual({ problems: [{ file: 'pacc.json', line: 1, column: expect.any(Number), field, message: expect.stringMatching(message) }] });
  });

  test('a bare-host issuer (the ISPDB style) is not an RFC 8414 issuer and is not announced', async () => {
    const app = appWithProviders([{ ...provider, oAuth2: { ...provider.oAuth2!, issuer: 'login.pacc.example' } }]);
    const document = JSON.parse((await fetchPacc(app, 'ua-auto-config.pacc.example').expect(200)).body.toString('utf8'));
    expect(paccSchema.parse(document).authentication).toEqual({ password: false });
    // OAuth2 was the only way into mail.%EMAILDOMAIN%: without an issuer it is not listed.
    expect(document.protocols).toEqual({ jmap: { url: 'https://jmap.pacc.example/session' } });
  });
});

describe('the TLS ask on the metrics port and PACC names', () => {
  const STARTTLS_ONLY = [
    'id: starttls.example',
    'displayName: STARTTLS only',
    'domains: [starttls.example]',
    'incoming: [{ type: imap, hostname: imap.starttls.example, socketType: STARTTLS }]',
    'outgoing: [{ type: smtp, hostname: smtp.starttls.example, socketType: STARTTLS }]',
    '',
  ].join('\n');
  let configDir: string;
  let running: RunningServer;

  beforeAll(async () => {
    configDir = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-tls-ask-'));
    await cp(SHIPPED_CONFIG, configDir, { recursive: true });
    await writeFile(path.join(configDir, 'providers', 'starttls.yaml'), STARTTLS_ONLY);
    const settings = defaultSettings({ configDir, port: 0, host: '127.0.0.1', metricsPort: 0, rateLimitRequests: 0, watchConfig: false });
    running = await startServer(settings, await loadServedConfig(settings), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await running.close();
    await rm(configDir, { recursive: true, force: true });
  });

  const ask = async (name: string) => (await request(running.metricsServer!).get(`/tls/ask?domain=${encodeURIComponent(name)}`)).status;

  test('no certificate for the PACC name of a domain whose PACC answer is 404; yes for its other names', async () => {
    await request(running.server).get(PATH).set('Host', 'ua-auto-config.starttls.example').expect(404);
    expect(await ask('ua-auto-config.starttls.example')).toBe(404);
    expect(await ask('UA-Auto-Config.STARTTLS.example')).toBe(404);
    expect(await ask('autoconfig.starttls.example')).toBe(200);
    expect(await ask('autodiscover.starttls.example')).toBe(200);
    await request(running.server).get(PATH).set('Host', 'ua-auto-config.example.com').expect(200);
    expect(await ask('ua-auto-config.example.com')).toBe(200);
  });

  test('yes for exactly the discovery names `mail-autoconfig dns` publishes, and the PACC name exactly where PACC answers 200', async () => {
    const providerDirectory = await loadProviderDirectory(configDir);
    const domains = providerDirectory.providers.flatMap((provider) => provider.definition.domains.map((domain) => ({ provider, domain })));
    expect(domains.map(({ domain }) => domain)).toEqual(expect.arrayContaining(['example.com', 'starttls.example']));
    for (const { provider, domain } of domains) {
      const published = new Set(dnsRecords(provider.definition, domain, { target: 'config.example.net' }).records.map((record) => record.name));
      for (const prefix of ['autoconfig.', 'autodiscover.', 'ua-auto-config.']) {
        const name = `${prefix}${domain}`;
        expect([name, await ask(name)]).toEqual([name, published.has(`${name}.`) ? 200 : 404]);
      }
      const pacc = await request(running.server).get(PATH).set('Host', `ua-auto-config.${domain}`);
      expect([domain, await ask(`ua-auto-config.${domain}`)]).toEqual([domain, pacc.status]);
    }
  });
});
