/**
 * Addresses as an attacker writes them: everything after the `@` that a URL parser would
 * stop at (`/`, `?`, `#`, `\`), controls, characters XML cannot carry and placeholders in
 * the local part. Each endpoint that takes an address refuses what is not an address
 * (HTTP 400, POX error 600, the setup page's error) and accepts what real clients send;
 * whatever is accepted yields documents that parse, free of control characters.
 */
import path from 'node:path';
import { load as loadHtml } from 'cheerio';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { loadSigningIdentity } from '../src/config/signing';
import type { SigningIdentity } from '../src/model/signing-identity';
import { createApp } from '../src/http/app';
import { FIXTURES, SHIPPED_CONFIG, parseXml } from './support/app';
import { binaryBody } from './support/formats';
import { poxRequestXml } from './support/raw-http';

// Characters no document may hold: C0 controls but tab, LF and CR, DEL and C1 controls,
// lone surrogates, U+FFFE and U+FFFF.
const FORBIDDEN_CHARACTER = /(?![\t\n\r])[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

const POX = '/autodiscover/autodiscover.xml';
let app: ReturnType<typeof createApp>;
let signing: SigningIdentity;

beforeAll(async () => {
  // Any certificate with its key signs; the TLS fixture is one that stays valid.
  signing = (await loadSigningIdentity({
    signingCert: path.join(FIXTURES, 'tls', 'server.pem'),
    signingKey: path.join(FIXTURES, 'tls', 'server.key'),
  }))!;
  app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ configDir: SHIPPED_CONFIG }), signing });
});

/** Percent-encodes every UTF-8 byte, so the server decodes exactly these bytes. */
function encodeBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** `text` for an XML request body: markup escaped, everything beyond printable ASCII as a character reference. */
function xmlReferences(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.codePointAt(0)!;
      if (char === '&') return '&amp;';
      if (char === '<') return '&lt;';
      return code < 0x20 || code > 0x7e ? `&#x${code.toString(16)};` : char;
    })
    .join('');
}

const get = (target: string) => request(app).get(target).set('Host', 'autoconfig.example.com').buffer(true).parse(binaryBody);
const postPox = (emailAddressXml: string) =>
  request(app).post(POX).set('Host', 'autodiscover.example.com').set('Content-Type', 'text/xml').send(poxRequestXml(emailAddressXml));

function poxErrorCode(xml: string): string | undefined {
  return parseXml(xml).Autodiscover?.Response?.Error?.ErrorCode as string | undefined;
}

// What an attack run sent: the domain check stopped at `/` and the rest came through.
const ATTACKS = {
  'CR/LF and a header after a slash': 'jane@hotmail.com/\r\nSet-Cookie: a=b',
  'controls after a slash': 'jane@hotmail.com/\u0001\u0002',
  'a phishing text after a slash': 'jane@hotmail.com/ IT Security: your mailbox will be deleted, call +1 555 0100',
  'a question mark in the domain': 'jane@hotmail.com?x=1',
  'a hash in the domain': 'jane@hotmail.com#x',
  'a backslash in the domain': 'jane@hotmail.com\\x',
  'U+FFFF in the local part': 'ja\uFFFFne@hotmail.com',
  'U+FFFE in the local part': '\uFFFEjane@hotmail.com',
  'a full-width domain': 'jane@ｈｏｔｍａｉｌ.com',
  'a tab in the local part': 'ja\tne@hotmail.com',
  'a zero-width joiner in the local part': 'ja\u200dne@hotmail.com',
  'an unquoted space': 'jane doe@hotmail.com',
  'an unclosed quote': '"jane@hotmail.com',
};

