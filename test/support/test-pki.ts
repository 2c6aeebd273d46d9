/**
 * Throw-away certificates for the tests, made in JavaScript so that no test needs openssl:
 * keys from node:crypto's WebCrypto, certificates from @peculiar/x509, written as the PEM
 * files an admin would configure (PKCS #8 keys, as `openssl req -nodes` writes them).
 */
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 signs with whatever WebCrypto it is given; Node's is the one the app uses.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyKind = 'ec' | 'rsa';

const ALGORITHMS = {
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;

export interface TestIdentity {
  readonly kind: KeyKind;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
  /** The certificate as PEM, and the private key as unencrypted PKCS #8 PEM. */
  readonly certificatePem: string;
  readonly keyPem: string;
}

interface IssueOptions {
  readonly subject: string;
  readonly kind: KeyKind;
  /** The issuing CA; none for a self-signed root. */
  readonly issuer?: TestIdentity;
  readonly ca: boolean;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

const DAY = 24 * 60 * 60 * 1000;

/** A key pair and a certificate for it: a CA (certificate signing) or a leaf (digital signatures), valid for two days by default. */
export async function issue({ subject, kind, issuer, ca, notBefore, notAfter }: IssueOptions): Promise<TestIdentity> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS[kind], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signingKeys = issuer?.keys ?? keys;
  // A positive serial (high bit clear) of 64 random bits, as `openssl rand -hex 8` gave.
  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f;
  const extensions = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signingKeys.publicKey),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject,
    issuer: issuer?.certificate.subject ?? subject,
    notBefore: notBefore ?? new Date(Date.now() - 60_000),
    notAfter: notAfter ?? new Date(Date.now() + 2 * DAY),
    publicKey: keys.publicKey,
    signingKey: signingKeys.privateKey,
    signingAlgorithm: ALGORITHMS[issuer?.kind ?? kind],
    extensions,
  });
  return {
    kind,
    keys,
    certificate,
    certificatePem: certificate.toString('pem'),
    keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** Writes `<name>.pem` and `<name>.key` into `directory`. */
export function writeIdentity(directory: string, name: string, identity: TestIdentity): void {
  writeFileSync(`${directory}/${name}.pem`, identity.certificatePem);
  writeFileSync(`${directory}/${name}.key`, identity.keyPem);
}

/** The private key as PEM encrypted with a passphrase, which the app must refuse to load. */
export function encryptedKeyPem(identity: TestIdentity, passphrase: string): string {
  return KeyObject.from(identity.keys.privateKey).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}
