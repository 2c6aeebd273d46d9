/**
 * Verifies a signed Apple profile (CMS SignedData, DER) the way a device does, written for
 * the tests and independent of the signing code under test and of its ASN.1 library: a
 * small DER reader walks the structure, and node:crypto checks it. The content's SHA-256
 * must equal the messageDigest signed attribute, the signature must verify over the DER of
 * the signed attributes (re-tagged as SET) with the signer certificate's key, and the
 * signer certificate must chain, through certificates inside the profile, to the one
 * trusted root, each certificate valid now and each issuer a CA.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
} as const;

/** One DER element: its tag byte, its whole encoding and its contents. */
interface Der {
  readonly tag: number;
  readonly encoded: Buffer;
  readonly contents: Buffer;
}

function readDer(bytes: Buffer, offset = 0): Der {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not used in CMS');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('an indefinite or oversized length is not DER');
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + (bytes[start + index] ?? NaN);
    start += count;
  }
  if (!Number.isInteger(length) || start + length > bytes.length) throw new Error('truncated DER');
  return { tag, encoded: bytes.subarray(offset, start + length), contents: bytes.subarray(start, start + length) };
}

/** The elements inside a constructed one (SEQUENCE, SET, [n]). */
function children(element: Der): Der[] {
  if ((element.tag & 0x20) === 0) throw new Error(`tag 0x${element.tag.toString(16)} is not constructed`);
  const items: Der[] = [];
  for (let offset = 0; offset < element.contents.length; ) {
    const item = readDer(element.contents, offset);
    items.push(item);
    offset += item.encoded.length;
  }
  return items;
}

function expectTag(element: Der | undefined, tag: number, what: string): Der {
  if (element?.tag !== tag) throw new Error(`${what}: expected tag 0x${tag.toString(16)}, got ${element ? `0x${element.tag.toString(16)}` : 'nothing'}`);
  return element;
}

function oid(element: Der | undefined, what: string): string {
  const bytes = expectTag(element, 0x06, what).contents;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0]! / 40), 2);
  return [first, arcs[0]! - first * 40, ...arcs.slice(1)].join('.');
}

/**
 * An OCTET STRING's bytes, also in BER's constructed form (a run of primitive pieces),
 * which CMS allows for the content and which PKIjs writes for content over 1000 bytes.
 */
function octets(element: Der | undefined, what: string): Buffer {
  if (element?.tag === 0x24) return Buffer.concat(children(element).map((piece) => expectTag(piece, 0x04, `${what} piece`).contents));
  return Buffer.from(expectTag(element, 0x04, what).contents);
}

/** The issuer and serial number as they are encoded in a certificate, to find the signer by its sid. */
function issuerAndSerial(certificate: X509Certificate): Buffer {
  const tbs = children(children(readDer(certificate.raw))[0]!);
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  return Buffer.concat([fields[2]!.encoded, fields[0]!.encoded]);
}

export interface CmsVerification {
  /** Whether every check passed; `problem` says which failed first. */
  readonly ok: boolean;
  readonly problem: string;
  readonly contentType: string;
  readonly digestAlgorithms: string[];
  readonly encapsulatedContentType: string;
  /** The profile inside the signature. */
  readonly content: Buffer;
  readonly certificates: X509Certificate[];
  readonly signer: X509Certificate | undefined;
  /** The chain that was built, signer first, ending at the trusted root (when it was found). */
  readonly path: X509Certificate[];
}

