import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings, loadSettings, type SettingsInput } from '../src/config/settings';
import { ConfigError } from '../src/config/errors';
import { pinoJsonLine, type AccessLogFields } from '../src/http/access-log';
import { createApp } from '../src/http/app';
import { SHIPPED_CONFIG } from './support/app';

/** The real app with a logger writing JSON lines into an array, as a log shipper would read them. */
async function appWithLog(overrides: Partial<SettingsInput> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const app = createApp({
    providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG),
    settings: defaultSettings({ ...overrides, configDir: SHIPPED_CONFIG }),
    logger,
  });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, any>);
  return { app, lines, entries };
}

const POX_BODY =
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
  '<EMailAddress>secret.person@example.net</EMailAddress>' +
  '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
  '</Request></Autodiscover>';

describe('access log', () => {
  test('one JSON line per request with id, domain, status and duration; never the address, Authorization or cookies', async () => {
    const { app, lines, entries } = await appWithLog();
    const res = await request(app)
      .post('/autodiscover/autodiscover.xml')
      .set('Authorization', 'Basic c2VjcmV0LnBlcnNvbjpodW50ZXIy')
      .set('Cookie', 'session=cookie-value-42')
      .type('text/xml')
      .send(POX_BODY)
      .expect(200);
    await request(app).get('/mail/config-v1.1.xml?emailaddress=secret.person%40example.com').expect(200);

    expect(lines).toHaveLength(2);
    const [pox, mozilla] = entries();
    expect(pox!.req).toEqual({ id: res.headers['x-request-id'], method: 'POST', path: '/autodiscover/autodiscover.xml', host: expect.any(String) });
    expect(pox!.res).toEqual({ statusCode: 200 });
    expect(pox!.domain).toBe('example.net');
    expect(pox!.outcome).toBe('ok');
    expect(typeof pox!.responseTime).toBe('number');
    expect(mozilla!.domain).toBe('example.com');
    expect(mozilla!.req.path).toBe('/mail/config-v1.1.xml');
    expect(mozilla!.req.id).not.toBe(pox!.req.id);

    const everything = lines.join('\n');
    for (const secret of ['secret.person', 'c2VjcmV0', 'hunter2', 'cookie-value-42', 'Basic', 'session=']) {
      expect(everything).not.toContain(secret);
    }
  });

  test("lines are what pino itself writes for the same fields, with the logger's own bindings and JSON escaping", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: 'info', base: { pid: 7, hostname: 'h', service: 'mail-autoconfig' } }, sink);
    const app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ configDir: SHIPPED_CONFIG }), logger });
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').set('Host', 'autoconfig."quoted\\host').expect(200);
    await request(app).get('/mobileconfig?emailaddress=%E0%A4%A').expect(400);
    const [ours, bad] = lines.map((line) => JSON.parse(line) as Record<string, any>);
    // The same fields through pino's own serialiser give the same line, key for key.
    const fields = Object.fromEntries(Object.entries(ours!).filter(([key]) => !['level', 'time', 'pid', 'hostname', 'service', 'msg'].includes(key)));
    logger.info(fields, ours!.msg as string);
    const theirs = JSON.parse(lines[2]!) as Record<string, unknown>;
    expect(Object.keys(ours!)).toEqual(Object.keys(theirs));
    expect({ ...ours, time: 0 }).toEqual({ ...theirs, time: 0 });
    expect(ours).toMatchObject({ level: 30, pid: 7, hostname: 'h', service: 'mail-autoconfig', msg: 'request completed' });
    expect(ours!.req.host).toBe('autoconfig."quoted\\host');
    expect(bad).toMatchObject({ res: { statusCode: 400 }, outcome: 'bad request', msg: 'request completed' });
  });

  test('the line the standalone server writes past the logger is the line pino writes for the same fields', () => {
    const written: string[] = [];
    // As the access log's own child logger: its err field is written as it is.
    const logger = pino(
      { level: 'info', base: { pid: 7, hostname: 'h' }, timestamp: () => ',"time":1', serializers: { err: (err: unknown) => err } },
      { write: (line: string) => written.push(line) },
    );
    const text = fc.string({ unit: 'binary', maxLength: 60 });
    const optionalText = fc.option(text, { nil: undefined });
    const fields = fc.record<AccessLogFields>({
      req: fc.record({ id: text, method: text, path: text, host: optionalText }),
      res: fc.record({ statusCode: fc.integer({ min: 100, max: 599 }) }),
      err: fc.option(fc.record({ type: fc.constant('Error' as const), message: text }), { nil: undefined }),
      responseTime: fc.nat(),
      outcome: text,
      domain: optionalText,
      address: optionalText,
    });
    fc.assert(
      fc.property(fields, text, (entry, message) => {
        written.length = 0;
        logger.info(entry, message);
        const ours = pinoJsonLine('{"level":30,"time":1,"pid":7,"hostname":"h"', entry, message);
        expect(ours.endsWith('\n')).toBe(true);
        const parsed = JSON.parse(ours) as Record<string, unknown>;
        const theirs = JSON.parse(written[0]!) as Record<string, unknown>;
        expect(Object.keys(parsed)).toEqual(Object.keys(theirs));
        expect(parsed).toEqual(theirs);
      }),
      { numRuns: 500 },
    );
  });

  test('the full address only when the admin enables it', async () => {
    const { app, entries } = await appWithLog({ logEmailAddresses: true });
    await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
    expect(entries()[0]).toMatchObject({ domain: 'example.com', address: 'fred@example.com' });
  });

  test('without an address the domain comes from the Host; outcomes follow the answer', async () => {
    const { app, entries } = await appWithLog();
    await request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.live.de').expect(200);
    await request(app).get('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.nowhere.example').expect(200);
    await request(app).get('/healthz').set('Host', '192.0.2.1:8080').expect(200);
    const [byHost, unknown, byAddress] = entries();
    expect(byHost).toMatchObject({ domain: 'live.de', outcome: 'ok' });
    expect(unknown).toMatchObject({ domain: 'nowhere.example', outcome: 'bad request' });
    expect(byAddress!.domain).toBeUndefined();
  });

  test("a proxy's well-formed X-Request-Id is kept and echoed; anything else is replaced", async () => {
    const { app, entries } = await appWithLog();
    const kept = await request(app).get('/healthz').set('X-Request-Id', 'caddy-7f3a.1').expect(200);
    expect(kept.headers['x-request-id']).toBe('caddy-7f3a.1');
    const forged = await request(app).get('/healthz').set('X-Request-Id', 'x"},{"level":60').expect(200);
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries().map((entry) => entry.req.id)).toEqual(['caddy-7f3a.1', forged.headers['x-request-id']]);
  });

  test('requests without an id of their own each get a new UUID-shaped one', async () => {
    const { app } = await appWithLog();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) ids.add((await request(app).get('/healthz').expect(200)).headers['x-request-id'] as string);
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('TRUST_PROXY and the URLs the server prints', () => {
  const v2 = '/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1';

  test('behind a trusted proxy, X-Forwarded-Host names the public host', async () => {
    const { app } = await appWithLog({ trustProxy: 'loopback' });
    const res = await request(app).get(v2).set('Host', 'internal:8080').set('X-Forwarded-Host', 'autodiscover.example.com').set('X-Forwarded-Proto', 'https');
    expect(JSON.parse(res.text).Url).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
  });

  test('without trust, forwarded headers are ignored', async () => {
    const { app } = await appWithLog();
    const res = await request(app).get(v2).set('Host', 'autodiscover.example.net').set('X-Forwarded-Host', 'evil.example');
    // The Url names the address's hosted domain, whatever either header says.
    expect(JSON.parse(res.text).Url).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
    expect(res.headers.vary).toBe('Host');
  });

  test.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8, fd00::/8', 'loopback, 10.0.0.0/8, fd00::/8'],
  ])('TRUST_PROXY=%s is accepted', async (value, expected) => {
    const settings = await loadSettings(SHIPPED_CONFIG, { TRUST_PROXY: value });
    expect(settings.trustProxy).toEqual(expected);
  });

  test.each(['10.0.0.0/33', 'my-proxy', 'loopback/8'])('TRUST_PROXY=%s is a clear configuration error', async (value) => {
    const error = await loadSettings(SHIPPED_CONFIG, { TRUST_PROXY: value }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/trustProxy: must be true, false, a hop count/);
  });

  test('metrics and address logging settings read from the environment', async () => {
    const settings = await loadSettings(SHIPPED_CONFIG, { METRICS_ENABLED: 'false', METRICS_PORT: '9464', LOG_EMAIL_ADDRESSES: 'true' });
    expect(settings).toMatchObject({ metricsEnabled: false, metricsPort: 9464, logEmailAddresses: true });
  });
});
