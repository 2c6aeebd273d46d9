/**
 * Test helpers for the Apple, PACC and autoconfig 1.2 tests: the real app on providers
 * written in the test, a real plist parser (CPython's plistlib, strict XML via expat,
 * independent of our writer) (fixtures are read by ./client-requests).
 */
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import type { SigningIdentity } from '../../src/config/signing';
import { defaultSettings } from '../../src/config/settings';
import { createApp } from '../../src/http/app';
import { providerSchema, type ProviderInput } from '../../src/model/provider';
import { Registry } from '../../src/registry';

// The shared test helpers, re-exported so the tests of this work import them in one place.
export { SHIPPED_CONFIG, shippedApp } from './app';

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
