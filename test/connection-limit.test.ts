/**
 * One client holding hundreds of idle sockets cannot starve the others: the real server,
 * started under `ulimit -n 256`, caps connections per address and in total, so a second
 * client (another loopback address) is still answered while the flood is open.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { defaultSettings } from '../src/config/settings';
import { SHIPPED_CONFIG } from './support/app';
import { buildServer, startServerProcess, type Build, type ServerProcess } from './support/server-process';

const FLOOD = 400;
const PER_CLIENT = 50;

let build: Build;
let server: ServerProcess;
const flood: Socket[] = [];

beforeAll(async () => {
  build = await buildServer();
  server = await startServerProcess(
    build,
    SHIPPED_CONFIG,
    { MAIL_AUTOCONFIG_MAX_CONNECTIONS: '200', MAIL_AUTOCONFIG_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT), MAIL_AUTOCONFIG_RATE_LIMIT: '0' },
    { fileLimit: 256 },
  );
}, 120_000);

afterAll(async () => {
  for (const socket of flood) socket.destroy();
  server?.child.kill('SIGKILL');
  await server?.exited;
  await build?.remove();
});

/** Opens an idle socket from 127.0.0.1; resolves with what the server sent before closing it, or '' while it stays open. */
function idleSocket(port: number): Promise<{ socket: Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const answer = new Promise<string>((settle) => socket.once('close', () => settle(received)));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, answer }));
    socket.once('error', reject);
  });
}

/** A GET from another client address, failing after `timeoutMs`. */
function getFrom(localAddress: string, port: number, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, localAddress, path: '/mail/config-v1.1.xml?emailaddress=fred@example.com', headers: { Host: 'autoconfig.example.com' }, agent: false, timeout: timeoutMs });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.end();
  });
}

test('a flood of idle sockets from one address does not stop another client from being answered', async () => {
  const opened = [];
  for (let i = 0; i < FLOOD; i += 1) {
    const idle = await idleSocket(server.port);
    flood.push(idle.socket);
    opened.push(idle);
  }
  for (let i = 0; i < 5; i += 1) {
    const res = await getFrom('127.0.0.2', server.port, 3_000);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<clientConfig');
  }

  // The sockets over the cap were answered 503 and closed; those within it stay open.
  const refused = await Promise.all(opened.slice(PER_CLIENT).map((idle) => idle.answer));
  expect(new Set(refused.map((text) => text.split('\r\n')[0]))).toEqual(new Set(['HTTP/1.1 503 Service Unavailable']));
  expect(refused[0]).toMatch(/\r\n\r\nToo many connections from you$/);
  expect(opened.slice(0, PER_CLIENT).every((idle) => !idle.socket.destroyed)).toBe(true);
}, 60_000);

test('the defaults fit under the usual 1024 file descriptors', () => {
  const { maxConnections, maxConnectionsPerClient } = defaultSettings();
  expect(maxConnections).toBeLessThan(1024);
  expect(maxConnectionsPerClient).toBeLessThan(maxConnections);
});
