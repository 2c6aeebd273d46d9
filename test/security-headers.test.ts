/**
 * Each kind of answer carries the headers that matter for it (src/http/answer-kinds.ts).
 * Documents for programs (XML, JSON, profiles, plain text) carry nosniff, so a browser that
 * opens their URL never renders one as HTML, and none of the page headers: CSP, framing
 * and referrer rules govern what a rendered page may load or who may frame it, and a
 * browser renders none of these; HSTS is the TLS-terminating proxy's to send. The setup
 * page, which browsers do render, carries helmet's full set with its own policy.
 */
import request from 'supertest';
import { shippedApp } from './support/app';

const PAGE_ONLY = [
  'content-security-policy',
  'strict-transport-security',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-opener-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-xss-protection',
];

test.each([
  ['/mail/config-v1.1.xml?emailaddress=fred%40example.com', 200],
  ['/mail/config-v1.1.xml?emailaddress=fred%40unknown.invalid', 404],
  ['/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1', 200],
  ['/mobileconfig?emailaddress=fred%40example.com', 200],
  ['/healthz', 200],
  ['/wp-login.php', 404],
])('%s: nosniff, none of the page headers', async (path, status) => {
  const app = await shippedApp();
  const res = await request(app).get(path).set('Host', 'localhost').expect(status);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  for (const header of PAGE_ONLY) expect({ header, value: res.headers[header] }).toEqual({ header, value: undefined });
});

test('POX answers: nosniff, none of the page headers', async () => {
  const app = await shippedApp();
  const res = await request(app).post('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.com').type('text/xml').send('<Autodiscover/>').expect(200);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  for (const header of PAGE_ONLY) expect(res.headers[header]).toBeUndefined();
});

test("the setup page keeps helmet's full set, with a policy that allows its own stylesheet", async () => {
  const app = await shippedApp();
  const res = await request(app).get('/setup?email=fred%40example.com').expect(200);
  expect(res.headers['content-security-policy']).toContain("style-src 'self'");
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(res.headers['cache-control']).toBe('private, no-store');
});
