/**
 * An embedder imports the package by its name (docs/deploying.md): the built entry that
 * package.json names must give createApp and loadConfiguration, to ESM importers too, and
 * they must serve real answers inside an Express site of the embedder's. The example of
 * docs/deploying.md is run as written: it serves ours and the site's, reloads on SIGHUP,
 * caps connections, and its process ends by itself after SIGTERM, with a domain database's
 * connections closed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import ts from 'typescript';
import { runDbCommand } from '../src/cli/db';
import { REPO_ROOT, SHIPPED_CONFIG, parseXml } from './support/app';
import { TEST_DOMAIN, makeConfigDir, taggedProvider } from './support/config-dir';
import { useEmbeddedPostgres } from './support/embedded-postgres';
import { eventually } from './support/eventually';
import { buildServer, type Build } from './support/server-process';

const postgres = useEmbeddedPostgres();
let build: Build;
let site: string;

beforeAll(async () => {
  build = await buildServer();
  // A project of the embedder's with the package installed under its name.
  site = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-site-'));
  await mkdir(path.join(site, 'node_modules'));
  await symlink(build.packageDir, path.join(site, 'node_modules', 'mail-autoconfig'), 'dir');
  // What the docs' example imports by name besides the package, as the site's own install would hold it.
  await symlink(path.join(REPO_ROOT, 'node_modules', 'express'), path.join(site, 'node_modules', 'express'), 'dir');
}, 120_000);

afterAll(async () => {
  await rm(site, { recursive: true, force: true });
  await build.remove();
});

// The lower-level parts (createApp, loadConfiguration) mounted at the root of a site, as an ES module asking itself once over HTTP.
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

/** The first `js` code block of the named section of docs/deploying.md. */
function documentedExample(section: string): string {
  const text = readFileSync(path.join(REPO_ROOT, 'docs', 'deploying.md'), 'utf8');
  const start = text.indexOf(`## ${section}\n`);
  const block = /```js\n([\s\S]*?)```/.exec(text.slice(start));
  if (start === -1 || !block) throw new Error(`docs/deploying.md has no js example under "${section}"`);
  return block[1] ?? '';
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/** What a raw connection is told before the server closes it, or '' when it stays open for `waitMs`. */
function firstWords(socket: ReturnType<typeof connect>, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const timer = setTimeout(() => resolve(received), waitMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

interface DocumentedSite {
  readonly port: number;
  readonly metricsPort: number;
  readonly child: ChildProcess;
  /** The exit code once the process has ended by itself. */
  readonly exited: Promise<number | string | null>;
  /** Its standard output, line by line (our log). */
  readonly log: string[];
  /** GET on a fresh connection, so no idle keep-alive connection of ours counts against the caps. */
  ask(target: string, host: string): Promise<{ status: number; text: string }>;
}

/** Runs the example of docs/deploying.md as written, in the embedder's project, and waits until it answers. */
async function startDocumentedSite(env: NodeJS.ProcessEnv): Promise<DocumentedSite> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--input-type=module', '-e', documentedExample('Inside an existing Express site')], {
    cwd: site,
    env: {
      PATH: process.env.PATH,
      // The built package lives outside the repository; its own imports are found in the repository's install.
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
  const ended = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A process that something keeps alive says so, rather than running into the test's timeout.
  const exited = Promise.race([ended, sleep(15_000).then(() => 'still running after 15 s')]);
  const ask = async (target: string, host: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${target}`, { headers: { host, connection: 'close' } });
    return { status: res.status, text: await res.text() };
  };
  await eventually(() => ask('/healthz', 'localhost').then((answer) => answer.status === 200, () => child.exitCode !== null), 20_000);
  if (child.exitCode !== null) throw new Error(`the documented site exited with ${child.exitCode}: ${log.join('\n')}`);
  return { port, metricsPort, child, exited, log, ask };
}

/** The host name of the first incoming server in an autoconfig answer for someone at `domain`. */
async function incomingHost({ ask }: DocumentedSite, domain: string): Promise<string | undefined> {
  const answer = await ask(`/mail/config-v1.1.xml?emailaddress=fred%40${domain}`, `autoconfig.${domain}`);
  if (answer.status !== 200) return `status ${answer.status}`;
  return (parseXml(answer.text) as { clientConfig: { emailProvider: { incomingServer: { hostname: string }[] } } }).clientConfig.emailProvider.incomingServer[0]?.hostname;
}

// A TypeScript site's use of the package: what the docs show, and misuses the types must refuse.
const TYPED_EMBEDDER = `
import { createServer } from 'node:http';
import { openMailAutoconfig, createApp, loadConfiguration, type Service } from 'mail-autoconfig';

export async function start(): Promise<void> {
  const mail: Service = await openMailAutoconfig('/etc/mail-autoconfig', process.env);
  const server = createServer(mail.serverOptions, (req, res) => mail.handle(req, res, () => res.end()));
  mail.limitConnections(server);
  const port: number = mail.settings.port;
  server.listen(port, mail.settings.host);
  const reloaded: boolean = await mail.reload();
  const { settings, providerDirectory } = await loadConfiguration('/etc/mail-autoconfig', {});
  createApp({ providerDirectory, settings, passUnmatched: reloaded });
  // @ts-expect-error the handler takes a request and a response
  mail.handle('/mail/config-v1.1.xml');
  // @ts-expect-error the port is a number
  const named: string = mail.settings.port;
  // @ts-expect-error createApp needs the provider directory
  createApp({ settings });
  void named;
  await mail.close();
}
`;

test('a TypeScript site gets the types of what it imports, and misuses are refused', () => {
  const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { types: string };
  expect(readFileSync(path.join(build.packageDir, packageJson.types), 'utf8')).toContain('openMailAutoconfig');
  const file = path.join(site, 'typed-site.ts');
  writeFileSync(file, TYPED_EMBEDDER);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    types: ['node'],
    // The package's own dependencies, as the site's install would hold them.
    baseUrl: site,
    paths: { '*': [path.join(REPO_ROOT, 'node_modules', '*'), path.join(REPO_ROOT, 'node_modules', '@types', '*')] },
    typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  // Unused @ts-expect-error lines would be reported too: types that accepted anything would fail here.
  expect(problems).toEqual([]);
}, 60_000);

test('the embedding example of docs/deploying.md serves, reloads on SIGHUP, caps connections and stops on SIGTERM', async () => {
  const config = await makeConfigDir(taggedProvider('first'), 'watchConfig: false\n');
  let embedded: DocumentedSite | undefined;
  try {
    embedded = await startDocumentedSite({ MAIL_AUTOCONFIG_CONFIG: config.dir, MAIL_AUTOCONFIG_MAX_CONNECTIONS_PER_CLIENT: '3' });
    const { ask, log, port, metricsPort, child, exited } = embedded;

    expect(await incomingHost(embedded, TEST_DOMAIN)).toBe(`imap-first.${TEST_DOMAIN}`);
    expect(await ask('/about', 'www.example.org')).toEqual({ status: 200, text: 'the site itself' });
    // A path neither serves gets the site's (Express's) 404, not ours.
    expect((await ask('/wp-login.php', `autoconfig.${TEST_DOMAIN}`)).text).toMatch(/Cannot GET \/wp-login\.php/);
    // The access log is ours, on standard output, naming the domain asked about.
    await eventually(async () => log.some((line) => line.includes('"request completed"') && line.includes(`"domain":"${TEST_DOMAIN}"`)));

    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^mail_autoconfig_requests_total\{endpoint="mozilla",outcome="ok",client="other"\} [1-9]/m);
    expect((await ask('/metrics', `autoconfig.${TEST_DOMAIN}`)).status).not.toBe(200);

    await config.writeProvider(taggedProvider('second'));
    child.kill('SIGHUP');
    await eventually(async () => (await incomingHost(embedded!, TEST_DOMAIN)) === `imap-second.${TEST_DOMAIN}`);

    // Three connections from one address are held open; the fourth is refused with a 503 before any request.
    const held = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    await Promise.all(held.map((socket) => once(socket, 'connect')));
    const fourth = connect(port, '127.0.0.1');
    expect(await firstWords(fourth, 2_000)).toMatch(/^HTTP\/1\.1 503 .*[\s\S]*Too many connections/);
    for (const socket of held) socket.destroy();

    child.kill('SIGTERM');
    // Nothing (file watches, metrics port, timers) may keep the process alive once the site's server has closed.
    expect(await exited).toBe(0);
  } finally {
    embedded?.child.kill('SIGKILL');
    await config.remove();
  }
}, 60_000);

test('with a domain database, the documented site serves its domains and closes its connections on SIGTERM', async () => {
  const databaseUrl = { MAIL_AUTOCONFIG_DATABASE_URL: postgres.url };
  const init = await runDbCommand(['init'], { stdout: () => undefined, stderr: () => undefined, env: databaseUrl });
  expect(init).toBe(0);
  await postgres.query(`INSERT INTO mail_autoconfig_domains VALUES ('only-in-the-database.example', 'example.com')`);
  const clientConnections = async () =>
    Number((await postgres.query<{ count: string }>(`SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`))[0]?.count);

  const embedded = await startDocumentedSite({ MAIL_AUTOCONFIG_CONFIG: SHIPPED_CONFIG, ...databaseUrl });
  try {
    // The database connects in the background; until then its domains are not known.
    await eventually(async () => (await incomingHost(embedded, 'only-in-the-database.example')) === 'imap.example.com', 15_000);
    expect(await clientConnections()).toBeGreaterThan(0);

    embedded.child.kill('SIGTERM');
    // An open pool would keep the process alive: it ends only once close() has closed it.
    expect(await embedded.exited).toBe(0);
    await eventually(async () => (await clientConnections()) === 0);
  } finally {
    embedded.child.kill('SIGKILL');
  }
}, 60_000);