describe.each(Object.entries(ATTACKS))('%s is refused', (_name, address) => {
  test('by the Mozilla, Apple and Outlook v2 endpoints with 400', async () => {
    for (const target of [
      `/mail/config-v1.1.xml?emailaddress=${encodeBytes(address)}`,
      `/mobileconfig?emailaddress=${encodeBytes(address)}`,
      `/autodiscover/autodiscover.json?Protocol=AutodiscoverV1&Email=${encodeBytes(address)}`,
    ]) {
      const res = await get(target);
      expect([target, res.status]).toEqual([target, 400]);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((res.body as Buffer).toString('utf8')).not.toContain('IT Security');
    }
  });

  test('by POX autodiscover with error 600, sent raw or as character references', async () => {
    for (const written of [xmlReferences(address), address.replaceAll('&', '&amp;').replaceAll('<', '&lt;')]) {
      const res = await postPox(written).expect(200);
      expect(poxErrorCode(res.text)).toBe('600');
      expect(res.text).not.toContain('IT Security');
    }
  });

  test('by the setup page with its error, showing what was typed only in the field', async () => {
    const res = await request(app).get(`/setup?email=${encodeBytes(address)}`).expect(400);
    const $ = loadHtml(res.text);
    expect($('.error').text()).not.toBe('');
    expect($('body').text()).not.toContain('IT Security');
    expect(FORBIDDEN_CHARACTER.exec(res.text)).toBeNull();
  });
});

test('a signed profile never carries text from after the domain', async () => {
  const attack = encodeBytes(ATTACKS['a phishing text after a slash']);
  const refused = await get(`/mobileconfig?emailaddress=${attack}`);
  expect(refused.status).toBe(400);
  // The same request without the attack is signed, so signing was on.
  const signed = await get(`/mobileconfig?emailaddress=jane%40hotmail.com`).expect(200);
  const der = signed.body as Buffer;
  expect(der.subarray(0, 1)[0]).toBe(0x30);
  const plist = der.toString('latin1');
  expect(plist).toContain('<string>Mail account jane@hotmail.com</string>');
});

// Addresses real clients accept, with how the server must write them in a login name.
const ACCEPTED = [
  'fred+tag@hotmail.com',
  'JANE.DOE@HOTMAIL.COM',
  "o'brien@hotmail.com",
  'a/b=c?d{e}|f~g!h#i$j&k*l^m`n@hotmail.com',
  '"john doe"@hotmail.com',
  '"a\\"b@c"@hotmail.com',
  'jöhn@hotmail.com',
  '用户@hotmail.com',
  'fred@hotmail.com.',
];

test.each(ACCEPTED)('%s is accepted, and the login name is the address as typed', async (address) => {
  const res = await postPox(xmlReferences(address)).expect(200);
  const protocols = parseXml(res.text).Autodiscover.Response.Account.Protocol as { LoginName: string }[];
  expect(protocols.map((protocol) => protocol.LoginName)).toEqual(protocols.map(() => address));
  await get(`/mobileconfig?emailaddress=${encodeBytes(address)}`).expect(200);
  await get(`/mail/config-v1.1.xml?emailaddress=${encodeBytes(address)}`).expect(200);
  await request(app).get(`/setup?email=${encodeBytes(address)}`).expect(200);
});

test('an internationalised domain in U-labels or A-labels is an address (an unknown domain, not a bad request)', async () => {
  for (const address of ['jöhn@bücher.de', 'jöhn@BÜCHER.de', 'john@xn--bcher-kva.de']) {
    expect([address, (await get(`/mobileconfig?emailaddress=${encodeBytes(address)}`)).status]).toEqual([address, 404]);
    // The Host's domain is hosted, so POX answers for it; what matters is that it is no 600.
    expect(poxErrorCode((await postPox(xmlReferences(address))).text)).not.toBe('600');
  }
  // An A-label that is not punycode of anything is no domain.
  expect((await get(`/mobileconfig?emailaddress=john%40xn--zz.de`)).status).toBe(400);
});

describe('placeholders in an address come out literally', () => {
  const address = 'x%EMAILDOMAIN%y%EMAILADDRESS%@hotmail.com';

  test('in the POX login name', async () => {
    const res = await postPox(address).expect(200);
    const protocols = parseXml(res.text).Autodiscover.Response.Account.Protocol as { LoginName: string }[];
    expect(protocols.length).toBeGreaterThan(0);
    for (const protocol of protocols) expect(protocol.LoginName).toBe(address);
  });

  test('in the Apple profile', async () => {
    const unsigned = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ configDir: SHIPPED_CONFIG }) });
    const res = await request(unsigned).get(`/mobileconfig?emailaddress=${encodeBytes(address)}`).expect(200);
    const text = res.text;
    expect(XMLValidator.validate(text)).toBe(true);
    expect(text).toContain(`<string>${address}</string>`);
    expect(text).not.toContain('xhotmail.com');
  });

  test('on the setup page', async () => {
    const res = await request(app).get(`/setup?email=${encodeBytes(address)}`).expect(200);
    expect(loadHtml(res.text)('body').text()).toContain(address);
    expect(res.text).not.toContain('xhotmail.com');
  });
});

