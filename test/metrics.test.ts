import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { clientFamilyOf } from '../src/http/metrics';
import { endpointOf } from '../src/http/routes';
import { startServer } from '../src/server';
import { SHIPPED_CONFIG, shippedApp } from './support/app';
import { parseExposition, sampleValue } from './support/exposition';

const THUNDERBIRD = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0';
const OUTLOOK = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)';
const IPHONE = 'iPhone Mail/21A329 CFNetwork/1474 Darwin/23.0.0';

describe('GET /metrics', () => {
  test('counts requests by endpoint, outcome and client family, with no address or domain in any label', async () => {
    const app = await shippedApp({ metricsOnMainPort: true });
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').set('User-Agent', THUNDERBIRD).expect(200);
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40unknown.example').set('User-Agent', THUNDERBIRD).expect(404);
    await request(app).get('/mail/config-v1.1.xml?emailaddress=not-an-address').expect(400);
    // POX errors go out as HTTP 200 (docs/endpoints.md#pox-errors) but still count as what they are.
    const unknownPox =
      '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
      '<EMailAddress>fred@unknown.example</EMailAddress>' +
      '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
      '</Request></Autodiscover>';
    await request(app).post('/autodiscover/autodiscover.xml').set('User-Agent', OUTLOOK).type('text/xml').send(unknownPox).expect(200);
    await request(app).get('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=ActiveSync').set('User-Agent', OUTLOOK).expect(200);
    await request(app).get('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1').set('User-Agent', IPHONE).expect(200);

    await request(app).get('/wp-login.php').expect(404);

    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(res.text);
    const requests = (labels: Record<string, string>) => sampleValue(samples, 'mail_autoconfig_requests_total', labels);
    expect(requests({ endpoint: 'mozilla', outcome: 'ok', client: 'thunderbird' })).toBe(1);
    expect(requests({ endpoint: 'mozilla', outcome: 'unknown domain', client: 'thunderbird' })).toBe(1);
    expect(requests({ endpoint: 'mozilla', outcome: 'bad request', client: 'other' })).toBe(1);
    expect(requests({ endpoint: 'outlook', outcome: 'unknown domain', client: 'outlook' })).toBe(1);
    expect(requests({ endpoint: 'v2 json', outcome: 'bad request', client: 'outlook' })).toBe(1);
    expect(requests({ endpoint: 'v2 json', outcome: 'ok', client: 'apple' })).toBe(1);
    // A path we do not serve is not an unknown domain.
    expect(requests({ endpoint: 'other', outcome: 'bad request', client: 'other' })).toBe(1);
    expect(requests({ endpoint: 'other', outcome: 'unknown domain' })).toBeUndefined();
    expect(sampleValue(samples, 'mail_autoconfig_request_duration_seconds_count', { endpoint: 'mozilla' })).toBe(3);
    // A histogram a scraper accepts: cumulative buckets in order, +Inf equal to the count, a positive sum.
    const buckets = samples.filter((sample) => sample.name === 'mail_autoconfig_request_duration_seconds_bucket' && sample.labels.endpoint === 'mozilla');
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual(['0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf']);
    expect(buckets.map((bucket) => bucket.value)).toEqual([...buckets.map((bucket) => bucket.value)].sort((a, b) => a - b));
    expect(buckets.at(-1)!.value).toBe(3);
    expect(sampleValue(samples, 'mail_autoconfig_request_duration_seconds_sum', { endpoint: 'mozilla' })).toBeGreaterThan(0);
    expect(res.text).toContain('# TYPE mail_autoconfig_request_duration_seconds histogram');
    expect(sampleValue(samples, 'mail_autoconfig_providers')).toBe(2);
    expect(sampleValue(samples, 'mail_autoconfig_domains')).toBe(13);

    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => value.includes('@') || value.includes('example'))).toEqual([]);
  });

  test('can be turned off', async () => {
    const app = await shippedApp({ metricsEnabled: false, metricsOnMainPort: true });
    await request(app).get('/metrics').expect(404);
  });

  test('by default it is served only on a loopback port of its own, never on the main port', async () => {
    expect(defaultSettings()).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1', metricsOnMainPort: false });
    await request(await shippedApp()).get('/metrics').expect(404);
    const running = await startServer(defaultSettings({ configDir: SHIPPED_CONFIG, port: 0, host: '0.0.0.0', metricsPort: 0 }), { providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), signing: undefined }, pino({ level: 'silent' }));
    try {
      await request(running.server).get('/metrics').expect(404);
      expect(running.metricsServer?.address()).toMatchObject({ address: '127.0.0.1' });
      await request(running.metricsServer!).get('/metrics').expect(200);
    } finally {
      await running.close();
    }
  });

  test('with a separate port it is served there and not on the public listener; reloads are counted', async () => {
    const configDir = await mkdtemp(path.join(os.tmpdir(), 'mail-autoconfig-metrics-'));
    await cp(SHIPPED_CONFIG, configDir, { recursive: true });
    const settings = defaultSettings({ configDir, port: 0, host: '127.0.0.1', metricsPort: 0 });
    const running = await startServer(settings, { providerDirectory: await loadProviderDirectory(configDir), signing: undefined }, pino({ level: 'silent' }));
    try {
      await request(running.server).get('/metrics').expect(404);
      expect(running.metricsServer).toBeDefined();

      expect(await running.reload()).toBe(true);
      await writeFile(path.join(configDir, 'providers', 'broken.yaml'), 'id: [not, a, hostname]\n');
      expect(await running.reload()).toBe(false);

      const samples = parseExposition((await request(running.metricsServer!).get('/metrics').expect(200)).text);
      expect(sampleValue(samples, 'mail_autoconfig_config_loads_total', { result: 'success' })).toBe(2);
      expect(sampleValue(samples, 'mail_autoconfig_config_loads_total', { result: 'failure' })).toBe(1);
      const lastGood = sampleValue(samples, 'mail_autoconfig_config_last_good_load_timestamp_seconds')!;
      expect(Math.abs(lastGood - Date.now() / 1000)).toBeLessThan(60);
      // Process metrics come with the server's registry.
      expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
      await request(running.metricsServer!).get('/mail/config-v1.1.xml').expect(404);
    } finally {
      await running.close();
      await rm(configDir, { recursive: true, force: true });
    }
  });
});

