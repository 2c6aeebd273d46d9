/**
 * Slow clients (slowloris and friends) over a raw socket: the server's header, request and
 * keep-alive timeouts cut them off, so they cannot hold connections open. The timeouts
 * are set short here; production values are in settings.ts.
 */
import type { Socket } from 'node:net';
import { rawExchange, rawGet, rawRequest, startTestServer, type TestServer } from './support/raw-http';

const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 2_500;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** Long enough for every timeout above plus Node's 1 s check interval; the exchange fails past it. */
const CLIENT_PATIENCE_MS = 8_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  });
});
afterAll(() => server.close());

/** Writes `text` one byte per `intervalMs` until it is all sent or the server closes. */
function dribble(text: string, intervalMs: number, sent: { bytes: number }) {
  return (socket: Socket) => {
    const timer = setInterval(() => {
      if (socket.destroyed || sent.bytes >= text.length) return clearInterval(timer);
      socket.write(text[sent.bytes]!);
      sent.bytes += 1;
    }, intervalMs);
    socket.once('close', () => clearInterval(timer));
  };
}

test('headers sent one byte a second are cut off by the headers timeout', async () => {
  const headers = rawGet('/mail/config-v1.1.xml?emailaddress=fred@example.com', 'autoconfig.example.com');
  const sent = { bytes: 0 };
  const exchange = await rawExchange(server.port, dribble(headers, 1_000, sent), { timeoutMs: CLIENT_PATIENCE_MS });
  expect(exchange.closedByServer).toBe(true);
  expect(sent.bytes).toBeLessThan(headers.length);
  expect(exchange.responses.map((res) => res.status)).toEqual([408]);
}, 15_000);

test('a connection that never sends a byte is closed by the headers timeout', async () => {
  const exchange = await rawExchange(server.port, () => undefined, { timeoutMs: CLIENT_PATIENCE_MS });
  expect(exchange.closedByServer).toBe(true);
  expect(exchange.responses.map((res) => res.status)).not.toContain(200);
}, 15_000);

test('a body sent one byte every 300 ms is cut off by the request timeout', async () => {
  const body = '<Autodiscover><Request><EMailAddress>fred@example.com</EMailAddress></Request></Autodiscover>';
  const sent = { bytes: 0 };
  const exchange = await rawExchange(
    server.port,
    (socket) => {
      socket.write(`POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.example.com\r\nContent-Length: ${body.length}\r\n\r\n`);
      dribble(body, 300, sent)(socket);
    },
    { timeoutMs: CLIENT_PATIENCE_MS },
  );
  expect(exchange.closedByServer).toBe(true);
  expect(sent.bytes).toBeLessThan(body.length);
  expect(exchange.responses.map((res) => res.status)).toEqual([408]);
}, 15_000);

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
  const exchange = await rawExchange(server.port, request, { timeoutMs: CLIENT_PATIENCE_MS });
  expect(exchange.responses.map((res) => res.status)).toEqual([200]);
  expect(exchange.closedByServer).toBe(true);
}, 15_000);

test('a prompt client is unaffected', async () => {
  const res = await rawRequest(server.port, rawGet('/mail/config-v1.1.xml?emailaddress=fred@example.com', 'autoconfig.example.com'));
  expect(res.status).toBe(200);
});
