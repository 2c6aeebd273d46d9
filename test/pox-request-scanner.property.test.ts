/**
 * The POX scanner (src/formats/outlook/pox-request-scanner.ts) is a shortcut, never a second
 * opinion: whenever it accepts a body, the full reader (fast-xml-parser) reads the same
 * address and the Outlook schema from it; it accepts what clients really send; and bodies
 * with anything an attacker would try (DTDs, entities, CDATA, comments, processing
 * instructions, other namespaces or schemas, non-ASCII, oversize) always go to the full reader.
 */
import fc from 'fast-check';
import { NAMESPACES, readPoxRequest } from '../src/formats/outlook/pox';
import { scanPoxRequest } from '../src/formats/outlook/pox-request-scanner';
import { poxRequestXml } from './support/raw-http';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Both readers on one body; the scanner's answer must be the full reader's. */
function expectAgreement(body: Buffer): boolean {
  const scanned = scanPoxRequest(body);
  if (scanned === undefined) return false;
  expect(readPoxRequest(body)).toEqual({ kind: 'outlook', emailAddress: scanned.emailAddress });
  return true;
}

const space = fc.stringMatching(/^[ \t\r\n]{0,6}$/);
const scheme = fc.constantFrom('http', 'https');
const addressElement = fc.constantFrom('EMailAddress', 'EmailAddress');
const declaration = fc.constantFrom('', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" encoding="UTF-8"?>');
const bom = fc.constantFrom('', '\uFEFF');
/** Addresses clients send, and strings that only look like them. */
const address = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('fred@example.com', 'fred+tag@example.net', 'a.b-c@xn--mnchen-3ya.de', '@@@', 'x@', 'fred@@example.com'),
  fc.stringMatching(/^[A-Za-z0-9.!#$%*+/=?^_`{|}~@-]{0,40}$/),
);

/** A body in the usual shapes, with the variation clients show. */
const usualBody = fc
  .record({ bom, declaration, spaces: fc.array(space, { minLength: 8, maxLength: 8 }), request: scheme, response: scheme, element: addressElement, address })
  .map(({ bom, declaration, spaces: s, request, response, element, address }) =>
    [
      bom,
      s[0],
      declaration,
      s[1],
      `<Autodiscover xmlns="${request}://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">`,
      s[2],
      '<Request>',
      s[3],
      `<${element}>${address}</${element}>`,
      s[4],
      `<AcceptableResponseSchema>${response}://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>`,
      s[5],
      '</Request>',
      s[6],
      '</Autodiscover>',
      s[7],
    ].join(''),
  );

/** What an attacker splices in; each makes the body something the scanner must not judge. */
const hostile = fc.constantFrom(
  '<!DOCTYPE Autodiscover [<!ENTITY a "fred@example.com">]>',
  '<!ENTITY a SYSTEM "file:///etc/passwd">',
  '&a;',
  '&amp;',
  '&#64;',
  '<![CDATA[x@example.com]]>',
  '<!-- a comment -->',
  '<?php x ?>',
  '<EMailAddress>mallory@evil.example</EMailAddress>',
  '<Request>',
  '</Autodiscover>',
  '<x:Autodiscover xmlns:x="urn:x">',
  'é',
  '\u0000',
  '<',
  '>',
  '"',
  ' attr="1"',
  'mobilesync',
  'x'.repeat(3000),
);

test('clients’ own request bodies take the scanner, with the address the full reader finds', () => {
  const outlook =
    '<?xml version="1.0" encoding="utf-8"?>\r\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">\r\n' +
    '  <Request>\r\n    <EMailAddress>fred@example.com</EMailAddress>\r\n' +
    '    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\r\n' +
    '  </Request>\r\n</Autodiscover>\r\n';
  expect(expectAgreement(bytes(outlook))).toBe(true);
  expect(expectAgreement(bytes(poxRequestXml('fred+tag@example.com')))).toBe(true);
  expect(expectAgreement(bytes(poxRequestXml('fred@example.com', '<?xml version="1.0" encoding="utf-8"?>')))).toBe(true);
});

test('whenever the scanner accepts a body, the full reader reads the same address and the Outlook schema', () => {
  let accepted = 0;
  fc.assert(
    fc.property(usualBody, (body) => {
      if (expectAgreement(bytes(body))) accepted += 1;
    }),
    { numRuns: 500 },
  );
  // The shapes above are the scanner's: most of them must take it (not only the trivial ones).
  expect(accepted).toBeGreaterThan(250);
});

test('a body with anything hostile spliced in never takes the scanner, or reads the same as the full reader', () => {
  fc.assert(
    fc.property(usualBody, hostile, fc.nat(), (body, insert, at) => {
      const position = at % (body.length + 1);
      const spliced = bytes(body.slice(0, position) + insert + body.slice(position));
      const scanned = scanPoxRequest(spliced);
      if (scanned !== undefined) {
        // The shape survives an insertion only where it is harmless (inside the address): then
        // both readers agree, and the insertion holds none of XML's special characters.
        expect(readPoxRequest(spliced)).toEqual({ kind: 'outlook', emailAddress: scanned.emailAddress });
        expect([...insert].every((char) => char >= ' ' && char <= '~' && !'<>&"'.includes(char))).toBe(true);
      }
    }),
    { numRuns: 1000 },
  );
});

test('DTDs, entities, CDATA, comments, other schemas and non-UTF-8 always go to the full reader', () => {
  const hostileBodies = [
    poxRequestXml('fred@example.com', '<!DOCTYPE a [<!ENTITY b "c">]>'),
    poxRequestXml('fred&#64;example.com'),
    poxRequestXml('<![CDATA[fred@example.com]]>'),
    poxRequestXml('fred@example.com<!-- x -->'),
    poxRequestXml('fred@example.com').replace(NAMESPACES.outlookResponse, NAMESPACES.mobilesyncResponse),
    poxRequestXml('fred@example.com').replace('<Request>', '<Request><Request>'),
    poxRequestXml('frédéric@example.com'),
  ];
  for (const body of hostileBodies) expect(scanPoxRequest(bytes(body))).toBeUndefined();
  expect(scanPoxRequest(Buffer.concat([bytes(poxRequestXml('fred@example.com')), Buffer.from([0xff])]))).toBeUndefined();
  expect(scanPoxRequest(Buffer.from(poxRequestXml('fred@example.com'), 'utf16le'))).toBeUndefined();
});
