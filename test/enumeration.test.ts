/**
 * No mailbox enumeration (docs/endpoints.md#how-the-domain-is-chosen): every local part of a hosted domain gets the
 * same status and the same body (apart from the address itself where a format reflects
 * it), so the answers never tell which mailboxes exist. Unknown domains are refused alike.
 */
import fc from 'fast-check';
import request from 'supertest';
import { shippedApp } from './support/app';
import { poxRequestXml } from './support/raw-http';

const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,30}$/).filter((text) => !text.includes('..') && !text.endsWith('.'));

/** An answer with the address (reflected by POX login names) and the error timestamp taken out. */
function normalised(text: string, address: string): string {
  return text.replaceAll(address, '<address>').replace(/Time="[^"]*"/, 'Time=""');
}

test.each([
  ['a hosted domain', 'example.com'],
  ['an unknown domain', 'unknown.invalid'],
])('%s: the same answer for every local part, on every endpoint', async (_name, domain) => {
  const app = await shippedApp();
  const answer = async (local: string) => {
    const address = `${local}@${domain}`;
    const mozilla = await request(app).get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(address)}`).set('Host', 'autoconfig.example.org');
    const pox = await request(app).post('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.org').type('text/xml').send(poxRequestXml(address));
    const v2 = await request(app).get(`/autodiscover/autodiscover.json/v1.0/${encodeURIComponent(address)}?Protocol=AutodiscoverV1`).set('Host', 'autodiscover.example.org');
    return [mozilla, pox, v2].map((res) => [res.status, normalised(res.text, address)]);
  };
  const reference = await answer('postmaster');
  await fc.assert(
    fc.asyncProperty(localPart, async (local) => {
      expect(await answer(local)).toEqual(reference);
    }),
    { numRuns: 40 },
  );
});
