/**
 * A strict scanner for the POX request shapes that Outlook, Thunderbird and other clients
 * actually send: an optional XML declaration, Autodiscover in the Outlook request
 * namespace, one Request with EMailAddress then AcceptableResponseSchema (the Outlook
 * response schema), white space between elements, nothing else. It reads the address
 * and schema with one anchored regular expression, without building a tree.
 *
 * It accepts a strict subset of what the full reader in pox.ts accepts: anything
 * else (other element orders, prefixes, comments, entities, CDATA, DTDs, non-ASCII
 * addresses, other encodings, other schemas) returns undefined and goes to fast-xml-parser.
 * test/pox-request-scanner.property.test.ts checks that whenever it accepts a body, the
 * full reader finds the same address and schema, and that hostile bodies never pass here.
 */

/** What the scanner read: the address as written (it contains nothing that needs decoding). */
export interface ScannedPoxRequest {
  readonly emailAddress: string;
}

/** The largest body worth scanning: the shapes above with the longest address are well under it. */
const MAX_SCANNED_BYTES = 2048;

const SPACE = '[ \\t\\r\\n]{0,64}';
const SCHEMAS = 'https?://schemas\\.microsoft\\.com/exchange/autodiscover/outlook';
// Printable ASCII an address may contain, without the XML specials < > & " ' and space:
// such an address reads the same as text in any XML parser.
const ADDRESS = "([A-Za-z0-9.!#$%*+/=?^_`{|}~@-]{3,320})";

const POX_REQUEST = new RegExp(
  '^' +
    SPACE +
    `(?:<\\?xml version="1\\.0"(?: encoding="(?:utf|UTF)-8")?\\?>${SPACE})?` +
    `<Autodiscover xmlns="${SCHEMAS}/requestschema/2006">${SPACE}` +
    `<Request>${SPACE}` +
    `<E[Mm]ailAddress>${ADDRESS}</E[Mm]ailAddress>${SPACE}` +
    `<AcceptableResponseSchema>${SCHEMAS}/responseschema/2006a</AcceptableResponseSchema>${SPACE}` +
    `</Request>${SPACE}` +
    `</Autodiscover>${SPACE}$`,
);

/** The address of a body in one of the usual shapes, or undefined when the full reader must decide. */
export function scanPoxRequest(body: Uint8Array): ScannedPoxRequest | undefined {
  if (body.length > MAX_SCANNED_BYTES) return undefined;
  // latin1 maps each byte to one character, so a non-ASCII byte can never match the
  // ASCII-only pattern: bodies that are not plain ASCII always go to the full reader.
  const text = Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1');
  const match = POX_REQUEST.exec(text.startsWith('\u00ef\u00bb\u00bf') ? text.slice(3) : text);
  return match ? { emailAddress: match[1]! } : undefined;
}
