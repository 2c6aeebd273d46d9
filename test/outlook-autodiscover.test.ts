/**
 * Outlook POX autodiscover and the v2 JSON pointer over HTTP (docs/endpoints.md#outlook-autodiscover-pox): the
 * socketType/authentication mapping as Outlook and Thunderbird read it, request
 * variants, and every error shape.
 */
import request from 'supertest';
import { parseProviderFile } from '../src/config/load-providers';
import { defaultSettings, loadSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { hostedProvider } from '../src/config/hosted-providers';
import { ProviderDirectory } from '../src/model/provider-directory';
import { SHIPPED_CONFIG, shippedApp } from './support/app';
import { poxError, poxProtocols, readAsOutlook, readPoxAsThunderbird } from './support/client-rules';

const OUTLOOK_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const MOBILESYNC_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';

function poxBody(address: string, schema = OUTLOOK_SCHEMA): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>${schema}</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;
}

let app: Awaited<ReturnType<typeof shippedApp>>;
beforeAll(async () => {
  app = await shippedApp();
});

const post = (body: string | Buffer, path = '/autodiscover/autodiscover.xml') =>
  request(app).post(path).set('Content-Type', 'text/xml; charset=utf-8').send(body);

describe('settings for the shipped Hotmail/MSN definition', () => {
  test('POP3 995 SSL and SMTP 587 STARTTLS (the first choice only), SPA off, authentication on, the real address as login, TTL 1', async () => {
    const res = await post(poxBody('jane@hotmail.com')).expect(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    const protocols = poxProtocols(res.text);
    // The definition lists SMTP 587 and then 25: Outlook keeps one server per Type, so only 587 is sent.
    expect(protocols).toEqual([
      { Type: 'POP3', Server: 'pop3.live.com', Port: '995', LoginName: 'jane@hotmail.com', DomainRequired: 'off', SPA: 'off', SSL: 'on', Encryption: 'SSL', AuthRequired: 'on', TTL: '1' },
      { Type: 'SMTP', Server: 'smtp.live.com', Port: '587', LoginName: 'jane@hotmail.com', DomainRequired: 'off', SPA: 'off', SSL: 'on', Encryption: 'TLS', AuthRequired: 'on', UsePOPAuth: 'on', SMTPLast: 'off', TTL: '1' },
    ]);
    // Thunderbird derives the same security from these answers as the definition says.
    expect(protocols.map((p) => readPoxAsThunderbird(p))).toEqual([
      { socketType: 'SSL', authentication: 'password-cleartext' },
      { socketType: 'STARTTLS', authentication: 'password-cleartext' },
    ]);
  });

  test('the TTL comes from the autodiscoverTtlHours setting (MAIL_AUTOCONFIG_AUTODISCOVER_TTL_HOURS)', async () => {
    const settings = await loadSettings(SHIPPED_CONFIG, { MAIL_AUTOCONFIG_AUTODISCOVER_TTL_HOURS: '24' });
    expect(settings.autodiscoverTtlHours).toBe(24);
    const day = await shippedApp({ autodiscoverTtlHours: settings.autodiscoverTtlHours });
    const posted = poxProtocols((await request(day).post('/autodiscover/autodiscover.xml').send(poxBody('jane@hotmail.com')).expect(200)).text);
    const got = poxProtocols((await request(day).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.live.com').expect(200)).text);
    expect([...posted, ...got].map((protocol) => protocol.TTL)).toEqual(['24', '24', '24', '24']);
    await expect(loadSettings(SHIPPED_CONFIG, { MAIL_AUTOCONFIG_AUTODISCOVER_TTL_HOURS: 'soon' })).rejects.toThrow(/autodiscoverTtlHours/);
  });

  test('placeholders in login names and host names are filled from the address', async () => {
    const custom = appWith(`id: custom.example
domains: [custom.example]
incoming: [{ type: imap, hostname: "imap.%EMAILDOMAIN%", socketType: SSL, username: "%EMAILLOCALPART%" }]
outgoing: [{ type: smtp, hostname: smtp.custom.example, socketType: SSL, username: "%EMAILLOCALPART%+%EMAILDOMAIN%" }]
`);
    const res = await request(custom).post('/autodiscover/autodiscover.xml').send(poxBody('Jo$&amp;e@Custom.Example')).expect(200);
    const [imap, smtp] = poxProtocols(res.text);
    expect(imap).toMatchObject({ Server: 'imap.Custom.Example', LoginName: 'Jo$&e' });
    expect(smtp).toMatchObject({ LoginName: 'Jo$&e+Custom.Example', UsePOPAuth: 'off' });
  });
});

describe('the socketType and authentication mapping, one case each', () => {
  const cases = [
    // socketType, authentication, expected POX flags
    ['SSL', 'password-cleartext', { SSL: 'on', Encryption: 'SSL', SPA: 'off', AuthRequired: 'on' }],
    ['STARTTLS', 'password-cleartext', { SSL: 'on', Encryption: 'TLS', SPA: 'off', AuthRequired: 'on' }],
    ['plain', 'password-cleartext', { SSL: 'off', Encryption: 'None', SPA: 'off', AuthRequired: 'on' }],
    // SPA is NTLM to Outlook: on for NTLM only, never for CRAM-MD5 servers.
    ['SSL', 'password-encrypted', { SPA: 'off', AuthRequired: 'on' }],
    ['SSL', 'NTLM', { SPA: 'on', AuthRequired: 'on' }],
    ['SSL', '[OAuth2, password-cleartext]', { SPA: 'off', AuthRequired: 'on' }],
    ['SSL', '[GSSAPI, NTLM]', { SPA: 'on', AuthRequired: 'on' }],
  ] as const;

  test.each(cases)('incoming %s with %s', async (socketType, authentication, expected) => {
    const res = await request(
      appWith(`id: map.example
domains: [map.example]
incoming: [{ type: imap, hostname: imap.map.example, socketType: ${socketType}, authentication: ${authentication} }]
outgoing: [{ type: smtp, hostname: smtp.map.example, socketType: SSL }]
`),
    )
      .post('/autodiscover/autodiscover.xml')
      .send(poxBody('a@map.example'));
    const [imap] = poxProtocols(res.text);
    expect(imap).toMatchObject({ ...expected, DomainRequired: 'off' });
    // Outlook reads every flag as written: none is left to its "on" default.
    expect(readAsOutlook(imap!)).toEqual({
      spa: imap!.SPA === 'on',
      ssl: imap!.SSL === 'on',
      authRequired: true,
      encryption: imap!.Encryption,
    });
    expect(readPoxAsThunderbird(imap!).socketType).toBe(socketType === 'plain' ? 'plain' : socketType === 'SSL' ? 'SSL' : 'STARTTLS');
  });

  test.each([
    ['none', { AuthRequired: 'off', SPA: 'off', SMTPLast: 'off', UsePOPAuth: 'off' }],
    ['client-IP-address', { AuthRequired: 'off', SPA: 'off', SMTPLast: 'off', UsePOPAuth: 'off' }],
    ['smtp-after-pop', { AuthRequired: 'off', SPA: 'off', SMTPLast: 'on', UsePOPAuth: 'off' }],
    ['password-cleartext', { AuthRequired: 'on', SPA: 'off', SMTPLast: 'off', UsePOPAuth: 'on' }],
  ] as const)('outgoing with %s', async (authentication, expected) => {
    const res = await request(
      appWith(`id: smtp.example
domains: [smtp.example]
incoming: [{ type: pop3, hostname: pop.smtp.example, socketType: SSL }]
outgoing: [{ type: smtp, hostname: smtp.smtp.example, socketType: STARTTLS, authentication: ${authentication} }]
`),
    )
      .post('/autodiscover/autodiscover.xml')
      .send(poxBody('a@smtp.example'));
    expect(poxProtocols(res.text)[1]).toMatchObject(expected);
  });

  test('servers Outlook cannot use (OAuth2 only) are left out; none usable is error 501', async () => {
    const oauthOnly = appWith(`id: oauth.example
domains: [oauth.example]
incoming:
  - { type: imap, hostname: imap.oauth.example, socketType: SSL, authentication: OAuth2 }
  - { type: pop3, hostname: pop.oauth.example, socketType: SSL }
outgoing: [{ type: smtp, hostname: smtp.oauth.example, socketType: SSL, authentication: OAuth2 }]
`);
    const res = await request(oauthOnly).post('/autodiscover/autodiscover.xml').send(poxBody('a@oauth.example')).expect(200);
    expect(poxError(res.text).code).toBe('501');
  });
});

describe('requests as clients write them', () => {
  test.each([
    ['path case', poxBody('fred@example.com'), '/AutoDiscover/AutoDiscover.XML'],
    ['element-name case', poxBody('fred@example.com').replaceAll('EMailAddress', 'EmailAddress'), undefined],
    ['namespace prefixes', poxBody('fred@example.com').replace(/<(\/?)(\w)/g, '<$1a:$2').replace('xmlns=', 'xmlns:a='), undefined],
    ['https schema spelling', poxBody('fred@example.com', OUTLOOK_SCHEMA.replace('http:', 'https:')), undefined],
    ['a byte-order mark', `\uFEFF${poxBody('fred@example.com')}`, undefined],
    ['no XML declaration', poxBody('fred@example.com').replace(/^<\?xml[^>]*>\s*/, ''), undefined],
    ['entity-escaped address', poxBody('fred&#64;example.com'), undefined],
  ])('%s', async (_name, body, path) => {
    const res = await post(body, path).expect(200);
    expect(poxProtocols(res.text)[0]).toMatchObject({ Type: 'IMAP', LoginName: 'fred@example.com' });
  });

  test('whatever the Content-Type, even a form type', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'application/json', 'text/plain']) {
      const res = await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', type).send(poxBody('fred@example.com'));
      expect(poxProtocols(res.text)).toHaveLength(3);
    }
  });

  test('GET answers for the Host domain without login names', async () => {
    const res = await request(app).get('/Autodiscover/Autodiscover.xml').set('Host', 'autodiscover.live.com').expect(200);
    const protocols = poxProtocols(res.text);
    expect(protocols.map((p) => p.Server)).toEqual(['pop3.live.com', 'smtp.live.com']);
    for (const protocol of protocols) expect(protocol.LoginName).toBeUndefined();
  });

  test('GET for a host that is not hosted: error 600 with HTTP 200, never 404/405', async () => {
    const res = await request(app).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.unknown.test').expect(200);
    expect(poxError(res.text).code).toBe('600');
  });
});

