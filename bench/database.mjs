/**
 * `npm run bench:database [-- --domains 1000000]`: hosted domains from PostgreSQL. Starts an
 * embedded PostgreSQL (the tests' helper, test/support/postgres-server.mjs), loads DOMAINS
 * rows into the default table in batches, then prints: cold lookups (each domain's first,
 * a query) and warm ones (from the cache, async lookup and sync peek) as p50/p99 and
 * lookups/s, against a plain Map in the same run; the memory after a stream of 200 000
 * distinct domains (bounded by the cache); and how long an UPDATE takes to reach a second
 * source instance; then GET autoconfig req/s through the built server for a domain only the
 * database knows against one from the provider files, in turns. A script, not a test: it
 * prints figures and passes no judgement.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT, drive as driveHttp, freePort, median, startServer as startBuiltServer, stop } from './harness.mjs';

const { DatabaseDomainSource } = await import(path.join(ROOT, 'dist/domains/database-source.js'));
const { initSchema } = await import(path.join(ROOT, 'dist/domains/schema.js'));
const { databaseSettingsSchema } = await import(path.join(ROOT, 'dist/domains/settings.js'));

const { values } = parseArgs({ options: { domains: { type: 'string', default: '1000000' }, stream: { type: 'string', default: '200000' } } });
const DOMAINS = Number(values.domains);
const STREAM = Number(values.stream);
const PROVIDERS = ['example.com', 'hotmail.com', 'other.example'];
const print = (line) => process.stdout.write(`${line}\n`);
const domainName = (index) => `customer-${index}.example`;

const port = await freePort();
const password = randomBytes(9).toString('hex');
const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
const server = fork(path.join(ROOT, 'test/support/postgres-server.mjs'), [], {
  env: { ...process.env, TEST_POSTGRES_PORT: String(port), TEST_POSTGRES_PASSWORD: password },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
await new Promise((resolve, reject) => server.once('message', (message) => (message.ready ? resolve() : reject(new Error(message.error)))));

const sources = [];
function newSource(overrides = {}) {
  const source = new DatabaseDomainSource({
    settings: databaseSettingsSchema.parse({ url, ...overrides }),
    isKnownProvider: (id) => PROVIDERS.includes(id),
  });
  sources.push(source);
  return source;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const micros = (ms) => `${(ms * 1000).toFixed(1)} µs`;
function latencyLine(label, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${micros(percentile(sorted, 50)).padStart(10)}   p99 ${micros(percentile(sorted, 99)).padStart(10)}`;
}
const rate = (count, ms) => `${Math.round((count / ms) * 1000).toLocaleString('en')} lookups/s`;
/** Runs `task` for each of `items`, `concurrency` at a time; returns the elapsed ms. */
async function drive(items, concurrency, task) {
  const begun = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
  return performance.now() - begun;
}
const sampleIndexes = (count) => Array.from({ length: count }, () => Math.floor(Math.random() * DOMAINS));

