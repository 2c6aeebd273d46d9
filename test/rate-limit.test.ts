/**
 * Per-client rate limiting: a Thunderbird account setup (about seven requests) always
 * fits, a flood gets 429 with Retry-After, and X-Forwarded-For picks the client only when
 * it comes from a trusted proxy.
 */
import type { IncomingMessage } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings, type SettingsInput } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { rateLimiter, rateLimitOptions } from '../src/http/rate-limit';
import type { RequestView } from '../src/http/request-view';
import { SHIPPED_CONFIG } from './support/app';
import { poxRequestXml } from './support/raw-http';

async function limitedApp(overrides: Partial<SettingsInput> = {}): Promise<Express> {
  const settings = defaultSettings({ ...overrides, configDir: SHIPPED_CONFIG });
  return createApp({
    providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG),
    settings,
    rateLimit: rateLimitOptions(settings),
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

test('with the default limits, twenty Thunderbird setups behind one NAT address in a minute, each tried twice, all succeed', async () => {
  const app = await limitedApp();
  for (let setup = 0; setup < 40; setup += 1) {
    const answers = await Promise.all(thunderbirdSetup(app));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
  }
});

test('the setup page and its assets have a budget of their own: neither uses up the other', async () => {
  const app = await limitedApp({ rateLimitRequests: 4, pageRateLimitRequests: 3 });
  const autoconfig = () => request(app).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').set('Host', 'autoconfig.example.com');
  const page = ['/', '/setup?email=fred%40example.com', '/static/setup.css', '/static/favicon.svg'];
  for (let i = 0; i < 4; i += 1) await autoconfig().expect(200);
  await autoconfig().expect(429);
  // The protocols' budget is spent, yet the page, its stylesheet and icon load (up to their own limit).
  expect(await Promise.all(page.slice(0, 3).map(async (path) => (await request(app).get(path)).status))).toEqual([200, 200, 200]);
  expect((await request(app).get(page[3]!)).status).toBe(429);

  const other = await limitedApp({ rateLimitRequests: 4, pageRateLimitRequests: 3 });
  for (let i = 0; i < 4; i += 1) await request(other).get('/static/setup.css');
  await request(other).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').set('Host', 'autoconfig.example.com').expect(200);
});

test('monitoring is never limited, whatever the case of its path', async () => {
  const app = await limitedApp({ rateLimitRequests: 2 });
  for (let i = 0; i < 3; i += 1) await request(app).get('/mail/config-v1.1.xml');
  for (const path of ['/healthz', '/HEALTHZ', '/Healthz/']) await request(app).get(path).expect(200);
});

test('rotating forwarded addresses behind a trusted proxy cannot grow the limiter past its client cap', () => {
  const limiter = rateLimiter({ requests: 10, windowMs: 60_000, maxClients: 1_000 })!;
  const headers: string[] = [];
  // What the dispatcher hands the limiter: a request with X-Forwarded-For, and its view with the forwarded address.
  const forwarded = { headers: { 'x-forwarded-for': 'rotating' } } as unknown as IncomingMessage;
  let refused = 0;
  for (let i = 0; i < 200_000; i += 1) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    if (limiter(forwarded, { ip } as RequestView, headers, i % 2 === 0 ? 'protocol' : 'page')) refused += 1;
  }
  expect(refused).toBe(0);
  // 200 000 clients kept were 40 MB; the table holds a thousand per budget (about 140 bytes each).
  expect(limiter.trackedClients()).toBe(2_000);
  // The newest clients are still counted.
  const latest = { ip: '10.3.13.63' } as RequestView;
  for (let i = 0; i < 9; i += 1) limiter(forwarded, latest, headers, 'page');
  expect(limiter(forwarded, latest, headers, 'page')?.status).toBe(429);
});

test('the defaults: thousands of protocol requests a minute, a page budget apart, a bounded client table', () => {
  const { rateLimitRequests, pageRateLimitRequests, rateLimitWindowMs, rateLimitMaxClients } = defaultSettings();
  expect([rateLimitRequests, pageRateLimitRequests, rateLimitWindowMs, rateLimitMaxClients]).toEqual([3000, 600, 60_000, 50_000]);
});

test('the RateLimit fields come once a client has used half its budget, counting down to 0', async () => {
  const app = await limitedApp({ rateLimitRequests: 10, rateLimitWindowMs: 30_000 });
  const answers: request.Response[] = [];
  for (let i = 0; i < 10; i += 1) answers.push(await request(app).get('/mail/config-v1.1.xml?emailaddress=fred@example.com').expect(200));
  // An account setup (about seven requests) is far below the default 3000 and sees none.
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
