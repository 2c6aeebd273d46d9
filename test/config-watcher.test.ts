/**
 * The config watcher keeps hearing: every one of many `mv` replaces reloads, a config
 * directory deleted and restored is watched again, and a Kubernetes ConfigMap's `..data`
 * link swap reloads each time. A broken file still keeps the last good configuration.
 * Each change is checked where it matters: in the answers over HTTP.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BROKEN_PROVIDERS, TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { parseXml } from './support/app';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/raw-http';

// Long enough for a loaded machine; a watch that went deaf fails each step anyway.
const WITHIN_MS = 10_000;
const WATCHING = { watchConfig: true, reloadDebounceMs: 50 };

let config: ConfigDir;
/** Where files are written before they are moved in: beside the config directory, on the same file system. */
let staging: string;
let server: TestServer | undefined;
beforeEach(async () => {
  config = await makeConfigDir(taggedProvider('a'));
  staging = await mkdtemp(path.join(path.dirname(config.dir), 'mail-autoconfig-staging-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await config.remove();
  await rm(staging, { recursive: true, force: true });
});

async function get(target: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${server!.port}${target}`);
  return { status: res.status, text: await res.text() };
}

/** The variant tag of the served configuration, or undefined when none is served for the domain. */
async function servedVariant(): Promise<string | undefined> {
  const res = await get(`/mail/config-v1.1.xml?emailaddress=fred%40${TEST_DOMAIN}`);
  if (res.status !== 200) return undefined;
  return /^imap-(\w+)\./.exec(parseXml(res.text).clientConfig.emailProvider.incomingServer[0].hostname as string)?.[1];
}

async function healthStatus(): Promise<string> {
  return (JSON.parse((await get('/healthz')).text) as { status: string }).status;
}

const serves = (variant: string) => eventually(async () => (await servedVariant()) === variant, WITHIN_MS);

/** `mv` of a file written elsewhere over providers/provider.yaml: the only event is the rename into providers/. */
async function moveIntoPlace(text: string): Promise<void> {
  const aside = path.join(staging, `provider-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(aside, text);
  await rename(aside, path.join(config.dir, 'providers', 'provider.yaml'));
}

test('twenty mv replaces in a row each reload', async () => {
  server = await startTestServer({ configDir: config.dir, ...WATCHING });
  for (let i = 1; i <= 20; i += 1) {
    await moveIntoPlace(taggedProvider(`v${i}`));
    await serves(`v${i}`);
  }
}, 240_000);

test('a config directory deleted and restored is watched again', async () => {
  server = await startTestServer({ configDir: config.dir, ...WATCHING });
  await rm(config.dir, { recursive: true, force: true });
  // The reload fails, and the last good configuration stays.
  await eventually(async () => (await healthStatus()) === 'degraded', WITHIN_MS);
  expect(await servedVariant()).toBe('a');

  await mkdir(path.join(config.dir, 'providers'), { recursive: true });
  await writeFile(path.join(config.dir, 'providers', 'provider.yaml'), taggedProvider('b'));
  await serves('b');
  expect(await healthStatus()).toBe('ok');

  // And it keeps being watched: later replaces reload too.
  for (const variant of ['c', 'd', 'e']) {
    await moveIntoPlace(taggedProvider(variant));
    await serves(variant);
  }
}, 120_000);

test("a Kubernetes ConfigMap's ..data swap reloads, every time", async () => {
  // The atomic writer's layout: each file is a link to ..data/<file>, ..data a link to a stamped directory.
  const providers = path.join(config.dir, 'providers');
  let generation = 0;
  const publish = async (text: string) => {
    generation += 1;
    const stamped = `..2026_12_07_00_00_${String(generation).padStart(2, '0')}.000000001`;
    await mkdir(path.join(providers, stamped));
    await writeFile(path.join(providers, stamped, 'provider.yaml'), text);
    await symlink(stamped, path.join(providers, '..data_tmp'));
    await rename(path.join(providers, '..data_tmp'), path.join(providers, '..data'));
    if (generation > 1) {
      const previous = `..2026_12_07_00_00_${String(generation - 1).padStart(2, '0')}.000000001`;
      await rm(path.join(providers, previous), { recursive: true });
    }
  };
  await publish(taggedProvider('k1'));
  await rm(path.join(providers, 'provider.yaml'));
  await symlink(path.join('..data', 'provider.yaml'), path.join(providers, 'provider.yaml'));

  server = await startTestServer({ configDir: config.dir, ...WATCHING });
  expect(await servedVariant()).toBe('k1');
  for (const variant of ['k2', 'k3', 'k4', 'k5']) {
    await publish(taggedProvider(variant));
    await serves(variant);
  }
}, 120_000);

test('a broken file seen by the watcher keeps the last good configuration, and a fixed one is taken', async () => {
  server = await startTestServer({ configDir: config.dir, ...WATCHING });
  await moveIntoPlace(taggedProvider('b'));
  await serves('b');
  await moveIntoPlace(BROKEN_PROVIDERS.badPort);
  await eventually(async () => (await healthStatus()) === 'degraded', WITHIN_MS);
  expect(await servedVariant()).toBe('b');
  await moveIntoPlace(taggedProvider('c'));
  await serves('c');
  expect(await healthStatus()).toBe('ok');
}, 60_000);
