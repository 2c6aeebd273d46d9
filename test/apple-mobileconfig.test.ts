import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { PROFILE_NAMESPACE, profileUuid } from '../src/formats/apple/profile';
import { loadProviderDirectory } from '../src/config/load';
import type { ProviderInput } from '../src/model/provider';
import { expectValidMailProfile } from './support/client-rules';
import { appWithProviders, download, parsePlist, parsePlists, SHIPPED_CONFIG, shippedApp } from './support/formats';

const GOLDEN = path.join(__dirname, 'golden');

/**
 * RFC 9562 UUIDv5, written here from the RFC rather than taken from the code under test:
 * SHA-1 over the namespace's 16 bytes and the name's UTF-8, cut to 16 bytes, version 5 in
 * the high nibble of byte 6, variant 10 in the high bits of byte 8. Checked against
 * published vectors below; upper case, as Apple's tools write UUIDs.
 */
function referenceUuid5(namespace: string, name: string): string {
  const bytes = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-').toUpperCase();
}

const profileUuid5 = (name: string) => referenceUuid5(PROFILE_NAMESPACE, name);

describe('profile content', () => {
  test('example.com: every key, as Apple Mail reads it', async () => {
    const res = await download(await shippedApp(), '/mobileconfig?emailaddress=fred%40example.com').expect(200);
    const profile = parsePlist(res.body);
    const uuid = profileUuid5('example.com\nfred@example.com');
    expect(profile).toEqual({
      PayloadContent: [
        {
          EmailAccountDescription: 'Example',
          EmailAccountType: 'EmailTypeIMAP',
          EmailAddress: 'fred@example.com',
          IncomingMailServerAuthentication: 'EmailAuthPassword',
          IncomingMailServerHostName: 'imap.example.com',
          IncomingMailServerPortNumber: 993,
          IncomingMailServerUseSSL: true,
          IncomingMailServerUsername: 'fred@example.com',
          OutgoingMailServerAuthentication: 'EmailAuthPassword',
          OutgoingMailServerHostName: 'smtp.example.com',
          OutgoingMailServerPortNumber: 465,
          OutgoingMailServerUseSSL: true,
          OutgoingMailServerUsername: 'fred@example.com',
          OutgoingPasswordSameAsIncomingPassword: true,
          PayloadDescription: 'Mail account fred@example.com',
          PayloadDisplayName: 'Example Mail',
          PayloadIdentifier: `com.example.mail-autoconfig.${uuid}.mail`,
          PayloadType: 'com.apple.mail.managed',
          PayloadUUID: profileUuid5('example.com\nfred@example.com\ncom.apple.mail.managed'),
          PayloadVersion: 1,
        },
      ],
      PayloadDescription: 'Mail settings for fred@example.com',
      PayloadDisplayName: 'Example Mail',
      PayloadIdentifier: `com.example.mail-autoconfig.${uuid}`,
      PayloadOrganization: 'Example Mail',
      PayloadType: 'Configuration',
      PayloadUUID: uuid,
      PayloadVersion: 1,
    });
  });

  test('golden file for the shipped example', async () => {
    const res = await download(await shippedApp(), '/email.mobileconfig?email=fred%40example.com').expect(200);
    const golden = path.join(GOLDEN, 'apple-example.mobileconfig');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, res.body);
    expect(res.body.toString('utf8')).toBe(readFileSync(golden, 'utf8'));
  });

  test('hotmail: POP3, and STARTTLS submission served with UseSSL true (Mail negotiates STARTTLS)', async () => {
    const res = await download(await shippedApp(), '/mobileconfig?emailaddress=jane%40live.de').expect(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="live.de.mobileconfig"');
    const mail = expectValidMailProfile(parsePlist(res.body));
    expect(mail).toMatchObject({
      EmailAccountType: 'EmailTypePOP',
      IncomingMailServerHostName: 'pop3.live.com',
      IncomingMailServerPortNumber: 995,
      IncomingMailServerUseSSL: true,
      OutgoingMailServerHostName: 'smtp.live.com',
      OutgoingMailServerPortNumber: 587,
      OutgoingMailServerUseSSL: true,
      EmailAccountDescription: 'Hotmail',
    });
  });

  test('every domain of the shipped config yields a profile a plist parser accepts', async () => {
    const app = await shippedApp();
    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
    const domains = providerDirectory.providers.flatMap((provider) => provider.definition.domains);
    expect(domains.length).toBeGreaterThan(10);
    const bodies = [];
    for (const domain of domains) bodies.push((await download(app, `/mobileconfig?emailaddress=someone%40${domain}`).expect(200)).body);
    parsePlists(bodies).forEach((profile, index) => {
      const mail = expectValidMailProfile(profile);
      expect(mail.EmailAddress).toBe(`someone@${domains[index]}`);
      expect(mail.IncomingMailServerUsername).toBe(`someone@${domains[index]}`);
    });
  });
});

