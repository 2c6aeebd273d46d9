/**
 * Autoconfig 1.2 additions (docs/endpoints.md#autoconfig-draft-additions) in the Mozilla output: present in the
 * draft's form for 1.2 clients, and invisible to Thunderbird's 1.1 reader, which must
 * still pick exactly the servers it would pick without them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseProviderFile } from '../src/config/load-providers';
import type { ProviderInput } from '../src/model/provider';
import { readAsThunderbird } from './support/client-rules';
import { readRecordedRequest } from './support/client-requests';
import { appWithProviders, shippedApp } from './support/formats';

const IMAP = { type: 'imap', hostname: 'imap.example.com', port: 993, socketType: 'SSL', authentication: ['OAuth2', 'password-cleartext'] } as const;
const POP3 = { type: 'pop3', hostname: 'pop.example.com', port: 995, socketType: 'SSL' } as const;
const SMTP = { type: 'smtp', hostname: 'smtp.example.com', port: 465, socketType: 'SSL' } as const;

const CLASSIC: ProviderInput = {
  id: 'example.com',
  displayName: 'Example Mail',
  domains: ['example.com'],
  incoming: [{ ...IMAP, authentication: [...IMAP.authentication] }, POP3],
  outgoing: [SMTP],
  oAuth2: {
    issuer: 'https://id.example.com/',
    scope: 'mail',
    authURL: 'https://id.example.com/authorize',
    tokenURL: 'https://id.example.com/token',
  },
};

/** The same provider with every 1.2 addition. */
const WITH_1_2: ProviderInput = {
  ...CLASSIC,
  mxDomains: ['mx.example-hosting.net'],
  incoming: [{ ...IMAP, authentication: [...IMAP.authentication], saslMechanisms: ['SCRAM-SHA-256-PLUS', 'GSSAPI'] }, POP3],
  otherIncoming: [
    { type: 'jmap', url: 'https://jmap.example.com/.well-known/jmap', authentication: ['OAuth2', 'Basic'] },
    { type: 'ews', url: 'https://ews.example.com/EWS/Exchange.asmx', username: '%EMAILLOCALPART%', authentication: ['Digest'] },
    { type: 'activeSync', url: 'https://eas.example.com/Microsoft-Server-ActiveSync', authentication: ['Basic'] },
    { type: 'graph', url: 'https://graph.example.com/', authentication: ['OAuth2'] },
  ],
  outgoing: [{ ...SMTP, saslMechanisms: ['SCRAM-SHA-1'] }],
  oAuth2: { ...CLASSIC.oAuth2!, clientID: 'thunderbird', clientSecret: 's3cret&<' },
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false, trimValues: false,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
});

function parse(xml: string): any {
  const validation = XMLValidator.validate(xml);
  if (validation !== true) throw new Error(`not well-formed: ${JSON.stringify(validation.err)}`);
  return parser.parse(xml);
}

async function autoconfig(providers: ProviderInput[], target = '/mail/config-v1.1.xml?emailaddress=fred%40example.com') {
  const res = await request(appWithProviders(providers)).get(target).set('Host', 'autoconfig.example.com').expect(200);
  expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  return res.text;
}

/** What Thunderbird's 1.1 reader keeps: the servers, in order (docs/endpoints.md#what-thunderbird-accepts). */
function thunderbirdReads(xml: string) {
  const { incoming, outgoing } = readAsThunderbird(xml);
  return { incoming, outgoing };
}

