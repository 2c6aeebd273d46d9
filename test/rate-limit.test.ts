/**
 * Per-client rate limiting: a Thunderbird account setup (about seven requests) always
 * fits, a flood gets 429 with Retry-After, and X-Forwarded-For picks the client only when
 * it comes from a trusted proxy.
 */
import type { Express } from 'express';
import request from 'supertest';
import { loadRegistry } from '../src/config/load';
import { defaultSettings, type SettingsInput } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { SHIPPED_CONFIG } from './support/app';
import { poxRequestXml } from './support/raw-http';

async function limitedApp(overrides: Partial<SettingsInput> = {}): Promise<Express> {
  const settings = defaultSettings({ ...overrides, configDir: SHIPPED_CONFIG });
  return createApp({
    registry: await loadRegistry(SHIPPED_CONFIG),
    settings,
    rateLimit: { requests: settings.rateLimitRequests, windowMs: settings.rateLimitWindowMs },
  });
}

const POX_BODY = poxRequestXml('fred@example.com');

/** What Thunderbird asks one server while setting up fred@example.com (docs/endpoints.md#where-thunderbird-looks). */
function thunderbirdSetup(app: Express): Promise<request.Response>[] {
  const query = '?emailaddress=fred%40example.com';
  return [
    request(app).get(`/mail/config-v1.1.xml${query}`).set('Host', 'autoconfig.example.com'),
    request(app).get(`/.well-known/autoconfig/mail/config-v1.1.xml${query}`).set('Host', 'example.com'),
    request(app).get(`/mail/config-v1.1.xml${query}`).set('Host', 'autoconfig.example.com'),
    request(app).get(`/.well-known/autoconfig/mail/config-v1.1.xml${query}`).set('Host', 'example.com'),
    request(app).post('/autodiscover/autodiscover.xml').set('Host', 'example.com').type('text/xml').send(POX_BODY),
    request(app).post('/autodiscover/autodiscover.xml').set('Host', 'autodiscover.example.com').type('text/xml').send(POX_BODY),
    request(app).get('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1').set('Host', 'autodiscover.example.com'),
  ];
}

test('with the default limits, several Thunderbird setups in a row from one address all succeed', async () => {
  const app = await limitedApp();
  const setups = Math.floor(defaultSettings().rateLimitRequests / thunderbirdSetup(app).length);
  expect(setups).toBeGreaterThanOrEqual(5);
  for (let setup = 0; setup < setups; setup += 1) {
    const answers = await Promise.all(thunderbirdSetup(app));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
  }
});

test('the RateLimit fields come once a client has used half its budget, counting down to 0', async () => {
  const app = await limitedApp({ rateLimitRequests: 10, rateLimitWindowMs: 30_000 });
  const answers: request.Response[] = [];
  for (let i = 0; i < 10; i += 1) answers.push(await request(app).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').expect(200));
  // An account setup (about seven requests) is far below the default 60 and sees none.
  for (const res of answers.slice(0, 5)) expect([res.headers.ratelimit, res.headers['ratelimit-policy']]).toEqual([undefined, undefined]);
  expect(answers.slice(5).map((res) => /remaining=(\d+)/.exec(res.headers.ratelimit as string)?.[1])).toEqual(['4', '3', '2', '1', '0']);
  for (const res of answers.slice(5)) {
    expect(res.headers['ratelimit-policy']).toBe('10;w=30');
    expect(res.headers.ratelimit).toMatch(/^limit=10, remaining=\d, reset=(30|29)$/);
  }
});

test('past the limit: 429 with Retry-After and the RateLimit headers', async () => {
  const app = await limitedApp({ rateLimitRequests: 10, rateLimitWindowMs: 30_000 });
  for (let i = 0; i < 10; i += 1) await request(app).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').expect(200);
  const refused = await request(app).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').expect(429);
  const retryAfter = Number(refused.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 30).toBe(true);
  expect(refused.headers['content-type']).toMatch(/^text\/plain/);
  expect(refused.text).toBe('Too many requests\n');
  expect(refused.headers.ratelimit).toMatch(/limit=10, remaining=0/);
  // Every endpoint shares the client's budget, and monitoring is never limited.
  await request(app).post('/autodiscover/autodiscover.xml').type('text/xml').send(POX_BODY).expect(429);
  await request(app).get('/healthz').expect(200);
});

test('without a trusted proxy, X-Forwarded-For is ignored: a rotating header does not reset the budget', async () => {
  const app = await limitedApp({ rateLimitRequests: 5 });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) {
    const res = await request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.example.com').set('X-Forwarded-For', `198.51.100.${i}`);
    statuses.push(res.status);
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
});

test('a proxy outside the trusted list is not believed either', async () => {
  const app = await limitedApp({ rateLimitRequests: 3, trustProxy: '10.0.0.0/8' });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    statuses.push((await request(app).get('/mail/config-v1.1.xml').set('X-Forwarded-For', `198.51.100.${i}`)).status);
  }
  expect(statuses.slice(3)).toEqual([429, 429]);
});

test('behind a trusted proxy, each forwarded client has its own budget', async () => {
  const app = await limitedApp({ rateLimitRequests: 3, trustProxy: 'loopback' });
  const ask = (client: string) => request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.example.com').set('X-Forwarded-For', client);
  for (let i = 0; i < 3; i += 1) await ask('198.51.100.7').expect(200);
  await ask('198.51.100.7').expect(429);
  // Another client behind the same proxy is unaffected, and so is an IPv6 client.
  await ask('198.51.100.8').expect(200);
  await ask('2001:db8::1').expect(200);
  // The proxy appends the peer it saw; a client-supplied first entry does not help.
  await ask('203.0.113.1, 198.51.100.7').expect(429);
});
