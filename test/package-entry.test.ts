/**
 * An embedder imports the package by its name (docs/deploying.md): the built entry that
 * package.json names must give createApp and loadConfiguration, to ESM importers too, and
 * they must serve real answers inside an Express site of the embedder's.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, SHIPPED_CONFIG, parseXml } from './support/app';
import { buildServer, type Build } from './support/server-process';

let build: Build;
let site: string;

beforeAll(async () => {
  build = await buildServer();
  // A project of the embedder's with the package installed under its name.
  site = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-site-'));
  await mkdir(path.join(site, 'node_modules'));
  await symlink(build.packageDir, path.join(site, 'node_modules', 'mail-autoconfig'), 'dir');
}, 120_000);

afterAll(async () => {
  await rm(site, { recursive: true, force: true });
  await build.remove();
});

// The example of docs/deploying.md, as an ES module, asking itself once over HTTP.
const EMBEDDER = `
import { createRequire } from 'node:module';
import { createApp, loadConfiguration } from 'mail-autoconfig';
const express = createRequire(import.meta.url)('express');
const { settings, providerDirectory, signing } = await loadConfiguration(process.argv[1], {});
const site = express();
site.use(createApp({ providerDirectory, settings, signing, passUnmatched: true }));
site.get('/about', (req, res) => res.send('the site itself'));
const server = site.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port;
  const ask = async (target, host) => {
    const res = await fetch(base + target, { headers: { host } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const answers = {
    autoconfig: await ask('/mail/config-v1.1.xml?emailaddress=fred%40example.com', 'autoconfig.example.com'),
    own: await ask('/about', 'www.example.com'),
  };
  server.close();
  process.stdout.write(JSON.stringify(answers));
});
`;

test('the package entry gives createApp and loadConfiguration, which serve inside an Express site', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', EMBEDDER, SHIPPED_CONFIG], {
    cwd: site,
    // express comes from the repository's install, as it would from the site's own.
    env: { PATH: process.env.PATH, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    timeout: 30_000,
  });
  const answers = JSON.parse(stdout) as Record<'autoconfig' | 'own', { status: number; type: string; text: string }>;
  expect(answers.autoconfig.status).toBe(200);
  expect(answers.autoconfig.type).toMatch(/^text\/xml/);
  const document = parseXml(answers.autoconfig.text) as { clientConfig: { emailProvider: { domain: string | string[] } } };
  expect([document.clientConfig.emailProvider.domain].flat()).toContain('example.com');
  expect(answers.own).toMatchObject({ status: 200, text: 'the site itself' });
}, 60_000);
