/**
 * Signals against the real server process: SIGTERM stops accepting, lets in-flight (slow)
 * requests finish, closes keep-alive connections and exits 0 within the grace period;
 * SIGHUP reloads the configuration, keeping the last good one when the new one is broken.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { BROKEN_PROVIDERS, TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { expectPoxAnswer } from './support/answers';
import { REPO_ROOT, parseXml } from './support/app';
import { parseResponses, poxRequestXml, rawRequest, rawGet, type RawResponse } from './support/raw-http';
import { buildServer, safeJson, startServerProcess, type Build, type ServerProcess } from './support/server-process';

let build: Build;
let config: ConfigDir;
let server: ServerProcess | undefined;

beforeAll(async () => {
  build = await buildServer();
}, 120_000);
afterAll(() => build.remove());
beforeEach(async () => {
  // Watching is off so that only the signal can trigger a reload.
  config = await makeConfigDir(taggedProvider('a'), 'watchConfig: false\nshutdownGraceMs: 4000\nrateLimitRequests: 0\n');
});
afterEach(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  server = undefined;
  await config.remove();
});

const POX_BODY = poxRequestXml(`fred@${TEST_DOMAIN}`);

/** A connection holding a POST in flight: headers and half the body sent, the rest on demand. */
interface SlowRequest {
  finish(): void;
  /** The responses and whether the server closed the connection afterwards. */
  readonly result: Promise<{ responses: RawResponse[]; closedByServer: boolean }>;
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function collect(socket: Socket, timeoutMs = 10_000): Promise<{ responses: RawResponse[]; closedByServer: boolean }> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ responses: parseResponses(Buffer.concat(chunks)), closedByServer: false });
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ responses: parseResponses(Buffer.concat(chunks)), closedByServer: true });
    });
    socket.on('error', () => undefined);
  });
}

async function startSlowRequest(port: number): Promise<SlowRequest> {
  const socket = await connectTo(port);
  const result = collect(socket);
  const half = Math.floor(POX_BODY.length / 2);
  socket.write(`POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.${TEST_DOMAIN}\r\nContent-Length: ${POX_BODY.length}\r\n\r\n`);
  socket.write(POX_BODY.slice(0, half));
  return { finish: () => socket.write(POX_BODY.slice(half)), result };
}

/** Resolves once a new connection to `port` is refused. */
async function refusedSoon(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      (await connectTo(port)).destroy();
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the server still accepts connections');
}

test('SIGTERM: new connections refused, slow in-flight requests completed, keep-alive closed, exit 0', async () => {
  server = await startServerProcess(build, config.dir);
  const { port } = server;

  const slow = await Promise.all([startSlowRequest(port), startSlowRequest(port), startSlowRequest(port)]);
  // A keep-alive client that has finished a request and sits idle.
  const idle = await connectTo(port);
  const idleResult = collect(idle);
  idle.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await new Promise((resolve) => setTimeout(resolve, 200));

  server.child.kill('SIGTERM');
  await refusedSoon(port);
  // The slow clients take their time, still well within the grace period.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const request of slow) request.finish();

  for (const { result } of slow) {
    const { responses, closedByServer } = await result;
    expect(responses).toHaveLength(1);
    const [answer] = responses as [RawResponse];
    expect(expectPoxAnswer(answer)).toBe('settings');
    expect(parseXml(answer.body).Autodiscover.Response.Account.Protocol[0].Server).toBe(`imap-a.${TEST_DOMAIN}`);
    expect(answer.headers.connection).toBe('close');
    expect(closedByServer).toBe(true);
  }
  const idleExchange = await idleResult;
  expect(idleExchange.responses.map((res) => res.status)).toEqual([200]);
  expect(idleExchange.closedByServer).toBe(true);

  expect(await server.exited).toBe(0);
  expect(server.log.join('')).toContain('shutting down');
  expect(server.log.join('')).not.toContain('grace period over');
  // Every request has its access log line, those finished just before the exit included.
  const completed = server.log.map((line) => safeJson(line)).filter((entry) => entry?.msg === 'request completed');
  expect(completed.map((entry) => (entry!.req as { path: string }).path).sort()).toEqual([...Array<string>(3).fill('/autodiscover/autodiscover.xml'), '/healthz'].sort());
}, 20_000);

