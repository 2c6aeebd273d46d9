/**
 * Outlook's discovery URLs name the hosted domain, never the Host or X-Forwarded-Host a
 * request came with: the v2 pointer and the http→https redirect of POX, with Cache-Control
 * and Vary that keep a cache from serving one host's answer for another.
 */
import request from 'supertest';
import { shippedApp } from './support/app';
import { poxRequestXml } from './support/raw-http';

const V2 = '/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1';
const POX = '/autodiscover/autodiscover.xml';
const HOSTED_POX_URL = 'https://autodiscover.example.com/autodiscover/autodiscover.xml';

test('the v2 pointer names autodiscover.<hosted domain> whatever the Host says', async () => {
  const app = await shippedApp();
  for (const host of ['evil.example', 'autodiscover.evil.example', 'autodiscover.example.com']) {
    const res = await request(app).get(V2).set('Host', host).expect(200);
    expect(res.body).toEqual({ Protocol: 'AutodiscoverV1', Url: HOSTED_POX_URL });
    expect(res.headers['cache-control']).toBe('private, max-age=3600');
    expect(res.headers.vary).toBe('Host');
  }
});

test('behind a trusted proxy, X-Forwarded-Host neither steers the pointer nor the redirect', async () => {
  const app = await shippedApp({ trustProxy: 'loopback' });
  const pointer = await request(app).get(V2).set('Host', 'autodiscover.example.com').set('X-Forwarded-Host', 'evil.example').expect(200);
  expect(pointer.body.Url).toBe(HOSTED_POX_URL);
  expect(pointer.headers.vary).toBe('Host, X-Forwarded-Host');

  for (const method of ['get', 'post'] as const) {
    const evil = await request(app)[method](POX).set('X-Forwarded-Proto', 'http').set('X-Forwarded-Host', 'evil.example').type('text/xml').send(poxRequestXml('fred@example.com'));
    // No redirect for a host that names no hosted domain: the ordinary POX answer.
    expect(evil.status).toBe(200);
    expect(evil.headers.location).toBeUndefined();
    expect(evil.text).not.toContain('evil.example');

    const hosted = await request(app)[method](POX).set('X-Forwarded-Proto', 'http').set('X-Forwarded-Host', 'Autodiscover.Example.COM').type('text/xml').send(poxRequestXml('fred@example.com'));
    expect(hosted.status).toBe(302);
    expect(hosted.headers.location).toBe(HOSTED_POX_URL);
    expect(hosted.headers['cache-control']).toBe('no-store');
    expect(hosted.headers.vary).toBe('Host, X-Forwarded-Host');
  }
});

test('an unknown address with a hostile Host gets the unknown-domain answer, nothing reflected', async () => {
  const app = await shippedApp();
  const res = await request(app).get('/autodiscover/autodiscover.json/v1.0/fred@unknown.test?Protocol=AutodiscoverV1').set('Host', 'evil.example').expect(404);
  expect(res.body.ErrorCode).toBe('InvalidUser');
  expect(res.text).not.toContain('evil');
});

test('a v2 path whose address does not decode is a 400 with a plain reason', async () => {
  const app = await shippedApp();
  for (const path of ['/autodiscover/autodiscover.json/v1.0/%', '/autodiscover/autodiscover.json/v1.0/%zz?Protocol=AutodiscoverV1']) {
    const res = await request(app).get(path).set('Host', 'evil.example').expect(400);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('Bad request: the path does not decode\n');
  }
});