describe('autoconfig 1.2 in the Mozilla document', () => {
  test('Thunderbird 1.1 keeps exactly the servers it keeps without the 1.2 additions', async () => {
    const classic = thunderbirdReads(await autoconfig([CLASSIC]));
    const extended = thunderbirdReads(await autoconfig([WITH_1_2]));
    expect(extended).toEqual(classic);
    expect(extended.incoming.map((server) => server.type)).toEqual(['imap', 'pop3']);
    expect(extended.incoming[0]!.authentication).toBe('password-cleartext');
  });

  test('1.2 forms as the draft writes them', async () => {
    const document = parse(await autoconfig([WITH_1_2])).clientConfig[0];
    expect(document['@version']).toBe('1.2');
    const provider = document.emailProvider[0];
    expect(provider.domain).toEqual(['example.com', { '@purpose': 'mx', '#text': 'mx.example-hosting.net' }]);

    // The other servers follow the mail servers, so a 1.1 client's first choice never changes.
    const [imap, , jmap, ews, activeSync, graph] = provider.incomingServer;
    expect(jmap).toMatchObject({
      '@type': 'jmap',
      url: ['https://jmap.example.com/.well-known/jmap'],
      authentication: ['OAuth2', { '@system': 'http', '#text': 'Basic' }],
    });
    expect(jmap.username).toBeUndefined();
    expect(ews).toMatchObject({ '@type': 'ews', username: ['%EMAILLOCALPART%'], authentication: [{ '@system': 'http', '#text': 'Digest' }] });
    expect(activeSync['@type']).toBe('activeSync');
    expect(graph).toMatchObject({ '@type': 'graph', url: ['https://graph.example.com/'], authentication: ['OAuth2'] });
    for (const server of [jmap, ews, activeSync, graph]) {
      expect(Object.keys(server).filter((key) => ['hostname', 'port', 'socketType'].includes(key))).toEqual([]);
    }
    // Specific SASL mechanisms first, then the generic fallback the draft asks for.
    expect(imap.authentication).toEqual([
      { '@system': 'sasl', '#text': 'SCRAM-SHA-256-PLUS' },
      { '@system': 'sasl', '#text': 'GSSAPI' },
      'OAuth2',
      'password-cleartext',
    ]);
    expect(provider.outgoingServer[0].authentication).toEqual([{ '@system': 'sasl', '#text': 'SCRAM-SHA-1' }, 'password-cleartext']);
    expect(document.oAuth2[0]).toMatchObject({ clientID: ['thunderbird'], clientSecret: ['s3cret&<'] });
  });

  test('golden file', async () => {
    const xml = await autoconfig([WITH_1_2]);
    const golden = path.join(__dirname, 'golden', 'mozilla-1.2.xml');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, xml);
    expect(xml).toBe(readFileSync(golden, 'utf8'));
  });

  test('a definition without 1.2 additions stays a 1.1 document', async () => {
    const res = await request(await shippedApp()).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.example.com').expect(200);
    expect(res.text).toContain('<clientConfig version="1.1">');
  });

  test('Outlook autodiscover serves only the host-and-port servers', async () => {
    const fixture = readRecordedRequest('thunderbird--autodiscover-pox--https-root-domain');
    const res = await request(appWithProviders([WITH_1_2]))
      .post('/autodiscover/autodiscover.xml')
      .set(Object.fromEntries(fixture.headers))
      .send(fixture.body)
      .expect(200);
    const types = [...res.text.matchAll(/<Type>([^<]*)<\/Type>/g)].map((match) => match[1]);
    expect(types).toEqual(['IMAP', 'POP3', 'SMTP']);
  });
});

describe('/.well-known/mail-v1.xml', () => {
  test.each(['autoconfig.example.com', 'example.com'])('is the same document as config-v1.1.xml (Host %s)', async (host) => {
    const app = await shippedApp();
    const alias = await request(app).get('/.well-known/mail-v1.xml?emailaddress=fred%40example.com').set('Host', host).expect(200);
    const original = await request(app).get('/mail/config-v1.1.xml').set('Host', host).expect(200);
    expect(alias.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(alias.text).toBe(original.text);
    expect(thunderbirdReads(alias.text).incoming[0]!.hostname).toBe('imap.example.com');
  });

  test('an unknown domain is 404, POST is 405', async () => {
    const app = await shippedApp();
    await request(app).get('/.well-known/mail-v1.xml').set('Host', 'unknown.example').expect(404);
    await request(app).post('/.well-known/mail-v1.xml').set('Host', 'example.com').expect(405);
  });
});

describe('provider files with 1.2 fields: clear errors', () => {
  const problems = (yaml: string) => {
    const result = parseProviderFile('providers/test.yaml', yaml);
    return 'problems' in result ? result.problems.map((problem) => `${problem.field}: ${problem.message}`) : [];
  };
  const base = 'id: example.com\ndomains: [example.com]\noutgoing: [{ hostname: smtp.example.com, socketType: SSL }]\n';

  test('another server needs a URL (or a host), and known authentication', () => {
    const imap = 'incoming: [{ type: imap, hostname: imap.example.com, socketType: SSL }]\n';
    expect(problems(`${base}${imap}otherIncoming: [{ type: jmap, authentication: [Bearer] }]\n`)).toEqual([
      expect.stringMatching(/^otherIncoming\[0\]\.authentication\[0\]: .*OAuth2.*Basic.*Digest, got "Bearer"/),
    ]);
    expect(problems(`${base}${imap}otherIncoming: [{ type: jmap, authentication: [OAuth2] }]\n`)).toEqual([
      expect.stringMatching(/^otherIncoming\[0\]: needs a url/),
    ]);
  });

  test('an unknown type names the known ones; URL-based types belong in otherIncoming', () => {
    expect(problems(`${base}incoming: [{ type: nntp, hostname: news.example.com, socketType: SSL }]\n`)).toEqual([
      expect.stringMatching(/^incoming\[0\]\.type: must be imap or pop3 \(other types go in otherIncoming\), got "nntp"/),
    ]);
    expect(problems(`${base}incoming: [{ type: imap, hostname: i.example.com, socketType: SSL }]\notherIncoming: [{ type: nntp, url: "https://x.example" }]\n`)).toEqual([
      expect.stringMatching(/^otherIncoming\[0\]\.type: must be one of jmap, ews, activeSync, graph, exchange, owa, got "nntp"/),
    ]);
  });

  test('SASL mechanism names and MX domains are checked', () => {
    expect(
      problems(`${base}mxDomains: ["not a domain"]\nincoming: [{ type: imap, hostname: imap.example.com, socketType: SSL, saslMechanisms: [scram-sha-1] }]\n`),
    ).toEqual([
      expect.stringMatching(/^mxDomains\[0\]: not a valid domain name/),
      expect.stringMatching(/^incoming\[0\]\.saslMechanisms\[0\]: must be a SASL mechanism name/),
    ]);
  });
});