try {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await initSchema(admin);
  // Bulk loads skip the per-row NOTIFY trigger; a real bulk load would then NOTIFY '*' once.
  await admin.query(`SET session_replication_role = replica`);
  const loadBegun = performance.now();
  const BATCH = 50_000;
  for (let start = 0; start < DOMAINS; start += BATCH) {
    const indexes = Array.from({ length: Math.min(BATCH, DOMAINS - start) }, (_, offset) => start + offset);
    await admin.query(`INSERT INTO mail_autoconfig_domains SELECT * FROM unnest($1::text[], $2::text[])`, [
      indexes.map(domainName),
      indexes.map((index) => PROVIDERS[index % PROVIDERS.length]),
    ]);
  }
  await admin.query(`RESET session_replication_role`);
  await admin.query(`ANALYZE mail_autoconfig_domains`);
  const loadMs = performance.now() - loadBegun;
  print(`loaded ${DOMAINS.toLocaleString('en')} domains in ${(loadMs / 1000).toFixed(1)} s (batched INSERT … unnest, ${BATCH.toLocaleString('en')} a batch)`);
  print('');

  const source = newSource();
  await source.start();
  // Cold: each domain's first lookup is a query. One at a time for latency, 32 at a time for throughput.
  const coldDomains = [...new Set(sampleIndexes(6_000))].slice(0, 5_000).map(domainName);
  const coldSamples = [];
  for (const domain of coldDomains) {
    const begun = performance.now();
    await source.lookup([domain]);
    coldSamples.push(performance.now() - begun);
  }
  print(latencyLine('cold lookup (a query), 1 at a time', coldSamples));
  const coldBatch = [...new Set(sampleIndexes(25_000))].slice(0, 20_000).map(domainName).filter((domain) => !coldDomains.includes(domain));
  const coldMs = await drive(coldBatch, 32, (domain) => source.lookup([domain]));
  print(`${'cold lookups, 32 concurrent'.padEnd(34)} ${rate(coldBatch.length, coldMs)}`);

  // Warm: the same 5 000 domains, now cached; the async lookup, the sync peek, and a Map.
  const warmSamples = [];
  for (let round = 0; round < 4; round += 1) {
    for (const domain of coldDomains) {
      const begun = performance.now();
      await source.lookup([domain]);
      warmSamples.push(performance.now() - begun);
    }
  }
  print(latencyLine('warm lookup (cache), await', warmSamples));
  const map = new Map(coldDomains.map((domain, index) => [domain, { providerId: PROVIDERS[index % 3], domain }]));
  const OPS = 2_000_000;
  const timeLoop = (fn) => {
    const begun = performance.now();
    let found = 0;
    for (let op = 0; op < OPS; op += 1) if (fn(coldDomains[op % coldDomains.length])) found += 1;
    const ms = performance.now() - begun;
    if (found !== OPS) throw new Error(`only ${found} of ${OPS} found`);
    return ms;
  };
  const keys = [''];
  const peekMs = timeLoop((domain) => ((keys[0] = domain), source.peek(keys).cached));
  const mapMs = timeLoop((domain) => map.get(domain) !== undefined);
  const asyncBegun = performance.now();
  for (let op = 0; op < 200_000; op += 1) await source.lookup([coldDomains[op % coldDomains.length]]);
  const asyncMs = performance.now() - asyncBegun;
  print(`${'warm peek (sync)'.padEnd(34)} ${rate(OPS, peekMs)}`);
  print(`${'warm lookup (await)'.padEnd(34)} ${rate(200_000, asyncMs)}`);
  print(`${'Map.get, same keys'.padEnd(34)} ${rate(OPS, mapMs)}`);
  print('');

  // Memory: a stream of distinct domains through a source with the default cache bound.
  const streamSource = newSource();
  await streamSource.start();
  globalThis.gc?.();
  const before = process.memoryUsage();
  const stream = Array.from({ length: STREAM }, (_, index) => domainName((index * 7919) % DOMAINS));
  const streamMs = await drive(stream, 32, (domain) => streamSource.lookup([domain]));
  globalThis.gc?.();
  const after = process.memoryUsage();
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  print(`stream of ${STREAM.toLocaleString('en')} distinct domains: ${rate(STREAM, streamMs)}, cache holds ${streamSource.health().cachedDomains.toLocaleString('en')} (bound ${databaseSettingsSchema.parse({ url }).cacheEntries.toLocaleString('en')})`);
  print(`  heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, RSS ${mb(before.rss)} → ${mb(after.rss)}${globalThis.gc ? ' (after a full GC)' : ''}`);
  print('');

  // Invalidation: an UPDATE on one connection, until a second source instance serves it.
  const second = newSource({ cacheTtlMs: 3_600_000 });
  await second.start();
  const propagation = [];
  for (let round = 0; round < 50; round += 1) {
    const domain = domainName(round);
    const old = (await second.lookup([domain])).providerId;
    const next = PROVIDERS.find((id) => id !== old);
    const begun = performance.now();
    await admin.query(`UPDATE mail_autoconfig_domains SET provider_id = $2 WHERE domain = $1`, [domain, next]);
    while ((await second.lookup([domain]))?.providerId !== next) await sleep(0);
    propagation.push(performance.now() - begun);
  }
  const sorted = propagation.sort((a, b) => a - b);
  print(`UPDATE → second instance serves it (50 changes, includes the UPDATE's commit):`);
  print(`  p50 ${percentile(sorted, 50).toFixed(2)} ms   p99 ${percentile(sorted, 99).toFixed(2)} ms   max ${sorted.at(-1).toFixed(2)} ms`);
  print('');

  // Over HTTP: the built server on the shipped providers and this database, a database
  // domain (warm in its cache after the first request) against a files domain, in turns.
  const httpPort = await freePort();
  const { child } = await startBuiltServer(path.join(ROOT, 'config'), httpPort, { MAIL_AUTOCONFIG_DATABASE_URL: url, LOG_LEVEL: 'warn' });
  try {
    const probeFor = (domain) => ({ method: 'GET', path: `/mail/config-v1.1.xml?emailaddress=fred%40${domain}`, host: `autoconfig.${domain}` });
    // Index 99 is an example.com domain the UPDATEs above left alone.
    const probes = { 'files domain (example.com)': probeFor('example.com'), 'database domain (cached)': probeFor(domainName(99)) };
    const rates = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
    for (let round = 0; round < 3; round += 1) {
      for (const [name, probe] of Object.entries(probes)) {
        const result = await driveHttp(httpPort, probe, { seconds: 3, connections: 50 });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        rates[name].push(result.rps);
      }
    }
    print('GET autoconfig through the server (3 rounds of 3 s, 50 connections, median req/s):');
    for (const [name, values] of Object.entries(rates)) print(`  ${name.padEnd(30)} ${Math.round(median(values)).toLocaleString('en')} req/s`);
  } finally {
    await stop(child);
  }
  await admin.end();
} finally {
  await Promise.allSettled(sources.map((source) => source.close()));
  await new Promise((resolve) => {
    server.once('exit', resolve);
    server.send({ command: 'shutdown' });
  });
}
