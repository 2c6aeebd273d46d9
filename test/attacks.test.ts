/**
 * Named attacks, one test each, against the real listening server over raw sockets:
 * entity expansion, external entities, deep nesting, oversized and lying bodies,
 * injection through the address, path traversal, a huge Host, unknown methods.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_BODY_LIMIT_BYTES } from '../src/config/settings';
import { expectMozillaAnswer, expectPoxAnswer, expectV2Answer } from './support/answers';
import { parseXml } from './support/app';
import { poxRequestXml, rawExchange, rawGet, rawPost, rawRequest, startTestServer, type RawResponse, type TestServer } from './support/raw-http';

const POX = '/autodiscover/autodiscover.xml';
const POX_HOST = 'autodiscover.example.com';
/** A server that reads bodies up to the largest limit allowed, so the attacks below it reach the XML reader. */
const LARGE_BODY_LIMIT = MAX_BODY_LIMIT_BYTES;

let server: TestServer;
let largeBodies: TestServer;
beforeAll(async () => {
  server = await startTestServer({ headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 });
  largeBodies = await startTestServer({ bodyLimitBytes: LARGE_BODY_LIMIT });
});
afterAll(() => Promise.all([server.close(), largeBodies.close()]));
afterEach(async () => {
  // Whatever the attack did, both servers still answer.
  for (const { port } of [server, largeBodies]) expect((await rawRequest(port, rawGet('/healthz', 'localhost'))).status).toBe(200);
});

function poxErrorCode(res: RawResponse): string {
  expect(expectPoxAnswer(res)).toBe('error');
  return String(parseXml(res.body).Autodiscover.Response.Error.ErrorCode);
}

const post = (target: TestServer, body: string | Buffer) => rawRequest(target.port, rawPost(POX, POX_HOST, body));

describe('XML entity and DTD attacks get "Invalid Request" (600) without expansion', () => {
  test('billion laughs', async () => {
    const entities = ['<!ENTITY lol "lol">'];
    for (let level = 1; level <= 9; level += 1) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1 || ''};`.repeat(10)}">`);
    const body = poxRequestXml('&lol9;@example.com', `<?xml version="1.0"?><!DOCTYPE Autodiscover [${entities.join('')}]>`);
    expect(poxErrorCode(await post(server, body))).toBe('600');
  });

  test('quadratic blowup: one 40 KB entity referenced 5 000 times (200 MB expanded)', async () => {
    const body = poxRequestXml('&a;'.repeat(5_000), `<!DOCTYPE Autodiscover [<!ENTITY a "${'x'.repeat(40_000)}">]>`);
    const res = await post(largeBodies, body);
    expect(poxErrorCode(res)).toBe('600');
    expect(res.body.length).toBeLessThan(2_000);
  });

  test('entity references without a DTD are not expanded either', async () => {
    expect(poxErrorCode(await post(largeBodies, poxRequestXml(`${'&a;'.repeat(20_000)}@example.com`)))).toBe('600');
  });

  describe('external entities pointing at a local file', () => {
    let secretDir: string;
    let secretFile: string;
    const SECRET = 'root:x:0:0:do-not-leak';
    beforeAll(async () => {
      secretDir = await mkdtemp(path.join(tmpdir(), 'xxe-'));
      secretFile = path.join(secretDir, 'secret');
      await writeFile(secretFile, SECRET);
    });
    afterAll(() => rm(secretDir, { recursive: true, force: true }));

    test.each([
      ['a general entity', (file: string) => poxRequestXml('&xxe;', `<!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "file://${file}">]>`)],
      ['a parameter entity', (file: string) => poxRequestXml('a@example.com', `<!DOCTYPE Autodiscover [<!ENTITY % xxe SYSTEM "file://${file}"> %xxe;]>`)],
      ['an external DTD', (file: string) => poxRequestXml('a@example.com', `<!DOCTYPE Autodiscover SYSTEM "file://${file}">`)],
    ])('%s', async (_name, makeBody) => {
      const res = await post(server, makeBody(secretFile));
      expect(poxErrorCode(res)).toBe('600');
      expect(res.body).not.toContain('do-not-leak');
    });
  });

  test('a DOCTYPE alone, around an otherwise valid request', async () => {
    expect(poxErrorCode(await post(server, poxRequestXml('fred@example.com', '<!DOCTYPE Autodiscover>')))).toBe('600');
    // The same request without it gets settings, so the DOCTYPE is what was refused.
    expect(expectPoxAnswer(await post(server, poxRequestXml('fred@example.com')))).toBe('settings');
  });
});

