/**
 * Test helpers for the Apple, PACC and autoconfig 1.2 tests: the real app on providers
 * written in the test, a real plist parser (CPython's plistlib, strict XML via expat,
 * independent of our writer) and a reader for the `.http` fixtures in ../shared.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { SigningIdentity } from '../src/config/signing';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { providerSchema, type ProviderInput } from '../src/model/provider';
import { Registry } from '../src/registry';
import { SHARED } from './helpers';

// The shared test helpers, re-exported so the tests of this work import them in one place.
export { SHIPPED_CONFIG, shippedApp } from './helpers';

/** The real app serving `providers`, validated exactly as provider files are. */
export function appWithProviders(providers: ProviderInput[], signing?: SigningIdentity) {
  const registry = new Registry(providers.map((input, index) => ({ definition: providerSchema.parse(input), file: `test-${index}` })));
  return createApp({ registry, settings: defaultSettings(), signing });
}

/** A supertest body parser that keeps the bytes: profiles are binary when signed, and hashed. */
export function binaryBody(res: any, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** GET `target` with the Host a Safari download would send; the body as a Buffer. */
export function download(app: Parameters<typeof request>[0], target: string, host = 'autoconfig.example.com') {
  return request(app).get(target).set('Host', host).buffer(true).parse(binaryBody);
}

// Several documents per call: starting Python dominates the cost of a check.
const PLISTLIB = [
  'import base64, json, plistlib, sys',
  'documents = json.load(sys.stdin)',
  'values = [plistlib.loads(base64.b64decode(document), fmt=plistlib.FMT_XML) for document in documents]',
  'sys.stdout.write(json.dumps(values, ensure_ascii=False))',
].join('\n');

/** Parses XML plists with plistlib; throws with Python's message when one is not a plist. */
export function parsePlists(documents: readonly (Buffer | string)[]): any[] {
  const input = JSON.stringify(documents.map((document) => Buffer.from(document).toString('base64')));
  return JSON.parse(execFileSync('python3', ['-c', PLISTLIB], { input, encoding: 'utf8' })) as any[];
}

export function parsePlist(document: Buffer | string): any {
  return parsePlists([document])[0];
}

export interface FixtureRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Reads a fixture under ../shared/fixtures/client-requests (request line, headers, CRLF CRLF, body). */
export function readFixture(name: string): FixtureRequest {
  const raw = readFileSync(path.join(SHARED, 'fixtures', 'client-requests', name));
  let split = raw.indexOf('\r\n\r\n');
  let separator = 4;
  if (split === -1) [split, separator] = [raw.indexOf('\n\n'), 2];
  const head = raw.subarray(0, split === -1 ? raw.length : split).toString('utf8');
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const [method = '', target = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, target, headers, body: split === -1 ? Buffer.alloc(0) : raw.subarray(split + separator) };
}
