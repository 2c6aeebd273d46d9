/**
 * The second line of defence: whatever text reaches a document, even characters XML 1.0
 * cannot carry (C0 controls, U+FFFE, U+FFFF, lone surrogates), every XML answer stays
 * well-formed. Provider text is not checked for them, so it shows what the escaping does.
 */
import { XMLValidator } from 'fast-xml-parser';
import request from 'supertest';
import type { ProviderInput } from '../src/model/provider';
import { appWithProviders } from './support/formats';
import { poxRequestXml } from './support/raw-http';

const UNWRITABLE = '\u0001\u0008\u001f\uFFFE\uFFFF\uD800';
// Characters no XML document may hold, written raw or as references.
const FORBIDDEN = /(?![\t\n\r])[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]|&#x?(0*[0-8bcef]|0*1[0-9a-f]|fff[ef]|d[89ab][0-9a-f]{2});/iu;

const provider: ProviderInput = {
  id: 'chars.example',
  displayName: `Mail ${UNWRITABLE} & Co`,
  domains: ['chars.example'],
  incoming: [{ type: 'imap', hostname: 'imap.chars.example', socketType: 'SSL', username: `%EMAILADDRESS%` }],
  outgoing: [{ type: 'smtp', hostname: 'smtp.chars.example', socketType: 'SSL', username: `%EMAILADDRESS%` }],
  documentation: [{ url: 'https://chars.example/help', descr: [{ lang: 'en', text: `Help ${UNWRITABLE}` }] }],
};

function expectWritable(what: string, text: string): void {
  expect([what, XMLValidator.validate(text)]).toEqual([what, true]);
  expect([what, FORBIDDEN.exec(text)?.[0]]).toEqual([what, undefined]);
  // Replaced visibly, not dropped silently.
  expect(text).toContain('\uFFFD');
}

test('Mozilla, POX and Apple answers stay well-formed when provider text holds characters XML cannot carry', async () => {
  const app = appWithProviders([provider]);
  const mozilla = await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40chars.example').expect(200);
  expectWritable('mozilla', mozilla.text);
  const pox = await request(app)
    .post('/autodiscover/autodiscover.xml')
    .set('Content-Type', 'text/xml')
    .send(poxRequestXml('fred@chars.example'))
    .expect(200);
  expect(XMLValidator.validate(pox.text)).toBe(true);
  const profile = await request(app).get('/mobileconfig?emailaddress=fred%40chars.example').expect(200);
  expectWritable('plist', profile.text);
});
