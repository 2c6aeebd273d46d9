/**
 * Property tests over everything a stranger controls: the Mozilla query string, the Host
 * header and the autodiscover body. Whatever arrives, the answer is a documented status
 * with a body of the endpoint's documented shape, and the server keeps answering.
 * Requests go over a raw socket, so CR/LF, NUL and invalid bytes reach the server as sent.
 */
import fc from 'fast-check';
import { parseEmailAddress } from '../src/model/address';
import { expectMozillaAnswer, expectPoxAnswer, expectV2Answer } from './support/answers';
import { parseXml } from './support/app';
import { poxRequestXml, rawGet, rawPost, rawRequest, startTestServer, type TestServer } from './support/raw-http';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
// The process stays up: after all of it, a plain request still gets a plain answer.
afterEach(async () => {
  const health = await rawRequest(server.port, rawGet('/healthz', 'localhost'));
  expect(health.status).toBe(200);
});

const percentEncodedBytes = fc
  .uint8Array({ maxLength: 24 })
  .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));

/** One piece of a query value: encoded or raw unicode, raw bytes, broken escapes, addresses. */
const queryFragment = fc.oneof(
  fc.constantFrom('fred@example.com', 'fred+tag@example.net', 'x@unknown.invalid', 'a@b.com%0d%0aSet-Cookie:%20x=1', '@', ''),
  fc.string({ unit: 'grapheme' }).map((text) => encodeURIComponent(text)),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  percentEncodedBytes,
  fc.constantFrom('%', '%0', '%zz', '%0d%0a', '%00', '+', '&', '=', '#', '?', '%25', '..%2f'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1_000, maxLength: 6_000 }).map((text) => encodeURIComponent(text)),
);
const queryValue = fc.array(queryFragment, { maxLength: 4 }).map((parts) => parts.join(''));
const queryKey = fc.oneof(fc.constantFrom('emailaddress', 'EmailAddress', 'EMAILADDRESS', 'email', 'Protocol'), queryFragment);
const queryString = fc
  .array(fc.tuple(queryKey, fc.option(queryValue, { nil: undefined })), { maxLength: 5 })
  .map((pairs) => pairs.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join('&'));

const mozillaPaths = fc.constantFrom(
  '/mail/config-v1.1.xml',
  '/.well-known/autoconfig/mail/config-v1.1.xml',
  '/v1.1/mail/config-v1.1.xml',
);

test('any Mozilla query string gets a config, a 400 or a 404', async () => {
  await fc.assert(
    fc.asyncProperty(mozillaPaths, queryString, async (path, query) => {
      const res = await rawRequest(server.port, Buffer.from(rawGet(`${path}?${query}`, 'autoconfig.example.com'), 'utf8'));
      expectMozillaAnswer(res);
      expect(res.headers['set-cookie']).toBeUndefined();
    }),
    { numRuns: 150 },
  );
});

/** Host values: hosted names with ports and case, IDNs, garbage, controls, IPv6, 10 KB. */
const hostHeader = fc.oneof(
  fc.constantFrom('autoconfig.example.com', 'AUTODISCOVER.Example.NET:443', 'example.com.', 'autoconfig.', '[::1]:8080', ':', ''),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.constantFrom('autoconfig.', 'autodiscover.', ''), fc.domain(), fc.option(fc.nat(99_999))).map(
    ([prefix, domain, port]) => `${prefix}${domain}${port === null ? '' : `:${port}`}`,
  ),
  fc.constantFrom('\r\nSet-Cookie: x=1', 'a\0b', 'x\ry', 'example.com\n'),
  fc.string({ unit: 'grapheme-ascii', minLength: 5_000, maxLength: 10_240 }),
);

test('any Host header gets a documented answer from every GET endpoint', async () => {
  await fc.assert(
    fc.asyncProperty(hostHeader, async (host) => {
      const send = (target: string) => rawRequest(server.port, Buffer.from(rawGet(target, host), 'utf8'));
      expectMozillaAnswer(await send('/mail/config-v1.1.xml'));
      expectPoxAnswer(await send('/autodiscover/autodiscover.xml'));
      expectV2Answer(await send('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1'));
      const res = await send('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1');
      // The pointer names only a valid DNS name, never the Host as sent.
      if (res.status === 200) expect(JSON.parse(res.body).Url).not.toMatch(/[\s\0<>"]/);
    }),
    { numRuns: 100 },
  );
});

/** Random XML trees built from the names a POX request uses and some it does not. */
const xmlName = fc.oneof(
  fc.constantFrom('Autodiscover', 'Request', 'EMailAddress', 'EmailAddress', 'AcceptableResponseSchema', 'a:Request', 'x'),
  fc.stringMatching(/^[A-Za-z_][\w.-]{0,10}$/),
);
const xmlText = fc.oneof(
  fc.constantFrom('fred@example.com', 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('&amp;', '&lt;', '&#x41;', '&#0;', '&bogus;', '&', '<', ']]>', '<![CDATA[x]]>', '<?pi x?>', '<!-- c -->'),
);
const { tree: xmlTree } = fc.letrec<{ tree: string; node: string }>((tie) => ({
  tree: fc
    .tuple(xmlName, fc.array(tie('node'), { maxLength: 4 }), fc.boolean())
    .map(([name, children, declared]) => `${declared ? '<?xml version="1.0" encoding="utf-8"?>' : ''}<${name}>${children.join('')}</${name}>`),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, xmlText, tie('tree')),
}));
/** Well-formed requests with a random address, so the settings path is exercised too. */
const poxRequestWithAddress = fc
  .tuple(fc.oneof(fc.emailAddress(), fc.string({ unit: 'grapheme', maxLength: 40 }).map((local) => `${local}@example.com`)), fc.boolean())
  .map(([address, withSchema]) => {
    const request = poxRequestXml(escapeXml(address));
    return withSchema ? request : request.replace(/<AcceptableResponseSchema>.*<\/AcceptableResponseSchema>/, '');
  });
const poxBody = fc.oneof(
  xmlTree.map((text) => Buffer.from(text, 'utf8')),
  poxRequestWithAddress.map((text) => Buffer.from(text, 'utf8')),
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'grapheme', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
  fc.string({ unit: 'grapheme-ascii', minLength: 8_000, maxLength: 12_000 }).map((text) => Buffer.from(text, 'utf8')),
);

test('any autodiscover body gets a POX answer (settings or an error), or 413 when too large', async () => {
  await fc.assert(
    fc.asyncProperty(poxBody, async (body) => {
      const res = await rawRequest(server.port, rawPost('/autodiscover/autodiscover.xml', 'autodiscover.example.com', body));
      if (body.length > 8 * 1024) expect(res.status).toBe(413);
      else expectPoxAnswer(res);
    }),
    { numRuns: 200 },
  );
});

test('a reflected address comes back exactly as sent, whatever characters it holds', async () => {
  await fc.assert(
    fc.asyncProperty(poxRequestWithAddress, async (body) => {
      const res = await rawRequest(server.port, rawPost('/autodiscover/autodiscover.xml', 'autodiscover.example.com', body));
      const sent = decodeXmlEscapes(/<EMailAddress>(.*)<\/EMailAddress>/s.exec(body)?.[1] ?? '');
      const address = parseEmailAddress(sent);
      if (expectPoxAnswer(res) === 'settings') {
        for (const protocol of parseXml(res.body).Autodiscover.Response.Account.Protocol) {
          expect(protocol.LoginName).toBe(address?.address);
        }
      }
    }),
    { numRuns: 150 },
  );
});

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function decodeXmlEscapes(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
