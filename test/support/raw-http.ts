/**
 * Test tools for hostile traffic: a real listening server on loopback, and a raw-socket
 * client that sends exactly the bytes it is given (Node's own client refuses or rewrites
 * CR/LF, NUL, bad Content-Lengths and unknown methods) and reads every response the
 * server writes back before the connection ends.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { loadProviderDirectory } from '../../src/config/load';
import { NAMESPACES } from '../../src/formats/outlook/pox';
import { defaultSettings, type SettingsInput } from '../../src/config/settings';
import { startServer, type RunningServer } from '../../src/server';
import { SHIPPED_CONFIG } from './app';

export interface TestServer {
  readonly running: RunningServer;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The real server (timeouts, reloads, limits and all) on an ephemeral loopback port.
 * Rate limiting and directory watching are off unless a test asks for them.
 */
export async function startTestServer(
  overrides: Partial<SettingsInput> & { configDir?: string } = {},
  logger: Logger = pino({ level: 'silent' }),
): Promise<TestServer> {
  const settings = defaultSettings({
    configDir: SHIPPED_CONFIG,
    port: 0,
    host: '127.0.0.1',
    rateLimitRequests: 0,
    metricsOnMainPort: true,
    watchConfig: false,
    shutdownGraceMs: 2_000,
    ...overrides,
  });
  const running = await startServer(settings, { providerDirectory: await loadProviderDirectory(settings.configDir), signing: undefined }, logger);
  return { running, port: (running.server.address() as AddressInfo).port, close: () => running.close() };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawExchange {
  /** Every complete response, in order. */
  readonly responses: RawResponse[];
  /** Whether the server ended the connection (rather than the client giving up). */
  readonly closedByServer: boolean;
  /** Milliseconds from connecting to the end of the exchange. */
  readonly elapsedMs: number;
}

export interface RawOptions {
  /** Give up (and close) this long after connecting; the exchange then has closedByServer false. */
  readonly timeoutMs?: number;
  /** Stop once this many responses have arrived instead of waiting for the server to close. */
  readonly responses?: number;
}

/** Opens a connection, writes `payload` (or lets `drive` write over time), collects responses. */
export function rawExchange(
  port: number,
  payload: string | Buffer | ((socket: Socket) => void),
  { timeoutMs = 5_000, responses: wanted }: RawOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve({ responses: parseResponses(Buffer.concat(chunks)), closedByServer, elapsedMs: Date.now() - started });
      } catch (error) {
        reject(error as Error);
      }
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (wanted !== undefined && completeResponses(Buffer.concat(chunks)) >= wanted) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    // A reset after the server answered and closed is still a server close.
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      if (typeof payload === 'function') payload(socket);
      else socket.write(payload);
    });
  });
}

/** Sends one request and returns its response; fails the test if there is none. */
export async function rawRequest(port: number, payload: string | Buffer, options: RawOptions = {}): Promise<RawResponse> {
  const { responses } = await rawExchange(port, payload, { responses: 1, ...options });
  const [first] = responses;
  if (!first) throw new Error(`no response to ${JSON.stringify(payload.toString().slice(0, 200))}`);
  return first;
}

/** A GET as a mail client would send it, with the target and Host given verbatim. */
export function rawGet(target: string, host: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extraHeaders}Connection: close\r\n\r\n`;
}

export function rawPost(target: string, host: string, body: Buffer | string, extraHeaders = ''): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const head = `POST ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/xml\r\nContent-Length: ${bytes.length}\r\n${extraHeaders}Connection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/**
 * An Outlook POX request as Outlook sends it. `emailAddressXml` goes in as written (so
 * tests can put entities and markup there); `prolog` goes before the root element.
 */
export function poxRequestXml(emailAddressXml: string, prolog = ''): string {
  return (
    `${prolog}<Autodiscover xmlns="${NAMESPACES.outlookRequest}"><Request>` +
    `<EMailAddress>${emailAddressXml}</EMailAddress>` +
    `<AcceptableResponseSchema>${NAMESPACES.outlookResponse}</AcceptableResponseSchema>` +
    `</Request></Autodiscover>`
  );
}

function completeResponses(data: Buffer): number {
  try {
    return parseResponses(data).length;
  } catch {
    return 0;
  }
}

/** Parses back-to-back HTTP/1.1 responses (Content-Length framed, or ended by the close). */
export function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd === -1) break;
    const [statusLine = '', ...headerLines] = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed response header: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    const bodyStart = headEnd + 4;
    const length = headers['content-length'] === undefined ? data.length - bodyStart : Number(headers['content-length']);
    if (bodyStart + length > data.length) break;
    responses.push({ status: Number(match[1]), headers, body: data.subarray(bodyStart, bodyStart + length).toString('utf8') });
    offset = bodyStart + length;
  }
  return responses;
}
