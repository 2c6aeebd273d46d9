/**
 * An admin can mount mail-autoconfig inside an existing Express site: at the root beside
 * the site's own routes, or under a path prefix. The answers are the real ones, the host's
 * routes keep working, and with passUnmatched the host's own 404 answers what no route of
 * ours serves.
 */
import express from 'express';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { SHIPPED_CONFIG, parseXml } from './support/app';
import { poxRequestXml } from './support/raw-http';

async function autoconfig(passUnmatched = false) {
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  return createApp({ providerDirectory, settings: defaultSettings({ configDir: SHIPPED_CONFIG }), passUnmatched });
}

test('mounted under a prefix: real answers there, the host keeps its own routes', async () => {
  const host = express();
  host.get('/', (_req, res) => {
    res.send('host home');
  });
  host.use('/autoconfig', await autoconfig());

  const mozilla = await request(host).get('/autoconfig/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
  expect(mozilla.headers['content-type']).toMatch(/^text\/xml/);
  expect(parseXml(mozilla.text).clientConfig.emailProvider['@id']).toBeTruthy();

  const pox = await request(host).post('/autoconfig/autodiscover/autodiscover.xml').type('text/xml').send(poxRequestXml('fred@example.com')).expect(200);
  expect(parseXml(pox.text).Autodiscover.Response.Account.Action).toBe('settings');

  const page = await request(host).get('/autoconfig/setup/?email=fred%40example.com').expect(301);
  // Relative, so it stays under the prefix.
  expect(new URL(page.headers.location!, 'http://site/autoconfig/setup/').pathname).toBe('/autoconfig/setup');

  expect((await request(host).get('/').expect(200)).text).toBe('host home');
  expect((await request(host).get('/autoconfig/wp-login.php').expect(404)).text).toBe('Not found\n');
});

test('mounted at the root with passUnmatched: ours answer ours, the host answers the rest', async () => {
  const host = express();
  host.use(await autoconfig(true));
  host.get('/about', (_req, res) => {
    res.send('about the host');
  });
  host.use((_req, res) => {
    res.status(404).send('host 404');
  });

  const health = await request(host).get('/healthz').expect(200);
  expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', providers: expect.any(Number) });
  const v2 = await request(host).get('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1').set('Host', 'autodiscover.example.com').expect(200);
  expect(JSON.parse(v2.text).Url).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
  // Our 405 for our paths; the host's answers for its own and for nobody's.
  expect((await request(host).delete('/mail/config-v1.1.xml').expect(405)).headers.allow).toBe('GET, HEAD');
  expect((await request(host).get('/about').expect(200)).text).toBe('about the host');
  expect((await request(host).get('/wp-login.php').expect(404)).text).toBe('host 404');
});
