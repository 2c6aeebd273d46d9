/**
 * Signed profiles are kept per profile content, so repeating a request does not sign
 * again: checked with an ECDSA signer, whose signatures differ every time they are made,
 * so identical bytes mean the signature was kept. A reload, a new signing identity, another
 * address, and a cache of 0 entries each give a fresh signature.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { loadSigningIdentity } from '../src/config/signing';
import type { SigningIdentity } from '../src/model/signing-identity';
import { createApp } from '../src/http/app';
import type { ProviderDirectory } from '../src/model/provider-directory';
import { verifySignedProfile } from './support/cms-verify';
import { download, SHIPPED_CONFIG } from './support/formats';
import { issue, writeIdentity, type TestIdentity } from './support/test-pki';

let dir: string;
let root: TestIdentity;
let first: SigningIdentity;
let second: SigningIdentity;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-signed-cache-'));
  root = await issue({ subject: 'CN=Cache Test Root', kind: 'ec', ca: true });
  for (const name of ['one', 'two']) writeIdentity(dir, name, await issue({ subject: `CN=${name}.example.com`, kind: 'ec', issuer: root, ca: false }));
  const identity = async (name: string) => (await loadSigningIdentity({ signingCert: path.join(dir, `${name}.pem`), signingKey: path.join(dir, `${name}.key`) }))!;
  [first, second] = [await identity('one'), await identity('two')];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profile = (app: Parameters<typeof download>[0], address = 'fred@example.com') =>
  download(app, `/email.mobileconfig?email=${encodeURIComponent(address)}`).expect(200).then((res) => res.body as Buffer);

function verified(der: Buffer, signerSubject: string) {
  const result = verifySignedProfile(der, new X509Certificate(root.certificatePem));
  expect(result.problem).toBe('');
  expect(result.signer?.subject).toBe(signerSubject);
  return result.content.toString('utf8');
}

test('a repeated request gets the signed bytes kept from the first; another address is signed anew', async () => {
  const app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings(), signing: first });
  const [once, again] = [await profile(app), await profile(app)];
  expect(again.equals(once)).toBe(true);
  expect(verified(again, 'CN=one.example.com')).toContain('fred@example.com');
  const other = await profile(app, 'wilma@example.com');
  expect(other.equals(once)).toBe(false);
  expect(verified(other, 'CN=one.example.com')).toContain('wilma@example.com');
});

test('a new signing identity or a reloaded configuration signs again', async () => {
  let providerDirectory: ProviderDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  let signing = first;
  const app = createApp({ providerDirectory: () => providerDirectory, settings: defaultSettings(), signing: () => signing });
  const before = await profile(app);
  signing = second;
  const newKey = await profile(app);
  expect(newKey.equals(before)).toBe(false);
  verified(newKey, 'CN=two.example.com');
  expect((await profile(app)).equals(newKey)).toBe(true);
  providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  const reloaded = await profile(app);
  expect(reloaded.equals(newKey)).toBe(false);
  verified(reloaded, 'CN=two.example.com');
});

test('with signedProfileCacheEntries 0 every request is signed', async () => {
  const app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ signedProfileCacheEntries: 0 }), signing: first });
  expect((await profile(app)).equals(await profile(app))).toBe(false);
});

test('the cache is bounded: past its size the oldest profile is signed again', async () => {
  const app = createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings: defaultSettings({ signedProfileCacheEntries: 2 }), signing: first });
  const fred = await profile(app);
  await profile(app, 'wilma@example.com');
  expect((await profile(app)).equals(fred)).toBe(true);
  await profile(app, 'barney@example.com');
  await profile(app, 'betty@example.com');
  expect((await profile(app)).equals(fred)).toBe(false);
});
