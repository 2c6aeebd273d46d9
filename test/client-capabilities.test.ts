/**
 * The capability table (src/model/client-capabilities.ts) walked against every format:
 * for each socket type and each authentication method, a provider whose first servers
 * use it is served over HTTP, each answer is read back with a parser that is not ours
 * (Thunderbird's rules, Outlook's and Thunderbird's POX reading, a plist reader, JSON,
 * an HTML5 parser) and each field is compared with what the table says; where the table
 * says a format cannot express it, the format must fall back to the second server.
 */
import { load } from 'cheerio';
import request from 'supertest';
import { AUTHENTICATION_CAPABILITIES, SOCKET_CAPABILITIES } from '../src/model/client-capabilities';
import { AUTHENTICATION_METHODS, DEFAULT_PORTS, SOCKET_TYPES, type ProviderInput } from '../src/model/provider';
import { poxProtocols, readAsOutlook, readAsThunderbird, readPoxAsThunderbird } from './support/client-rules';
import { appWithProviders, download } from './support/formats';
import { parsePlist as readPlist } from './support/formats';

const ADDRESS = 'fred@cap.example';
const FALLBACK = { incoming: 'imap.fallback.example', outgoing: 'smtp.fallback.example' };

const poxRequest = (address: string) =>
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
  `<EMailAddress>${address}</EMailAddress>` +
  '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
  '</Request></Autodiscover>';

const cases = SOCKET_TYPES.flatMap((socketType) => AUTHENTICATION_METHODS.map((method) => [socketType, method] as const));

describe.each(cases)('%s with %s', (socketType, method) => {
  const socket = SOCKET_CAPABILITIES[socketType];
  const auth = AUTHENTICATION_CAPABILITIES[method];
  const provider: ProviderInput = {
    id: 'cap.example',
    displayName: 'Capabilities',
    domains: ['cap.example'],
    incoming: [
      { type: 'imap', hostname: 'imap.cap.example', socketType, authentication: [method] },
      { type: 'imap', hostname: FALLBACK.incoming, socketType: 'SSL', authentication: ['password-cleartext'] },
    ],
    outgoing: [
      { type: 'smtp', hostname: 'smtp.cap.example', socketType, authentication: [method] },
      { type: 'smtp', hostname: FALLBACK.outgoing, socketType: 'SSL', authentication: ['password-cleartext'] },
    ],
    oAuth2: { issuer: 'https://login.cap.example/', scope: 'mail', authURL: 'https://login.cap.example/auth', tokenURL: 'https://login.cap.example/token' },
  };
  const app = appWithProviders([provider]);

  test('Thunderbird (config-v1.1): the token as written, the server kept as the table says', async () => {
    const res = await request(app).get('/mail/config-v1.1.xml').query({ emailaddress: ADDRESS }).expect(200);
    const read = readAsThunderbird(res.text);
    expect(read.incoming[0]!.hostname).toBe(auth.thunderbird.incoming ? 'imap.cap.example' : FALLBACK.incoming);
    expect(read.outgoing[0]!.hostname).toBe(auth.thunderbird.outgoing ? 'smtp.cap.example' : FALLBACK.outgoing);
    if (auth.thunderbird.incoming) expect(read.incoming[0]).toMatchObject({ socketType: socket.mozilla, authentication: method });
  });

  test('Outlook (POX): SSL, Encryption, SPA, AuthRequired as Outlook and Thunderbird read them', async () => {
    const res = await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').send(poxRequest(ADDRESS)).expect(200);
    const protocols = poxProtocols(res.text);
    expect(protocols.map((protocol) => protocol.Type)).toEqual(['IMAP', 'SMTP']);
    const [imap, smtp] = protocols as [Record<string, string>, Record<string, string>];
    if (!auth.outlook) {
      expect([imap.Server, smtp.Server]).toEqual([FALLBACK.incoming, FALLBACK.outgoing]);
      return;
    }
    expect([imap.Server, smtp.Server]).toEqual(['imap.cap.example', 'smtp.cap.example']);
    expect(readAsOutlook(imap)).toEqual({ spa: auth.outlook.spa, ssl: socket.outlook.ssl, authRequired: auth.outlook.authRequired, encryption: socket.outlook.encryption });
    expect(smtp.SMTPLast).toBe(auth.outlook.smtpAfterPop ? 'on' : 'off');
    // SPA is NTLM to Outlook: on for NTLM and nothing else.
    expect(imap.SPA === 'on').toBe(method === 'NTLM');
    // Thunderbird's reading of the same answer keeps the security (it derives STARTTLS from the port).
    expect(readPoxAsThunderbird(imap).socketType).toBe(socketType);
  });

  test('Apple (profile): UseSSL and the authentication value as the table says', async () => {
    const res = await download(app, `/mobileconfig?emailaddress=${encodeURIComponent(ADDRESS)}`, 'autoconfig.cap.example').expect(200);
    const mail = readPlist(res.body).PayloadContent[0];
    if (!auth.apple) {
      expect([mail.IncomingMailServerHostName, mail.OutgoingMailServerHostName]).toEqual([FALLBACK.incoming, FALLBACK.outgoing]);
      return;
    }
    expect(mail).toMatchObject({
      IncomingMailServerHostName: 'imap.cap.example',
      IncomingMailServerUseSSL: socket.appleUseSsl,
      IncomingMailServerAuthentication: auth.apple,
      OutgoingMailServerHostName: 'smtp.cap.example',
      OutgoingMailServerUseSSL: socket.appleUseSsl,
      OutgoingMailServerAuthentication: auth.apple,
    });
    // Only plain goes without TLS: STARTTLS servers get UseSSL on too.
    expect(mail.IncomingMailServerUseSSL).toBe(socketType !== 'plain');
  });

  test('PACC: the server is listed only when both columns allow it (implicit TLS on the default port)', async () => {
    const res = await request(app).get('/.well-known/user-agent-configuration.json').set('Host', 'ua-auto-config.cap.example').expect(200);
    const document = JSON.parse(res.text);
    // The servers are on the default port of their socket type: only SSL's is PACC's.
    expect(DEFAULT_PORTS.imap[socketType] === DEFAULT_PORTS.imap.SSL).toBe(socketType === 'SSL');
    const carried = socket.pacc && auth.pacc !== undefined;
    expect(document.protocols.imap.host).toBe(carried ? 'imap.cap.example' : FALLBACK.incoming);
    expect(document.protocols.smtp.host).toBe(carried ? 'smtp.cap.example' : FALLBACK.outgoing);
    // Password login is announced when a listed server takes the password.
    expect(document.authentication.password).toBe(!carried || auth.pacc === 'password');
    expect(document.authentication['oauth-public']).toEqual({ issuer: 'https://login.cap.example/' });
  });

  test('the setup page: the security and the method in the table’s words', async () => {
    const res = await request(app).get('/setup').query({ email: ADDRESS }).expect(200);
    const $ = load(res.text);
    const row = $('table#incoming tbody tr').first();
    const cell = (label: string) => row.find(`td[data-label="${label}"]`).text().replace(/\s+/g, ' ').trim();
    expect(cell('Server')).toBe('imap.cap.example');
    expect(cell('Security')).toBe(socket.words);
    expect(cell('Authentication')).toContain(auth.words);
    if (auth.mailboxPassword && auth.outlook) expect(cell('Authentication')).toContain(`SPA/secure password authentication ${auth.outlook.spa ? 'on' : 'off'}`);
  });
});
