/**
 * Protocol answers carry the short header list for documents no browser renders
 * (src/http/security-headers.ts); the setup page, which browsers do render, carries helmet's
 * full set with its own policy.
 */
import request from 'supertest';
import { shippedApp } from './support/app';

const DOCUMENT_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

test.each([
  ['/mail/config-v1.1.xml?emailaddress=fred%40example.com', 200],
  ['/mail/config-v1.1.xml?emailaddress=fred%40unknown.invalid', 404],
  ['/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1', 200],
  ['/mobileconfig?emailaddress=fred%40example.com', 200],
  ['/healthz', 200],
  ['/wp-login.php', 404],
])('%s: the document header list, none of the browsing-context headers', async (path, status) => {
  const app = await shippedApp();
  const res = await request(app).get(path).set('Host', 'localhost').expect(status);
  expect(res.headers).toMatchObject(DOCUMENT_HEADERS);
  for (const header of ['cross-origin-opener-policy', 'x-dns-prefetch-control', 'x-download-options', 'x-xss-protection']) {
    expect(res.headers[header]).toBeUndefined();
  }
});

test("the setup page keeps helmet's full set, with a policy that allows its own stylesheet", async () => {
  const app = await shippedApp();
  const res = await request(app).get('/setup?email=fred%40example.com').expect(200);
  expect(res.headers['content-security-policy']).toContain("style-src 'self'");
  expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
});