const piece = fc.oneof(
  fc.constantFrom('jane', 'x', '.', '..', '@', '/', '?', '#', '\\', '%', '%EMAILDOMAIN%', '%EMAILLOCALPART%', '"', '\\"', ' ', '<', '>', '&', "'", '+'),
  fc.constantFrom('\r\n', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\uFFFE', '\uFFFF', '\uD800', '\u200B', '\u2028', 'ö', 'ü', '。', 'ｈ'),
  fc.constantFrom('hotmail.com', 'example.com', 'bücher.de', 'xn--bcher-kva.de', 'HOTMAIL.COM'),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
// Local parts that are addresses, alone or with a piece that may spoil them.
const plausibleLocalPart = fc.constantFrom('jane', 'x.y', 'fred+tag', '%EMAILDOMAIN%', '%EMAILLOCALPART%x', 'jöhn', '"a b"', '"a\\"b"', "o'brien");
const hostileAddress = fc.oneof(
  fc.tuple(plausibleLocalPart, fc.option(piece, { nil: '' }), fc.constantFrom('hotmail.com', 'HOTMAIL.com')).map(
    ([local, spoiler, domain]) => `${local}${spoiler}@${domain}`,
  ),
  fc.tuple(fc.array(piece, { maxLength: 4 }), fc.constantFrom('hotmail.com', 'example.com'), fc.array(piece, { maxLength: 2 })).map(
    ([local, domain, after]) => `${local.join('')}@${domain}${after.join('')}`,
  ),
  fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

function expectCleanText(what: string, text: string): void {
  expect([what, FORBIDDEN_CHARACTER.exec(text)?.[0]]).toEqual([what, undefined]);
}

function expectWellFormedXml(what: string, text: string): void {
  expectCleanText(what, text);
  expect([what, XMLValidator.validate(text)]).toEqual([what, true]);
}

test('whatever the address, it is refused or every document is well-formed and clean', async () => {
  const unsigned = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ configDir: SHIPPED_CONFIG }) });
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(hostileAddress, async (address) => {
      const query = encodeBytes(address);
      const mozilla = await request(unsigned).get(`/mail/config-v1.1.xml?emailaddress=${query}`).set('Host', 'autoconfig.example.com');
      expect([400, 404, 200]).toContain(mozilla.status);
      if (mozilla.status === 200) expectWellFormedXml('mozilla', mozilla.text);

      const pox = await postPox(xmlReferences(address));
      expectWellFormedXml('pox', pox.text);

      const profile = await request(unsigned).get(`/mobileconfig?emailaddress=${query}`);
      expect([400, 404, 200]).toContain(profile.status);
      if (profile.status === 200) {
        accepted += 1;
        expectWellFormedXml('plist', profile.text);
      }

      const page = await request(unsigned).get(`/setup?email=${query}`);
      expect([400, 404, 200]).toContain(page.status);
      expectCleanText('page', page.text);
      // The page's structure is the template's: what was typed is text, never markup.
      const $ = loadHtml(page.text);
      expect($('script, iframe, object, embed').length).toBe(0);

      const v2 = await request(unsigned).get(`/autodiscover/autodiscover.json?Protocol=AutodiscoverV1&Email=${query}`);
      expect(() => JSON.parse(v2.text) as unknown).not.toThrow();
      expectCleanText('v2', v2.text);

      const domain = address.slice(address.lastIndexOf('@') + 1);
      if (/^[\x21-\x7e]+$/.test(domain)) {
        const pacc = await request(unsigned).get('/.well-known/user-agent-configuration.json').set('Host', `ua-auto-config.${domain}`);
        if (pacc.status === 200) {
          expect(() => JSON.parse(pacc.text) as unknown).not.toThrow();
          expectCleanText('pacc', pacc.text);
        }
      }
    }),
    { numRuns: 200 },
  );
  // The generator reaches accepted addresses too, or the property says little: about 30
  // of the 200 on average, and as few as 18 in a run seen, so the bound leaves chance room.
  expect(accepted).toBeGreaterThan(5);
}, 120_000);