test('log lines still waiting for the end of their turn are written when the process exits or crashes', async () => {
  const destination = path.join(path.dirname(build.mainJs), '..', 'log-destination.js');
  const run = (ending: string) =>
    promisify(execFile)(process.execPath, ['-e', `const log = require(${JSON.stringify(destination)}).standardOutputLog(); log.write('one\\n'); log.write('two\\n'); ${ending}`], {
      env: { PATH: process.env.PATH, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    }).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );
  expect(await run('process.exit(0)')).toBe('one\ntwo\n');
  expect(await run('throw new Error("crash")')).toBe('one\ntwo\n');
});

test('a reader slower than the log loses no line: a full pipe is waited out', async () => {
  const destination = path.join(path.dirname(build.mainJs), '..', 'log-destination.js');
  // Far more than a pipe holds, written in one turn while nobody reads.
  const script = `const log = require(${JSON.stringify(destination)}).standardOutputLog(); for (let n = 0; n < 40000; n += 1) log.write(JSON.stringify({ n, pad: 'x'.repeat(60) }) + '\\n');`;
  const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.pause();
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdout.resume();
  const [code] = (await once(child, 'close')) as [number | null];
  expect(code).toBe(0);
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  expect(lines.pop()).toBe('');
  expect(lines.map((line) => (JSON.parse(line) as { n: number }).n)).toEqual(Array.from({ length: 40_000 }, (_unused, n) => n));
}, 20_000);

test('SIGTERM: a request that never completes is cut at the end of the grace period, and the exit is still 0', async () => {
  server = await startServerProcess(build, config.dir, { MAIL_AUTOCONFIG_SHUTDOWN_GRACE_MS: '1000' });
  const stuck = await startSlowRequest(server.port);
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.child.kill('SIGTERM');
  const { responses, closedByServer } = await stuck.result;
  expect(closedByServer).toBe(true);
  expect(responses).toEqual([]);
  expect(await server.exited).toBe(0);
  expect(server.log.join('')).toContain('grace period over');
}, 20_000);

test('SIGHUP: a broken configuration is reported and the last good one served; a fixed one is taken', async () => {
  server = await startServerProcess(build, config.dir);
  const { port } = server;
  const health = async () => JSON.parse((await rawRequest(port, rawGet('/healthz', 'localhost'))).body) as Record<string, any>;
  const imapHost = async () => {
    const res = await rawRequest(port, rawGet(`/mail/config-v1.1.xml?emailaddress=fred@${TEST_DOMAIN}`, 'localhost'));
    return parseXml(res.body).clientConfig.emailProvider.incomingServer[0].hostname as string;
  };
  const afterSignal = async (done: () => Promise<boolean>) => {
    server!.child.kill('SIGHUP');
    // Up to 20 s: a reload is quick, but a loaded CI machine can delay the signal and the load.
    for (let attempt = 0; attempt < 400 && !(await done()); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  await config.writeProvider(BROKEN_PROVIDERS.badPort);
  await afterSignal(async () => (await health()).status === 'degraded');
  expect(await health()).toEqual({ status: 'degraded', providers: 1, domains: 1, reloadProblems: 1 });
  expect(server.log.join('')).toContain('incoming[0].port');
  expect(await imapHost()).toBe(`imap-a.${TEST_DOMAIN}`);
  expect(server.log.join('')).toContain('configuration reload failed');

  await config.writeProvider(taggedProvider('b'));
  await afterSignal(async () => (await imapHost()) === `imap-b.${TEST_DOMAIN}`);
  expect(await imapHost()).toBe(`imap-b.${TEST_DOMAIN}`);
  expect(await health()).toEqual({ status: 'ok', providers: 1, domains: 1 });
  // The process is still the same one.
  expect(server.child.exitCode).toBeNull();
}, 60_000);