describe('label tables', () => {
  test.each([
    ['/mail/config-v1.1.xml', 'mozilla'],
    ['/.well-known/autoconfig/mail/config-v1.1.xml', 'mozilla'],
    ['/v1.1/mail/config-v1.1.xml', 'mozilla'],
    ['/.well-known/mail-v1.xml', 'mozilla'],
    ['/Autodiscover/Autodiscover.xml', 'outlook'],
    ['/autodiscover/autodiscover.json/v1.0/a@b.c', 'v2 json'],
    ['/mobileconfig', 'apple'],
    ['/fred.mobileconfig', 'apple'],
    ['/.well-known/user-agent-configuration.json', 'pacc'],
    ['/', 'page'],
    ['/setup', 'page'],
    ['/healthz', 'other'],
    ['/metrics', 'other'],
  ])('%s is endpoint %s', (requestPath, endpoint) => {
    expect(endpointOf(requestPath)).toBe(endpoint);
  });

  test.each([
    [THUNDERBIRD, 'thunderbird'],
    [OUTLOOK, 'outlook'],
    ['Microsoft Office/16.0 (Macintosh; Mac OS X 14.1; Microsoft Outlook 16.79)', 'outlook'],
    [IPHONE, 'apple'],
    ['Mail/3774.200.56 CFNetwork/1494 Darwin/23.4.0 (Macintosh)', 'apple'],
    ['K-9 Mail', 'other'],
    [undefined, 'other'],
  ])('%s is client family %s', (userAgent, family) => {
    expect(clientFamilyOf(userAgent)).toBe(family);
  });
});
