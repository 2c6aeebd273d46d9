/**
 * Test helpers for the Apple, PACC and autoconfig 1.2 tests: the real app on providers
 * written in the test, and a strict plist reader independent of our writer (fixtures are
 * read by ./client-requests).
 */
import request from 'supertest';
import type { SigningIdentity } from '../../src/model/signing-identity';
import { defaultSettings } from '../../src/config/settings';
import { createApp } from '../../src/http/app';
import { providerSchema, type ProviderInput } from '../../src/model/provider';
import { hostedProvider } from '../../src/config/hosted-providers';
import { ProviderDirectory } from '../../src/model/provider-directory';
import { readPlist } from './plist-reader';

// The shared test helpers, re-exported so the tests of this work import them in one place.
export { SHIPPED_CONFIG, shippedApp } from './app';

/** The real app serving `providers`, validated exactly as provider files are. */
export function appWithProviders(providers: ProviderInput[], signing?: SigningIdentity) {
  const providerDirectory = new ProviderDirectory(providers.map((input, index) => hostedProvider({ definition: providerSchema.parse(input), file: `test-${index}` })));
  return createApp({ providerDirectory, settings: defaultSettings(), signing });
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

/** Parses an XML plist strictly (see ./plist-reader); throws, saying where, when it is not one. */
export function parsePlist(document: Buffer | string): any {
  return readPlist(document);
}

/** parsePlist for several documents at once. */
export function parsePlists(documents: readonly (Buffer | string)[]): any[] {
  return documents.map((document) => readPlist(document));
}