describe('identifiers are deterministic per provider and address', () => {
  test('the same address twice gives the same bytes; another address other identifiers', async () => {
    const app = await shippedApp();
    const first = await download(app, '/mobileconfig?emailaddress=fred%40example.com');
    const again = await download(app, '/fred.mobileconfig?email=fred%40EXAMPLE.com.');
    const other = await download(app, '/mobileconfig?emailaddress=frida%40example.com');
    const [a, b, c] = parsePlists([first.body, again.body, other.body]);
    expect(b.PayloadUUID).toBe(a.PayloadUUID);
    expect(b.PayloadIdentifier).toBe(a.PayloadIdentifier);
    expect(b.PayloadContent[0].PayloadUUID).toBe(a.PayloadContent[0].PayloadUUID);
    expect(c.PayloadUUID).not.toBe(a.PayloadUUID);
    expect(c.PayloadIdentifier).not.toBe(a.PayloadIdentifier);
    expect(c.PayloadContent[0].PayloadUUID).not.toBe(a.PayloadContent[0].PayloadUUID);
    expect(first.body.equals((await download(app, '/mobileconfig?emailaddress=fred%40example.com')).body)).toBe(true);
  });

  test('no cache keeps a profile, so it carries no validator; HEAD sends the same head without the body', async () => {
    const app = await shippedApp();
    const target = '/mobileconfig?emailaddress=fred%40example.com';
    const got = await download(app, target).expect(200);
    expect(got.headers['cache-control']).toBe('private, no-store');
    expect(got.headers.etag).toBeUndefined();
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
    // A client that sends a validator anyway gets the profile, not a 304.
    expect((await download(app, target).set('If-None-Match', '*')).status).toBe(200);
    const head = await request(app).head(target).set('Host', 'autoconfig.example.com').expect(200);
    expect(head.headers['cache-control']).toBe('private, no-store');
    expect(head.headers['content-length']).toBe(got.headers['content-length']);
    expect(head.headers.etag).toBeUndefined();
    expect(head.text).toBeUndefined();
  });

  test('the reference UUIDv5 of this test gives the published values', () => {
    const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    // RFC 9562, appendix A.4.
    expect(referenceUuid5(DNS_NAMESPACE, 'www.example.com')).toBe('2ED6657D-E927-568B-95E1-2665A8AEA6A2');
    // The example in the documentation of Python's uuid module.
    expect(referenceUuid5(DNS_NAMESPACE, 'python.org')).toBe('886313E1-3B8A-5372-9B90-0C9AEE199E5D');
  });

  test('the UUIDs are RFC 9562 version 5 in the profile namespace, for any name', () => {
    const names = ['', 'a', 'example.com\nfred@example.com', 'bücher.example\njosé@bücher.example\ncom.apple.mail.managed', '😀'.repeat(40), 'x'.repeat(300)];
    expect(names.map(profileUuid)).toEqual(names.map(profileUuid5));
    for (const uuid of names.map(profileUuid)) expect(uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });

  test('two domains of one provider are two accounts', async () => {
    const app = await shippedApp();
    const [com, net] = parsePlists([
      (await download(app, '/mobileconfig?emailaddress=fred%40example.com')).body,
      (await download(app, '/mobileconfig?emailaddress=fred%40example.net')).body,
    ]);
    expect(net.PayloadUUID).not.toBe(com.PayloadUUID);
  });
});

describe('requests that get no profile', () => {
  test.each([
    ['/mobileconfig', 400, /email address is required/],
    ['/mobileconfig?emailaddress=', 400, /email address is required/],
    ['/mobileconfig?emailaddress=not-an-address', 400, /Invalid email address/],
    ['/mobileconfig?emailaddress=%3Cscript%3E%40example.com', 400, /Invalid email address/],
    ['/mobileconfig?emailaddress=fred%ZZ', 400, /Invalid email address/],
    ['/mobileconfig?emailaddress=fred%40unknown.example', 404, /No configuration/],
  ])('%s → %i', async (target, status, message) => {
    const res = await request(await shippedApp()).get(target).set('Host', 'autoconfig.example.com').expect(status);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(message);
    expect(res.text).not.toContain('<');
  });

  test('the Host does not stand in for the address: a profile is per person', async () => {
    await request(await shippedApp()).get('/mobileconfig').set('Host', 'autoconfig.example.com').expect(400);
  });

  test('POST is refused with Allow', async () => {
    const res = await request(await shippedApp()).post('/email.mobileconfig?email=fred%40example.com').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  test('a provider with nothing Apple Mail can log in to gets 404, not an unusable profile', async () => {
    const app = appWithProviders([
      {
        id: 'oauth.example',
        domains: ['oauth.example'],
        incoming: [{ type: 'imap', hostname: 'imap.oauth.example', socketType: 'SSL', authentication: ['OAuth2'] }],
        outgoing: [{ type: 'smtp', hostname: 'smtp.oauth.example', socketType: 'SSL', authentication: ['OAuth2'] }],
      },
    ]);
    const res = await request(app).get('/mobileconfig?emailaddress=fred%40oauth.example').expect(404);
    expect(res.text).toMatch(/Apple Mail/);
  });
});

describe('mapping rules', () => {
  const provider: ProviderInput = {
    id: 'mapping.example',
    displayName: 'Mapping',
    domains: ['mapping.example'],
    // Skipped: Apple Mail has no OAuth2 or URL-server profile keys.
    otherIncoming: [{ type: 'jmap', url: 'https://jmap.mapping.example/session', authentication: ['OAuth2'] }],
    incoming: [
      { type: 'imap', hostname: 'oauth.mapping.example', socketType: 'SSL', authentication: ['OAuth2'] },
      {
        type: 'pop3',
        hostname: 'pop.%EMAILDOMAIN%',
        port: 1995,
        socketType: 'STARTTLS',
        username: '%EMAILLOCALPART%',
        authentication: ['GSSAPI', 'password-encrypted'],
      },
    ],
    outgoing: [
      { type: 'smtp', hostname: 'smtp.mapping.example', port: 25, socketType: 'plain', authentication: ['client-IP-address'] },
    ],
  };

  test('first usable server, placeholders substituted, authentication mapped', async () => {
    const res = await download(appWithProviders([provider]), '/mobileconfig?emailaddress=fred%40mapping.example').expect(200);
    const mail = expectValidMailProfile(parsePlist(res.body));
    expect(mail).toMatchObject({
      EmailAccountType: 'EmailTypePOP',
      IncomingMailServerHostName: 'pop.mapping.example',
      IncomingMailServerPortNumber: 1995,
      IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: 'fred',
      IncomingMailServerAuthentication: 'EmailAuthCRAMMD5',
      OutgoingMailServerAuthentication: 'EmailAuthNone',
      OutgoingMailServerUseSSL: false,
      OutgoingPasswordSameAsIncomingPassword: false,
    });
  });

  test.each([
    ['NTLM', 'EmailAuthNTLM'],
    ['none', 'EmailAuthNone'],
    ['password-cleartext', 'EmailAuthPassword'],
  ] as const)('%s → %s', async (method, apple) => {
    const app = appWithProviders([
      {
        ...provider,
        incoming: [{ type: 'imap', hostname: 'imap.mapping.example', socketType: 'SSL', authentication: [method] }],
        outgoing: [{ type: 'smtp', hostname: 'smtp.mapping.example', socketType: 'SSL', authentication: [method] }],
      },
    ]);
    const mail = parsePlist((await download(app, '/mobileconfig?emailaddress=fred%40mapping.example')).body).PayloadContent[0];
    expect(mail.IncomingMailServerAuthentication).toBe(apple);
    expect(mail.OutgoingMailServerAuthentication).toBe(apple);
  });
});

describe('every reflected value is escaped by the plist writer', () => {
  test('addresses with &, apostrophes, + and non-ASCII local parts', async () => {
    const app = await shippedApp();
    const addresses = ["o'brien&co+tag@example.com", 'jörg.müller@example.com', '用户@example.com'];
    const bodies = [];
    for (const address of addresses) {
      bodies.push((await download(app, `/mobileconfig?emailaddress=${encodeURIComponent(address)}`).expect(200)).body);
    }
    parsePlists(bodies).forEach((profile, index) => {
      const mail = expectValidMailProfile(profile);
      expect(mail.EmailAddress).toBe(addresses[index]);
      expect(mail.IncomingMailServerUsername).toBe(addresses[index]);
      expect(mail.OutgoingMailServerUsername).toBe(addresses[index]);
    });
  });

  test('provider text with markup characters and quotes', async () => {
    const hostile = `Tom & Jerry's <Mail> "]]>" ünïcödé`;
    const app = appWithProviders([
      {
        id: 'markup.example',
        displayName: hostile,
        displayShortName: '<b>&amp;</b>',
        domains: ['markup.example'],
        incoming: [{ type: 'imap', hostname: 'imap.markup.example', socketType: 'SSL', username: '<%EMAILLOCALPART%>&' }],
        outgoing: [{ type: 'smtp', hostname: 'smtp.markup.example', socketType: 'SSL' }],
      },
    ]);
    const profile = parsePlist((await download(app, '/mobileconfig?emailaddress=fred%40markup.example')).body);
    expect(profile.PayloadDisplayName).toBe(hostile);
    expect(profile.PayloadOrganization).toBe(hostile);
    expect(profile.PayloadContent[0].EmailAccountDescription).toBe('<b>&amp;</b>');
    expect(profile.PayloadContent[0].IncomingMailServerUsername).toBe('<fred>&');
  });
});
