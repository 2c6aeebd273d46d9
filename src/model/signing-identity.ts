/** Who signs Apple profiles: read from files by config/signing.ts, used by the CMS writer. */
import type { webcrypto } from 'node:crypto';

export interface SigningIdentity {
  /** DER of the signer's certificate. */
  readonly certificate: Uint8Array;
  /** DER of the intermediates, signer's issuer first; sent along so devices can build the path. */
  readonly chain: readonly Uint8Array[];
  readonly privateKey: webcrypto.CryptoKey;
  /** The signer's subject and when it expires (ISO 8601), for the log. */
  readonly subject: string;
  readonly expires: string;
}
