/**
 * What a reload may read and what it may tell: provider files that are links out of the
 * config directory are refused unless allowed, files over the size limit are refused
 * naming the file and the limit, and the public /healthz says only `ok`/`degraded` and
 * counts, whatever the problem held (a file's lines, absolute paths, errno texts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { FIXTURES, parseXml } from './support/app';
import { startTestServer, type TestServer } from './support/raw-http';

// Lines as /etc/shadow holds them: nothing of them may reach an answer.
const SECRET_LINES = 'root:$6$saltsalt$c2VjcmV0aGFzaA:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n';

let config: ConfigDir;
let outside: string;
let server: TestServer | undefined;
let lines: string[];

beforeEach(async () => {
  config = await makeConfigDir(taggedProvider('a'));
  outside = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-outside-'));
  lines = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await config.remove();
  rmSync(outside, { recursive: true, force: true });
});

async function start(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }));
  server = await startTestServer({ configDir: config.dir, ...settings }, logger);
  return server;
}

async function get(target: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${server!.port}${target}`);
  return { status: res.status, text: await res.text() };
}

async function servedVariant(): Promise<string> {
  const res = await get(`/mail/config-v1.1.xml?emailaddress=fred%40${TEST_DOMAIN}`);
  return /^imap-(\w+)\./.exec(parseXml(res.text).clientConfig.emailProvider.incomingServer[0].hostname as string)?.[1] ?? '';
}

/** The problems the last failed reload logged. */
function loggedProblems(): { file: string; field: string; message: string }[] {
  const failed = lines.filter((line) => line.includes('configuration reload failed')).at(-1);
  return (JSON.parse(failed!) as { problems: { file: string; field: string; message: string }[] }).problems;
}

test('a provider linked to a file outside the config directory is refused, and /healthz shows counts only', async () => {
  await start();
  const secret = path.join(outside, 'shadow');
  writeFileSync(secret, SECRET_LINES);
  symlinkSync(secret, path.join(config.dir, 'providers', 'shadow.yaml'));

  expect(await server!.running.reload()).toBe(false);
  const health = await get('/healthz');
  expect(health.status).toBe(200);
  expect(JSON.parse(health.text)).toEqual({ status: 'degraded', providers: 1, domains: 1, reloadProblems: 1 });
  expect(health.text).not.toMatch(/root|daemon|shadow|\//);
  expect(loggedProblems()).toEqual([
    { file: expect.stringMatching(/providers\/shadow\.yaml$/), field: '', message: expect.stringContaining('outside the config directory') },
  ]);
  // Not even the log holds what the file holds.
  expect(lines.join('')).not.toContain('saltsalt');
  expect(await servedVariant()).toBe('a');
});

test('allowFilesOutsideConfigDir lets a provider be a link to a file elsewhere', async () => {
  await start({ allowFilesOutsideConfigDir: true });
  const elsewhere = path.join(outside, 'provider.yaml');
  writeFileSync(elsewhere, taggedProvider('b'));
  unlinkSync(path.join(config.dir, 'providers', 'provider.yaml'));
  symlinkSync(elsewhere, path.join(config.dir, 'providers', 'provider.yaml'));
  expect(await server!.running.reload()).toBe(true);
  expect(await servedVariant()).toBe('b');
});

test("links within the config directory, as a Kubernetes ConfigMap's ..data, are read", async () => {
  await start();
  const providers = path.join(config.dir, 'providers');
  const stamped = path.join(providers, '..2026_12_07_00_00_00.000000001');
  mkdirSync(stamped);
  writeFileSync(path.join(stamped, 'provider.yaml'), taggedProvider('c'));
  symlinkSync(path.basename(stamped), path.join(providers, '..data'));
  unlinkSync(path.join(providers, 'provider.yaml'));
  symlinkSync(path.join('..data', 'provider.yaml'), path.join(providers, 'provider.yaml'));
  expect(await server!.running.reload()).toBe(true);
  expect(await servedVariant()).toBe('c');
});

test('a provider file over the size limit is refused, naming the file and the limit', async () => {
  await start({ maxProviderFileBytes: 64 * 1024 });
  // A valid provider padded with a comment: only its size is wrong.
  await config.writeProvider(`${taggedProvider('b')}# ${'x'.repeat(70 * 1024)}\n`);
  expect(await server!.running.reload()).toBe(false);
  expect(loggedProblems()).toEqual([
    { file: expect.stringMatching(/providers\/provider\.yaml$/), field: '', message: expect.stringMatching(/over the limit of 65536 bytes \(maxProviderFileBytes/) },
  ]);
  expect(JSON.parse((await get('/healthz')).text)).toMatchObject({ status: 'degraded', reloadProblems: 1 });
  expect(await servedVariant()).toBe('a');

  // Under the limit, the same provider is taken.
  await config.writeProvider(`${taggedProvider('b')}# ${'x'.repeat(60 * 1024)}\n`);
  expect(await server!.running.reload()).toBe(true);
  expect(await servedVariant()).toBe('b');
});

test('the default limit is 1 MiB', async () => {
  await start();
  await config.writeProvider(`${taggedProvider('b')}# ${'x'.repeat(1024 * 1024)}\n`);
  expect(await server!.running.reload()).toBe(false);
  expect(loggedProblems()[0]!.message).toContain('over the limit of 1048576 bytes');
});

test('a JSON provider with a syntax error is reported without quoting the file', async () => {
  await start();
  writeFileSync(path.join(config.dir, 'providers', 'broken.json'), `{"id": saltsalt-secret}`);
  expect(await server!.running.reload()).toBe(false);
  expect(loggedProblems()).toEqual([{ file: expect.stringMatching(/broken\.json$/), line: 1, column: 8, field: '', message: expect.stringMatching(/^JSON syntax error/) }]);
  expect(lines.join('')).not.toContain('saltsalt');
});

test('a signing file that went missing shows on /healthz as a count, without its path or errno', async () => {
  const tls = path.join(FIXTURES, 'tls');
  copyFileSync(path.join(tls, 'server.pem'), path.join(config.dir, 'signer.pem'));
  copyFileSync(path.join(tls, 'server.key'), path.join(config.dir, 'signer.key'));
  await start({ signingCert: path.join(config.dir, 'signer.pem'), signingKey: path.join(config.dir, 'signer.key') });
  unlinkSync(path.join(config.dir, 'signer.key'));
  expect(await server!.running.reload()).toBe(false);
  const health = await get('/healthz');
  expect(JSON.parse(health.text)).toEqual({ status: 'degraded', providers: 1, domains: 1, reloadProblems: 1 });
  expect(health.text).not.toMatch(/signer|ENOENT|no such file|\//);
  expect(loggedProblems()[0]!.file).toBe(path.join(config.dir, 'signer.key'));
});