describe('POX errors: HTTP 200 with the error in the body', () => {
  test.each([
    ['malformed XML', '<Autodiscover><Request><EMailAddress>a@example.com</Request>'],
    ['an unescaped & in the address', poxBody('a&b@example.com')],
    ['a missing address', poxBody('')],
    ['no Request', '<Autodiscover/>'],
    ['two Requests', `<Autodiscover><Request><EMailAddress>a@example.com</EMailAddress></Request><Request><EMailAddress>b@example.com</EMailAddress></Request></Autodiscover>`],
    ['a syntactically invalid address', poxBody('not-an-address')],
    ['an empty body', ''],
    ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "a@example.com">]><Autodiscover><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>`],
    ['an undeclared entity', poxBody('&e;@example.com')],
    ['a body that is not UTF-8', Buffer.from([0x3c, 0x41, 0xff, 0xfe, 0x3e])],
    ['another root element', poxBody('a@example.com').replaceAll('Autodiscover', 'Discover')],
  ])('%s: 600', async (_name, body) => {
    const res = await post(body).expect(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(poxError(res.text)).toEqual({
      code: '600',
      namespace: 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006',
      message: 'Invalid Request',
    });
  });

  test('the error carries Time and Id attributes', async () => {
    const res = await post('<x/>');
    expect(res.text).toMatch(/<Error Time="\d\d:\d\d:\d\d\.\d{7}" Id="\d+">/);
  });

  test('ActiveSync (mobilesync) request: 601 in the mobilesync namespace, no MobileSync settings', async () => {
    const res = await post(poxBody('fred@example.com', MOBILESYNC_SCHEMA)).expect(200);
    expect(poxError(res.text)).toMatchObject({ code: '601', namespace: MOBILESYNC_SCHEMA });
  });

  test('any other schema: 601 in that namespace; an implausible one falls back to the generic namespace', async () => {
    const other = await post(poxBody('fred@example.com', 'http://example.org/schema/2020'));
    expect(poxError(other.text)).toMatchObject({ code: '601', namespace: 'http://example.org/schema/2020' });
    const odd = await post(poxBody('fred@example.com', 'not a uri &lt;x&gt;'));
    expect(poxError(odd.text)).toMatchObject({ code: '601', namespace: 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006' });
  });

  test('unknown domain: 500', async () => {
    const res = await post(poxBody('fred@unknown.test')).expect(200);
    expect(poxError(res.text)).toMatchObject({ code: '500' });
  });

  test('a body over the limit: 413 before parsing', async () => {
    const res = await post(`${poxBody('fred@example.com')}<!--${'x'.repeat(9000)}-->`);
    expect(res.status).toBe(413);
    const larger = await request(await shippedApp({ bodyLimitBytes: 20_000 }))
      .post('/autodiscover/autodiscover.xml')
      .send(`${poxBody('fred@example.com')}<!--${'x'.repeat(9000)}-->`)
      .expect(200);
    expect(poxProtocols(larger.text)).toHaveLength(3);
  });

  test('other methods: 405 with Allow', async () => {
    const res = await request(app).put('/autodiscover/autodiscover.xml').send('x').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('plain-http requests from a trusted proxy are redirected to https', () => {
  test('GET and POST answer 302 to the https endpoint; https and untrusted headers are served', async () => {
    const proxied = await shippedApp({ trustProxy: 'loopback' });
    const get = await request(proxied).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.com').set('X-Forwarded-Proto', 'http');
    expect(get.status).toBe(302);
    expect(get.headers.location).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
    const postOverHttp = await request(proxied).post('/autodiscover/autodiscover.xml').set('X-Forwarded-Proto', 'http').set('Host', 'autodiscover.example.com').send(poxBody('fred@example.com'));
    expect(postOverHttp.status).toBe(302);
    const overHttps = await request(proxied).post('/autodiscover/autodiscover.xml').set('X-Forwarded-Proto', 'https').send(poxBody('fred@example.com'));
    expect(overHttps.status).toBe(200);
    // Without a trusted proxy the header proves nothing and is ignored.
    const untrusted = await request(app).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.com').set('X-Forwarded-Proto', 'http');
    expect(untrusted.status).toBe(200);
  });
});

describe('autodiscover v2 (JSON)', () => {
  const pointer = { Protocol: 'AutodiscoverV1', Url: 'https://autodiscover.example.com/autodiscover/autodiscover.xml' };

  test.each([
    '/autodiscover/autodiscover.json?Email=fred%40example.com&Protocol=AutodiscoverV1',
    '/autodiscover/autodiscover.json?email=fred%40example.com&protocol=autodiscoverv1&RedirectCount=1',
    '/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=Autodiscoverv1',
    '/Autodiscover/Autodiscover.json/v1.0/fred%40example.com?Protocol=AUTODISCOVERV1',
  ])('%s points at the POX endpoint', async (path) => {
    const res = await request(app).get(path).set('Host', 'autodiscover.example.com').expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual(pointer);
  });

  test.each([
    ['?Email=fred%40example.com&Protocol=ActiveSync', 200, 'ProtocolNotSupported'],
    ['?Email=fred%40example.com&Protocol=Ews', 200, 'ProtocolNotSupported'],
    ['?Email=fred%40example.com', 400, 'MissingProtocol'],
    ['?Protocol=AutodiscoverV1', 400, 'MandatoryParameterMissing'],
    ['?Email=not-an-address&Protocol=AutodiscoverV1', 400, 'InvalidUser'],
    ['?Email=fred%40unknown.test&Protocol=AutodiscoverV1', 404, 'InvalidUser'],
  ])('%s: %d %s', async (query, status, code) => {
    const res = await request(app).get(`/autodiscover/autodiscover.json${query}`).set('Host', 'autodiscover.unknown.test').expect(status);
    expect(res.body).toEqual({ ErrorCode: code, ErrorMessage: expect.any(String) });
  });

  test('the Url names autodiscover.<domain>, also when the Host is an address', async () => {
    const res = await request(app).get('/autodiscover/autodiscover.json?Email=a%40msn.com&Protocol=AutodiscoverV1').set('Host', '127.0.0.1:8080');
    expect(res.body.Url).toBe('https://autodiscover.msn.com/autodiscover/autodiscover.xml');
  });
});

function appWith(yaml: string) {
  const result = parseProviderFile('test.yaml', yaml);
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return createApp({ providerDirectory: new ProviderDirectory([hostedProvider(result)]), settings: defaultSettings() });
}

test('a POX answer to a POST has no ETag (nothing can revalidate a POST); the GET autoconfig answer keeps its own', async () => {
  const app = await shippedApp();
  const post = await request(app).post('/autodiscover/autodiscover.xml').type('text/xml').send(poxBody('fred@example.com')).expect(200);
  expect(post.headers.etag).toBeUndefined();
  expect(Number(post.headers['content-length'])).toBe(Buffer.byteLength(post.text));
  const get = await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
  expect(get.headers.etag).toMatch(/^W\/"[0-9a-f]+-/);
  await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').set('If-None-Match', get.headers.etag!).expect(304);
});