/** Checks a signed profile against one trusted root; throws only on bytes that are not CMS at all. */
export function verifySignedProfile(der: Buffer, trustedRoot: X509Certificate, now = new Date()): CmsVerification {
  const contentInfo = children(expectTag(readDer(der), 0x30, 'ContentInfo'));
  if (readDer(der).encoded.length !== der.length) throw new Error('bytes after the ContentInfo');
  const contentType = oid(contentInfo[0], 'contentType');
  const signedData = children(expectTag(children(expectTag(contentInfo[1], 0xa0, 'content'))[0], 0x30, 'SignedData'));
  const [, digestSet, encapsulated, ...rest] = signedData;
  const digestAlgorithms = children(expectTag(digestSet, 0x31, 'digestAlgorithms')).map((algorithm) => oid(children(algorithm)[0], 'digestAlgorithm'));
  const [eContentType, eContentWrapper] = children(expectTag(encapsulated, 0x30, 'encapContentInfo'));
  const encapsulatedContentType = oid(eContentType, 'eContentType');
  const content = octets(children(expectTag(eContentWrapper, 0xa0, 'eContent'))[0], 'eContent');
  const certificates = rest[0]?.tag === 0xa0 ? children(rest[0]).map((certificate) => new X509Certificate(certificate.encoded)) : [];
  const signerInfos = children(expectTag(rest.at(-1), 0x31, 'signerInfos'));
  const result = { contentType, digestAlgorithms, encapsulatedContentType, content, certificates, signer: undefined, path: [] };
  const fail = (problem: string, found: Partial<CmsVerification> = {}): CmsVerification => ({ ...result, ...found, ok: false, problem });

  if (contentType !== OID.signedData) return fail(`content type ${contentType} is not signedData`);
  if (signerInfos.length !== 1) return fail(`${signerInfos.length} signers; a profile has one`);
  const [, sid, digestAlgorithm, signedAttributes, signatureAlgorithm, signature] = children(signerInfos[0]!);
  if (oid(children(expectTag(digestAlgorithm, 0x30, 'digestAlgorithm'))[0], 'digestAlgorithm') !== OID.sha256) return fail('the signer digest is not SHA-256');
  const signer = certificates.find((certificate) => issuerAndSerial(certificate).equals(expectTag(sid, 0x30, 'sid').contents));
  if (!signer) return fail('the signer certificate is not in the profile');

  // The signed attributes: the digest of the content and its type.
  const attributes = new Map(
    children(expectTag(signedAttributes, 0xa0, 'signedAttrs')).map((attribute) => {
      const [type, values] = children(attribute);
      return [oid(type, 'attribute type'), children(expectTag(values, 0x31, 'attribute values'))] as const;
    }),
  );
  const digest = attributes.get(OID.messageDigest)?.[0];
  if (digest?.tag !== 0x04) return fail('no messageDigest signed attribute', { signer });
  if (oid(attributes.get(OID.contentType)?.[0], 'contentType attribute') !== encapsulatedContentType) return fail('the contentType attribute differs from the content', { signer });
  if (!digest.contents.equals(createHash('sha256').update(content).digest())) return fail('message digest does not match the content', { signer });

  // The signature covers the signed attributes as a SET (tag 0x31), not as the [0] they are sent as.
  const signedBytes = Buffer.from(signedAttributes!.encoded);
  signedBytes[0] = 0x31;
  const algorithm = oid(children(expectTag(signatureAlgorithm, 0x30, 'signatureAlgorithm'))[0], 'signatureAlgorithm');
  const keyType = signer.publicKey.asymmetricKeyType;
  const fits = keyType === 'rsa' ? algorithm === OID.rsaEncryption || algorithm === OID.sha256WithRSA : keyType === 'ec' && algorithm === OID.ecdsaWithSHA256;
  if (!fits) return fail(`signature algorithm ${algorithm} does not fit a ${keyType} key`, { signer });
  if (!verify('sha256', signedBytes, signer.publicKey, expectTag(signature, 0x04, 'signature').contents)) return fail('signature does not verify', { signer });

  // The chain: each certificate's issuer among the profile's certificates, up to the trusted root.
  const path = [signer];
  for (let current = signer; ; ) {
    if (now < new Date(current.validFrom) || now > new Date(current.validTo)) return fail(`certificate ${current.subject} is not valid now`, { signer, path });
    if (current.checkIssued(trustedRoot) && current.verify(trustedRoot.publicKey)) {
      path.push(trustedRoot);
      break;
    }
    const issuer = certificates.find((candidate) => candidate !== current && !path.includes(candidate) && current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (!issuer) return fail(`unable to get the issuer certificate of ${current.subject}`, { signer, path });
    if (!issuer.ca) return fail(`issuer ${issuer.subject} is not a CA`, { signer, path });
    path.push(issuer);
    current = issuer;
  }
  if (now < new Date(trustedRoot.validFrom) || now > new Date(trustedRoot.validTo)) return fail('the trusted root is not valid now', { signer, path });
  return { ...result, ok: true, problem: '', signer, path };
}
