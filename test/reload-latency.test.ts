/**
 * A reload of a large but allowed configuration does not hold requests up for its whole
 * duration: files are parsed one at a time with waiting requests answered in between,
 * and the new provider directory is swapped in only when complete. The test prints what it
 * measured and fails when requests were not answered while the reload ran, which is what
 * happened when every file was parsed in one go. It asserts counts, never durations: the
 * machine it runs on may be busy.
 */
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { startTestServer, type TestServer } from './support/raw-http';

const FILES = 12;
const DOMAINS_PER_FILE = 5_000;

let config: ConfigDir;
let server: TestServer;
beforeAll(async () => {
  config = await makeConfigDir(taggedProvider('a'));
  for (let file = 0; file < FILES; file += 1) {
    const domains = Array.from({ length: DOMAINS_PER_FILE }, (_, index) => `  - customer-${index}.hoster-${file}.example\n`).join('');
    const text = `${taggedProvider(`h${file}`).replace(`domains: [${TEST_DOMAIN}]`, 'domains:')}`.replace('domains:', `domains:\n${domains}`).replace(/^id: .*$/m, `id: hoster-${file}.example`);
    await writeFile(path.join(config.dir, 'providers', `hoster-${file}.yaml`), text);
  }
  server = await startTestServer({ configDir: config.dir });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await config?.remove();
});

/** One GET on a connection of its own, so no reused keep-alive socket can be closed under it. */
function timedRequest(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path: `/mail/config-v1.1.xml?emailaddress=fred%40${TEST_DOMAIN}`, agent: false }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

function summary(latencies: number[]): { count: number; p50: number; max: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, p50: Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10, max: Math.round(sorted.at(-1)! * 10) / 10 };
}

test('requests during a reload of a large configuration wait for a part of it, not all of it', async () => {
  const idle: number[] = [];
  for (let i = 0; i < 50; i += 1) idle.push(await timedRequest());

  const during: number[] = [];
  const started = performance.now();
  let reloading = true;
  const reload = server.running.reload().finally(() => (reloading = false));
  while (reloading) during.push(await timedRequest());
  expect(await reload).toBe(true);
  const reloadMs = performance.now() - started;

  const measured = { files: FILES, domains: FILES * DOMAINS_PER_FILE, reloadMs: Math.round(reloadMs), idle: summary(idle), duringReload: summary(during) };
  process.stdout.write(`reload latency: ${JSON.stringify(measured)}\n`);
  // Answered between files: several requests completed while the reload was running.
  expect(during.length).toBeGreaterThan(3);
}, 120_000);
