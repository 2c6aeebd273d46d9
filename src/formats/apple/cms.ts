/**
 * CMS (PKCS #7) SignedData for Apple profiles (docs/endpoints.md#profile-signing): DER, the profile
 * embedded (not detached), SHA-256, the signer's certificate and chain included, with the
 * signed attributes Apple's and OpenSSL's verifiers expect (content type, message digest,
 * signing time). Built with PKIjs over Node's WebCrypto, so RSA and ECDSA keys both work.
 */
import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SigningIdentity } from '../../model/signing-identity';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

// An engine of our own rather than PKIjs's global one: no module-level side effects.
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] });

export async function signCms(content: Uint8Array, identity: SigningIdentity, signingTime: Date = new Date()): Promise<Buffer> {
  const certificates = [identity.certificate, ...identity.chain].map((der) => pkijs.Certificate.fromBER(der));
  const signer = certificates[0]!;
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
            new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
            new pkijs.Attribute({
              type: OID.messageDigest,
              values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(content).digest() })],
            }),
          ],
        }),
      }),
    ],
    certificates,
  });
  await signedData.sign(identity.privateKey as unknown as Parameters<pkijs.SignedData['sign']>[0], 0, 'SHA-256', undefined, engine);
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}
