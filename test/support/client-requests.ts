/**
 * The recorded client requests of ../shared/fixtures/client-requests: parsed from their
 * HTTP/1.1 wire form and replayed byte for byte against a listening server.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SHARED } from './app';

export const CLIENT_REQUESTS_DIR = path.join(SHARED, 'fixtures', 'client-requests');

export interface FixtureEntry {
  file: string;
  client: string;
  scheme: 'http' | 'https';
  method: string;
  url: string;
  expect: { status: string; contentType: string; format: string };
}

export interface RecordedRequest {
  method: string;
  /** The request target exactly as sent (raw `@`, `+`, percent escapes). */
  target: string;
  headers: [name: string, value: string][];
  body: Buffer;
}

export function fixtureIndex(): { address: string; fixtures: FixtureEntry[] } {
  return JSON.parse(readFileSync(path.join(CLIENT_REQUESTS_DIR, 'index.json'), 'utf8'));
}

export function readRecordedRequest(file: string): RecordedRequest {
  const bytes = readFileSync(path.join(CLIENT_REQUESTS_DIR, file));
  // The README allows editors to have rewritten CRLF as LF.
  let split = bytes.indexOf('\r\n\r\n');
  let separatorLength = 4;
  if (split === -1) {
    split = bytes.indexOf('\n\n');
    separatorLength = 2;
  }
  const head = bytes.subarray(0, split).toString('latin1').split(/\r?\n/);
  const [method = '', target = ''] = (head[0] ?? '').split(' ');
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  return { method, target, headers, body: bytes.subarray(split + separatorLength) };
}

export interface ReplayResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a recorded request to `server`. `scheme` becomes X-Forwarded-Proto, as the
 * TLS-terminating proxy in front of a real deployment would add it.
 */
export function replay(server: http.Server, request: RecordedRequest, scheme: 'http' | 'https'): Promise<ReplayResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.target,
        setHost: false,
        headers: [...request.headers.flat(), 'X-Forwarded-Proto', scheme, 'Connection', 'close'],
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