test('9 000-deep nesting (as deep as the largest body allows) is answered, not a stack overflow', async () => {
  const depth = 9_000;
  const nested = `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`;
  expect(poxErrorCode(await post(largeBodies, poxRequestXml(`fred@example.com</EMailAddress>${nested}<EMailAddress>`)))).toBe('600');
  expect(poxErrorCode(await post(largeBodies, `<Autodiscover>${nested}</Autodiscover>`))).toBe('600');
  // Unclosed, so that a reader building the tree sees it at full depth.
  expect(poxErrorCode(await post(largeBodies, '<a>'.repeat(depth)))).toBe('600');
});

describe('a 10 MB body', () => {
  const TEN_MB = 10 * 1024 * 1024;

  test('is refused from its Content-Length alone: 413 before the body is sent, and the connection closed', async () => {
    const head = `POST ${POX} HTTP/1.1\r\nHost: ${POX_HOST}\r\nContent-Type: text/xml\r\nContent-Length: ${TEN_MB}\r\n\r\n<Autodiscover>`;
    const exchange = await rawExchange(server.port, head);
    expect(exchange.responses.map((res) => [res.status, res.body])).toEqual([[413, 'Request body too large\n']]);
    expect(exchange.closedByServer).toBe(true);
  });

  test('sent chunked (no length to judge by) is refused with 413 once it passes the limit', async () => {
    const exchange = await rawExchange(largeBodies.port, (socket) => {
      socket.write(`POST ${POX} HTTP/1.1\r\nHost: ${POX_HOST}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      const sendAll = (remaining: number): void => {
        if (socket.destroyed) return;
        if (remaining <= 0) {
          socket.write('0\r\n\r\n');
          return;
        }
        if (socket.write(frame)) sendAll(remaining - chunk.length);
        else socket.once('drain', () => sendAll(remaining - chunk.length));
      };
      sendAll(TEN_MB);
    }, { timeoutMs: 10_000, responses: 1 });
    expect(exchange.responses[0]?.status).toBe(413);
  });
});

test('a body that is not UTF-8 is an invalid request', async () => {
  const latin1 = Buffer.from(poxRequestXml('jürgen@example.com'), 'latin1');
  expect(poxErrorCode(await post(server, latin1))).toBe('600');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(poxRequestXml('fred@example.com'), 'utf16le')]);
  expect(poxErrorCode(await post(server, utf16))).toBe('600');
  const overlong = Buffer.concat([Buffer.from(poxRequestXml('fred@example.com').slice(0, 100)), Buffer.from([0xc0, 0xaf])]);
  expect(poxErrorCode(await post(server, overlong))).toBe('600');
});

describe('a Content-Length that lies', () => {
  test('longer than the body: the request timeout answers 408 and closes the connection', async () => {
    const body = poxRequestXml('fred@example.com');
    const request = `POST ${POX} HTTP/1.1\r\nHost: ${POX_HOST}\r\nContent-Length: ${body.length + 100}\r\n\r\n${body}`;
    const exchange = await rawExchange(server.port, request, { timeoutMs: 5_000 });
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.responses.map((res) => res.status)).toEqual([408]);
  });

  test('shorter than the body: the rest is read as a malformed next request, 400 and the connection closed', async () => {
    const body = poxRequestXml('fred@example.com');
    const request = `POST ${POX} HTTP/1.1\r\nHost: ${POX_HOST}\r\nContent-Length: 40\r\n\r\n${body}`;
    const exchange = await rawExchange(server.port, request);
    expect(exchange.closedByServer).toBe(true);
    // Node's parser refuses the leftover at once and closes; the truncated first request
    // may or may not have been answered (with 600) by then.
    const last = exchange.responses.pop();
    expect(last?.status).toBe(400);
    for (const truncated of exchange.responses) expect(poxErrorCode(truncated)).toBe('600');
  });

  test.each([
    ['together with Transfer-Encoding (request smuggling)', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'],
    ['not a number', 'Content-Length: abc\r\n'],
    ['negative', 'Content-Length: -1\r\n'],
    ['given twice with different values', 'Content-Length: 5\r\nContent-Length: 6\r\n'],
  ])('%s: 400 and the connection closed', async (_name, headers) => {
    const exchange = await rawExchange(server.port, `POST ${POX} HTTP/1.1\r\nHost: ${POX_HOST}\r\n${headers}\r\n0\r\n\r\nhello`);
    expect(exchange.responses.map((res) => res.status)).toEqual([400]);
    expect(exchange.closedByServer).toBe(true);
  });
});

describe('header injection through the address', () => {
  const INJECTED = 'a@b.com%0d%0aSet-Cookie:%20stolen=1';

  test.each([
    ['Mozilla autoconfig', `/mail/config-v1.1.xml?emailaddress=${INJECTED}`, expectMozillaAnswer],
    ['autodiscover v2 (path)', `/autodiscover/autodiscover.json/v1.0/${INJECTED}?Protocol=AutodiscoverV1`, expectV2Answer],
    ['autodiscover v2 (query)', `/autodiscover/autodiscover.json?Protocol=AutodiscoverV1&Email=${INJECTED}`, expectV2Answer],
  ])('%s: refused as a bad address, no header added', async (_name, target, expectAnswer) => {
    const res = await rawRequest(server.port, rawGet(target, 'autoconfig.example.com'));
    expectAnswer(res);
    expect(res.status).toBe(400);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).not.toContain('stolen');
  });

  test('autodiscover POX: CR/LF in the address is an invalid request', async () => {
    const res = await post(server, poxRequestXml('a@b.com&#13;&#10;Set-Cookie: stolen=1'));
    expect(poxErrorCode(res)).toBe('600');
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('XML injection through the address', () => {
  test('Mozilla autoconfig: `"<x>&` is a bad address and is not reflected', async () => {
    const res = await rawRequest(server.port, rawGet(`/mail/config-v1.1.xml?emailaddress=%22%3Cx%3E%26@example.com`, 'x'));
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('<x>');
  });

  test('autodiscover POX: `"<x>&` is a bad address, and a valid address with & and \' comes back escaped', async () => {
    expect(poxErrorCode(await post(server, poxRequestXml('&quot;&lt;x&gt;&amp;@example.com')))).toBe('600');
    const res = await post(server, poxRequestXml("o&amp;'brien@example.com"));
    expect(expectPoxAnswer(res)).toBe('settings');
    expect(res.body).not.toContain("o&'brien");
    for (const protocol of parseXml(res.body).Autodiscover.Response.Account.Protocol) expect(protocol.LoginName).toBe("o&'brien@example.com");
  });
});

describe('path traversal', () => {
  test.each([
    '/mail/../../../etc/passwd',
    '/mail/config-v1.1.xml/../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/.well-known/autoconfig/mail/..%2f..%2f..%2fetc%2fpasswd',
    '/..%5c..%5c..%5cwindows%5cwin.ini',
    '/config/providers/example.yaml',
    '/../config/providers/example.yaml',
    '/autodiscover/autodiscover.json/v1.0/..%2F..%2F..%2Fetc%2Fpasswd?Protocol=AutodiscoverV1',
    '/autodiscover/autodiscover.json/v1.0/../../etc/passwd?Protocol=AutodiscoverV1',
  ])('%s is not found or a bad address, never a file', async (target) => {
    const res = await rawRequest(server.port, rawGet(target, 'autoconfig.example.com'));
    expect([400, 404]).toContain(res.status);
    expect(res.body).not.toMatch(/root:|displayName:/);
  });
});

test('a 10 KB Host header is answered as an unknown host', async () => {
  const host = `autoconfig.${'a'.repeat(10 * 1024)}.example.com`;
  const send = (target: string) => rawRequest(server.port, rawGet(target, host));
  expect((await send('/mail/config-v1.1.xml')).status).toBe(404);
  // The address still names the domain.
  const byAddress = await send('/mail/config-v1.1.xml?emailaddress=fred@example.com');
  expectMozillaAnswer(byAddress);
  expect(byAddress.status).toBe(200);
  expect(poxErrorCode(await send(POX))).toBe('600');
  const pointer = await send('/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1');
  expectV2Answer(pointer);
  expect(JSON.parse(pointer.body).Url).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
});

describe('unknown and unexpected HTTP methods', () => {
  const paths = ['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml', POX, '/healthz'];

  test.each(['PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL'])('%s on an endpoint: 405 with Allow', async (method) => {
    for (const target of paths) {
      const res = await rawRequest(server.port, `${method} ${target} HTTP/1.1\r\nHost: ${POX_HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toMatch(/^GET, HEAD/);
      // TRACE must not echo the request (cross-site tracing).
      expect(res.body).toBe('Method not allowed\n');
    }
  });

  test('OPTIONS on every path that is served: 204 with the methods it serves, and nothing else', async () => {
    const served: Record<string, string> = {
      '/mail/config-v1.1.xml': 'GET, HEAD',
      '/.well-known/mail-v1.xml': 'GET, HEAD',
      [POX]: 'GET, HEAD, POST',
      '/autodiscover/autodiscover.json': 'GET, HEAD',
      '/autodiscover/autodiscover.json/v1.0/fred@example.com': 'GET, HEAD',
      '/mobileconfig': 'GET, HEAD',
      '/fred.mobileconfig': 'GET, HEAD',
      '/.well-known/user-agent-configuration.json': 'GET, HEAD',
      '/': 'GET, HEAD',
      '/setup': 'GET, HEAD',
      '/healthz': 'GET, HEAD',
      '/metrics': 'GET, HEAD',
    };
    for (const [target, allow] of Object.entries(served)) {
      const res = await rawRequest(server.port, `OPTIONS ${target} HTTP/1.1\r\nHost: ${POX_HOST}\r\nConnection: close\r\n\r\n`);
      expect({ target, status: res.status, allow: res.headers.allow, body: res.body, length: res.headers['content-length'] }).toEqual({
        target,
        status: 204,
        allow,
        body: '',
        length: undefined,
      });
    }
    // A path nothing serves has no methods to list.
    expect((await rawRequest(server.port, `OPTIONS /wp-login.php HTTP/1.1\r\nHost: ${POX_HOST}\r\nConnection: close\r\n\r\n`)).status).toBe(404);
  });

  test("a browser's preflight is granted where any origin may read the document, and only there", async () => {
    const preflight = (target: string, host: string) =>
      rawRequest(
        server.port,
        `OPTIONS ${target} HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://webmail.example.net\r\n` +
          `Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-client-version\r\nConnection: close\r\n\r\n`,
      );
    for (const [target, host] of [
      ['/mail/config-v1.1.xml', 'autoconfig.example.com'],
      ['/.well-known/autoconfig/mail/config-v1.1.xml', 'example.com'],
      ['/.well-known/user-agent-configuration.json', 'ua-auto-config.example.com'],
    ]) {
      const res = await preflight(target!, host!);
      expect({ target, status: res.status, origin: res.headers['access-control-allow-origin'], methods: res.headers['access-control-allow-methods'], headers: res.headers['access-control-allow-headers'] }).toEqual({
        target,
        status: 204,
        origin: '*',
        methods: 'GET, HEAD',
        headers: '*',
      });
      // ...and the document itself says the same origin may read it.
      const got = await rawRequest(server.port, rawGet(`${target}?emailaddress=fred@example.com`, host!));
      expect([got.status, got.headers['access-control-allow-origin']]).toEqual([200, '*']);
    }
    for (const target of [POX, '/mobileconfig', '/healthz']) {
      const res = await preflight(target, POX_HOST);
      expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, undefined]);
    }
  });

  test('the v2 JSON paths refuse other methods like every other endpoint', async () => {
    for (const target of ['/autodiscover/autodiscover.json', '/autodiscover/autodiscover.json/v1.0/fred@example.com']) {
      const res = await rawRequest(server.port, `DELETE ${target} HTTP/1.1\r\nHost: ${POX_HOST}\r\nConnection: close\r\n\r\n`);
      expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD']);
    }
  });

  test('a method HTTP does not define: 400 and the connection closed', async () => {
    const exchange = await rawExchange(server.port, `FROBNICATE /mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(exchange.responses.map((res) => res.status)).toEqual([400]);
    expect(exchange.closedByServer).toBe(true);
  });

  test('CONNECT (a proxy request) is closed without tunnelling anywhere', async () => {
    const exchange = await rawExchange(server.port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`);
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.responses.every((res) => res.status !== 200)).toBe(true);
  });
});
