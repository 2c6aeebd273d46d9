/**
 * Loads the certificate, key and chain that Apple profiles are signed with, at start-up
 * and on every reload (a renewed certificate needs no restart), and checks them: an
 * unreadable file, a file that is not PEM, an encrypted key or a key that does not belong
 * to the certificate is a ConfigError naming the file, instead of a failure on the first
 * download. At start-up that stops the server; on a reload the last good identity stays.
 */
import { X509Certificate, createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors';
import type { SigningIdentity } from '../model/signing-identity';
import type { Settings } from './settings';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** WebCrypto names of the curves Node reports, for ECDSA keys. */
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

type SigningFiles = Pick<Settings, 'signingCert' | 'signingKey' | 'signingChain'>;

/** The files the settings name for signing: what a reload reads besides the config directory. */
export function signingFiles({ signingCert, signingKey, signingChain }: SigningFiles): string[] {
  return [signingCert, signingKey, signingChain].filter((file) => file !== undefined);
}

/** The identity named by the settings, or undefined when signing is not configured. */
export async function loadSigningIdentity(settings: SigningFiles): Promise<SigningIdentity | undefined> {
  const { signingCert, signingKey, signingChain } = settings;
  if (signingCert === undefined || signingKey === undefined) return undefined;

  // The certificate file may hold the whole chain (fullchain.pem): the first is the signer.
  const [signer, ...bundled] = await readCertificates(signingCert);
  const chain = signingChain === undefined ? [] : await readCertificates(signingChain);
  const key = parsePrivateKey(signingKey, await readText(signingKey));
  if (!signer!.checkPrivateKey(key)) {
    throw problem(signingKey, `this key does not belong to the certificate in ${signingCert}`);
  }
  return {
    certificate: signer!.raw,
    chain: [...bundled, ...chain].map((certificate) => certificate.raw),
    privateKey: await importSigningKey(signingKey, key),
    subject: signer!.subject,
    expires: new Date(signer!.validTo).toISOString(),
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw problem(file, `cannot read: ${(error as Error).message}`);
  }
}

async function readCertificates(file: string): Promise<X509Certificate[]> {
  const blocks = (await readText(file)).match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw problem(file, 'no PEM certificate (-----BEGIN CERTIFICATE-----) found');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw problem(file, `certificate ${index + 1} is not valid: ${(error as Error).message}`);
    }
  });
}

function parsePrivateKey(file: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw problem(file, `not an unencrypted PEM private key: ${(error as Error).message}`);
  }
}

async function importSigningKey(file: string, key: KeyObject): Promise<webcrypto.CryptoKey> {
  const algorithm =
    key.asymmetricKeyType === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : key.asymmetricKeyType === 'ec'
        ? { name: 'ECDSA', namedCurve: CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? '' }
        : undefined;
  if (algorithm === undefined || ('namedCurve' in algorithm && algorithm.namedCurve === '')) {
    throw problem(file, `unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (use RSA or ECDSA P-256/P-384/P-521)`);
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
}

function problem(file: string, message: string): ConfigError {
  return new ConfigError([{ file, field: '', message }]);
}
