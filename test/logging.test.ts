/**
 * Access logs: clients send real passwords in Authorization headers to autodiscover URLs
 * (docs/endpoints.md#credentials-sent-to-autodiscover), and addresses in query strings and bodies. None of it is logged.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { SHIPPED_CONFIG } from './support/app';

test('no password, cookie or address reaches the log; method, path and status do', async () => {
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings(), logger: pino({ level: 'trace' }, sink) });
  const basic = `Basic ${Buffer.from('fred@example.com:secret').toString('base64')}`;
  await request(app)
    .post('/autodiscover/autodiscover.xml')
    .set('Authorization', basic)
    .set('Cookie', 'session=topsecret')
    .send('<Autodiscover><Request><EMailAddress>fred@example.com</EMailAddress></Request></Autodiscover>')
    .expect(200);
  await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').set('Authorization', basic).expect(200);

  expect(logged).toContain('"path":"/autodiscover/autodiscover.xml"');
  expect(logged).toContain('"statusCode":200');
  for (const secret of [basic, 'secret', 'topsecret', 'fred', 'ZnJlZEBleGFtcGxlLmNvbTpzZWNyZXQ']) expect(logged).not.toContain(secret);
});
