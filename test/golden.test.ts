/**
 * Golden files: the exact documents the shipped config produces, so any change to what
 * clients receive shows up in review as a diff of test/golden/. Regenerate after an
 * intended change with `UPDATE_GOLDEN=1 npm test -- golden`, then read the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { shippedApp } from './support/app';

const GOLDEN_DIR = path.join(__dirname, 'golden');

const POX_REQUEST = (address: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
    <Request>
      <EMailAddress>${address}</EMailAddress>
      <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
    </Request>
  </Autodiscover>`;

const cases: [file: string, send: (app: Awaited<ReturnType<typeof shippedApp>>) => request.Test][] = [
  ['mozilla-hotmail.xml', (app) => request(app).get('/mail/config-v1.1.xml?emailaddress=jane%40hotmail.com')],
  ['mozilla-example.xml', (app) => request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.example.com')],
  ['pox-hotmail.xml', (app) => request(app).post('/autodiscover/autodiscover.xml').send(POX_REQUEST('jane@hotmail.com'))],
  ['pox-example.xml', (app) => request(app).post('/autodiscover/autodiscover.xml').send(POX_REQUEST('fred@example.com'))],
  ['pox-example-get.xml', (app) => request(app).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.com')],
  ['v2-example.json', (app) => request(app).get('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1').set('Host', 'autodiscover.example.com')],
];

let app: Awaited<ReturnType<typeof shippedApp>>;
beforeAll(async () => {
  app = await shippedApp();
});

test.each(cases)('%s', async (file, send) => {
  const res = await send(app).expect(200);
  const golden = path.join(GOLDEN_DIR, file);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, res.text);
  expect(res.text).toBe(readFileSync(golden, 'utf8'));
});
