/**
 * Mozilla autoconfig over HTTP: paths, the optional address, the Host fallback, errors,
 * and every element of the document as Thunderbird reads it (docs/endpoints.md#mozilla-autoconfig).
 */
import request from 'supertest';
import { hostedProvider } from '../src/config/hosted-providers';
import { ProviderDirectory } from '../src/model/provider-directory';
import { createApp } from '../src/http/app';
import { defaultSettings } from '../src/config/settings';
import { parseProviderFile } from '../src/config/load-providers';
import { parseXml, shippedApp } from './support/app';
import { readAsThunderbird } from './support/client-rules';

let app: Awaited<ReturnType<typeof shippedApp>>;
beforeAll(async () => {
  app = await shippedApp();
});

describe('the shipped Hotmail/MSN definition, as Thunderbird reads it', () => {
  test('POP3 995 SSL with the full address, SMTP 587 then 25 with STARTTLS and authentication', async () => {
    const res = await request(app).get('/mail/config-v1.1.xml?emailaddress=jane%40hotmail.com').expect(200);
    const config = readAsThunderbird(res.text);
    expect(config.id).toBe('hotmail.com');
    expect(config.domains).toEqual(expect.arrayContaining(['hotmail.com', 'live.com', 'msn.com']));
    expect(config.dropped).toEqual([]);
    expect(config.incoming).toEqual([
      { type: 'pop3', hostname: 'pop3.live.com', port: 995, socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
    ]);
    expect(config.outgoing).toEqual([
      { type: 'smtp', hostname: 'smtp.live.com', port: 587, socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
      { type: 'smtp', hostname: 'smtp.live.com', port: 25, socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
    ]);
    const provider = parseXml(res.text).clientConfig.emailProvider;
    expect(parseXml(res.text).clientConfig['@version']).toBe('1.1');
    expect(provider.displayName).toBe('Windows Live Hotmail');
    expect(provider.displayShortName).toBe('Hotmail');
    expect(provider.incomingServer[0].pop3).toEqual({ leaveMessagesOnServer: 'true' });
    expect(provider.documentation[0]['@url']).toMatch(/^https:\/\/support\.microsoft\.com\//);
  });
});

describe('paths and requests clients send', () => {
  test.each([
    '/mail/config-v1.1.xml',
    '/.well-known/autoconfig/mail/config-v1.1.xml',
    '/MAIL/Config-v1.1.XML',
    '/.well-known/AutoConfig/mail/config-v1.1.xml',
    '/v1.1/mail/config-v1.1.xml',
  ])('%s answers with the document', async (path) => {
    const res = await request(app).get(`${path}?emailaddress=fred%40example.com`).expect(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(readAsThunderbird(res.text).id).toBe('example.com');
  });

  test('without an address the Host names the domain, with autoconfig. and the port stripped', async () => {
    const res = await request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.msn.com:8080').expect(200);
    expect(readAsThunderbird(res.text).id).toBe('hotmail.com');
    const root = await request(app).get('/.well-known/autoconfig/mail/config-v1.1.xml').set('Host', 'EXAMPLE.NET').expect(200);
    expect(readAsThunderbird(root.text).id).toBe('example.com');
  });

  test('the address wins over the Host, and the Host serves MX lookups for unknown address domains', async () => {
    const byAddress = await request(app).get('/mail/config-v1.1.xml?emailaddress=a%40live.com').set('Host', 'autoconfig.example.com');
    expect(readAsThunderbird(byAddress.text).id).toBe('hotmail.com');
    // Thunderbird asks autoconfig.<mx-domain> with the user's own address.
    const viaMx = await request(app).get('/mail/config-v1.1.xml?emailaddress=a%40customer.test').set('Host', 'autoconfig.example.com');
    expect(viaMx.status).toBe(200);
    expect(readAsThunderbird(viaMx.text).id).toBe('example.com');
  });

  test('the document depends only on the domain, never on the address sent', async () => {
    const bodies = await Promise.all(
      ['fred%40example.com', 'EVOLUTIONUSER%40example.com', 'fred+tag@example.com', 'x%26y%40EXAMPLE.COM', '']
        .map((value) => request(app).get(`/mail/config-v1.1.xml?emailaddress=${value}`).set('Host', 'autoconfig.example.com'))
        .map(async (pending) => (await pending).text),
    );
    expect(new Set(bodies).size).toBe(1);
  });

  test('extra and repeated parameters are ignored; parameter names are case-insensitive', async () => {
    const res = await request(app)
      .get('/mail/config-v1.1.xml?EmailAddress=a%40msn.com&emailmd5=0123&emailaddress=b%40example.com')
      .expect(200);
    expect(readAsThunderbird(res.text).id).toBe('hotmail.com');
  });

  test('a raw + in the address is kept, not read as a space', async () => {
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred+tag@example.com').expect(200);
    // A space is not valid in an address, so a form decoder would have turned this into a 400.
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%20tag@example.com').expect(400);
  });

  test('internationalised domains match in either form', async () => {
    const providerDirectory = directoryWith(`id: xn--bcher-kva.example\ndomains: [Bücher.example]\n${SERVERS}`);
    const idnApp = createApp({ providerDirectory, settings: defaultSettings() });
    for (const address of ['anna%40b%C3%BCcher.example', 'anna%40xn--bcher-kva.example', 'anna%40B%C3%9CCHER.example']) {
      const res = await request(idnApp).get(`/mail/config-v1.1.xml?emailaddress=${address}`).expect(200);
      expect(readAsThunderbird(res.text).domains).toEqual(['xn--bcher-kva.example']);
    }
    await request(idnApp).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.xn--bcher-kva.example').expect(200);
  });

  test('HEAD is answered like GET, without a body', async () => {
    const res = await request(app).head('/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  });
});

describe('errors', () => {
  test('unknown domain: 404 with a short text body', async () => {
    const res = await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40unknown.test').expect(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('No configuration for this domain\n');
    await request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.unknown.test').expect(404);
    await request(app).get('/mail/config-v1.1.xml').set('Host', '127.0.0.1').expect(404);
  });

  test.each(['fred', 'fred%40', '%40example.com', 'a%20b%40example.com', 'fred%40exa_mple.com', 'a..b%40example.com', '%E0%A4%A', 'fred%40%00.com'])(
    'invalid address %s: 400 with a short text body',
    async (value) => {
      const res = await request(app).get(`/mail/config-v1.1.xml?emailaddress=${value}`).expect(400);
      expect(res.text).toBe('Invalid email address\n');
    },
  );

  test('other methods: 405 with Allow', async () => {
    const res = await request(app).post('/mail/config-v1.1.xml').send('x').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('every element of the model reaches the document', () => {
  const full = `id: full.example
displayName: Full Example
displayShortName: Full
domains: [full.example, FULL.example.org]
incoming:
  - { type: imap, hostname: imap.full.example, socketType: STARTTLS, authentication: [OAuth2, password-encrypted], username: "%EMAILLOCALPART%" }
  - type: pop3
    hostname: pop.%EMAILDOMAIN%
    socketType: SSL
    pop3: { leaveMessagesOnServer: false, downloadOnBiff: false, daysToLeaveMessagesOnServer: 7, checkIntervalMinutes: 15 }
    useGlobalPreferredServer: false
outgoing:
  - { hostname: smtp.full.example, socketType: plain, authentication: client-IP-address, restriction: client-IP-address, addThisServer: true, useGlobalPreferredServer: false }
documentation:
  - url: https://full.example/help
    descr: { en: "Help & <support>", fr: Aide }
  - url: http://full.example/plain
enable:
  visitUrl: https://full.example/enable?a=1&b=2
  instruction: { en: Turn IMAP on first }
webMail:
  loginPage: https://webmail.full.example/
  loginPageInfo:
    url: https://webmail.full.example/login
    username: "%EMAILADDRESS%"
    usernameField: { id: user }
    passwordField: { name: pass }
    loginButton: { id: go, name: go }
inputFields:
  - { key: CUSTOMER, label: Customer number }
oAuth2:
  issuer: id.full.example
  scope: mail offline_access
  authURL: https://id.full.example/authorize
  tokenURL: https://id.full.example/token
clientConfigUpdate: https://full.example/update.xml
`;

  test('servers, default ports, pop3 options, documentation, enable, webMail, inputField, oAuth2', async () => {
    const fullApp = createApp({ providerDirectory: directoryWith(full), settings: defaultSettings() });
    const res = await request(fullApp).get('/mail/config-v1.1.xml?emailaddress=x%40full.example.org').expect(200);
    const tb = readAsThunderbird(res.text);
    expect(tb.domains).toEqual(['full.example', 'full.example.org']);
    // OAuth2 is skipped by Thunderbird for hosts it does not know; the fallback keeps the server (docs/endpoints.md#what-thunderbird-accepts).
    expect(tb.incoming.map((s) => [s.type, s.hostname, s.port, s.socketType, s.authentication, s.username])).toEqual([
      ['imap', 'imap.full.example', 143, 'STARTTLS', 'password-encrypted', '%EMAILLOCALPART%'],
      ['pop3', 'pop.%EMAILDOMAIN%', 995, 'SSL', 'password-cleartext', '%EMAILADDRESS%'],
    ]);
    expect(tb.outgoing.map((s) => [s.port, s.socketType, s.authentication])).toEqual([[25, 'plain', 'client-IP-address']]);

    const doc = parseXml(res.text).clientConfig;
    const provider = doc.emailProvider;
    expect(provider.incomingServer[0].authentication).toEqual(['OAuth2', 'password-encrypted']);
    expect(provider.incomingServer[1].pop3).toEqual({
      leaveMessagesOnServer: 'false',
      downloadOnBiff: 'false',
      daysToLeaveMessagesOnServer: '7',
      checkInterval: { '@minutes': '15' },
    });
    expect(provider.incomingServer[1].useGlobalPreferredServer).toBe('false');
    expect(provider.outgoingServer[0]).toMatchObject({ restriction: 'client-IP-address', addThisServer: 'true', useGlobalPreferredServer: 'false' });
    expect(provider.documentation).toEqual([
      { '@url': 'https://full.example/help', descr: [{ '@lang': 'en', '#text': 'Help & <support>' }, { '@lang': 'fr', '#text': 'Aide' }] },
      { '@url': 'http://full.example/plain' },
    ]);
    expect(provider.inputField).toEqual({ '@key': 'CUSTOMER', '@label': 'Customer number' });
    expect(doc.enable).toEqual({ '@visiturl': 'https://full.example/enable?a=1&b=2', instruction: { '@lang': 'en', '#text': 'Turn IMAP on first' } });
    expect(doc.webMail).toEqual({
      loginPage: { '@url': 'https://webmail.full.example/' },
      loginPageInfo: {
        '@url': 'https://webmail.full.example/login',
        username: '%EMAILADDRESS%',
        usernameField: { '@id': 'user' },
        passwordField: { '@name': 'pass' },
        loginButton: { '@id': 'go', '@name': 'go' },
      },
    });
    expect(doc.oAuth2).toEqual({
      issuer: 'id.full.example',
      scope: 'mail offline_access',
      authURL: 'https://id.full.example/authorize',
      tokenURL: 'https://id.full.example/token',
    });
    expect(doc.clientConfigUpdate).toEqual({ '@url': 'https://full.example/update.xml' });
    // No value element carries surrounding whitespace (docs/endpoints.md#what-thunderbird-accepts).
    expect(res.text).not.toMatch(/>\s+[^<\s][^<]*</);
  });
});

const SERVERS = `incoming: [{ type: imap, hostname: imap.example.org, socketType: SSL }]
outgoing: [{ type: smtp, hostname: smtp.example.org, socketType: SSL }]
`;

function directoryWith(yaml: string): ProviderDirectory {
  const result = parseProviderFile('test.yaml', yaml);
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return new ProviderDirectory([hostedProvider(result)]);
}
