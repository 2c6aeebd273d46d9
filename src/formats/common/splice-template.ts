/**
 * Documents that differ between requests only in a few text values (an address, its parts,
 * identifiers made from it), rendered once and spliced per request. Building an XML tree
 * per request costs far more than answering it otherwise, so the document is rendered once
 * with markers in place of those values and split at the markers; each request joins the
 * pieces (kept as UTF-8 bytes) with its own values, escaped as the XML builder escapes
 * text (escapeXmlText, xml.ts). Property tests check that spliced documents equal
 * rendered ones (test/pox-template, test/apple-template).
 */
import { escapeXmlText } from './xml';

/** The document for one request's values, as bytes. */
export type Splicer<Name extends string> = (values: Readonly<Record<Name, string>>) => Buffer;

// Private-use characters: no configuration or builder produces them, and the builder
// leaves them as they are.
const MARKER = /\uE000(\d+)\uE000/;

/**
 * Renders `render` once with a marker for each of `names` and returns the splicer, or
 * undefined when `render` makes no document.
 */
export function spliceTemplate<Name extends string>(
  names: readonly Name[],
  render: (markers: Readonly<Record<Name, string>>) => string | undefined,
): Splicer<Name> | undefined {
  const markers = Object.fromEntries(names.map((name, index) => [name, `\uE000${index}\uE000`])) as Record<Name, string>;
  const document = render(markers);
  if (document === undefined) return undefined;
  // split() with a capturing group alternates text and marker numbers.
  const pieces = document.split(MARKER);
  const texts = pieces.filter((_, index) => index % 2 === 0).map((text) => Buffer.from(text, 'utf8'));
  // Each slot as the index of its name: a value is escaped once however often it appears.
  const slots = pieces.filter((_, index) => index % 2 === 1).map(Number);
  const textLength = texts.reduce((sum, text) => sum + text.length, 0);
  return (values) => {
    const escaped = names.map((name) => escapeXmlText(values[name]));
    let length = textLength;
    for (const slot of slots) length += Buffer.byteLength(escaped[slot]!, 'utf8');
    // One buffer of the final size, written in place: a buffer per value and a concat of
    // them all would allocate twice what the document needs.
    const document = Buffer.allocUnsafe(length);
    let offset = texts[0]!.copy(document, 0);
    for (let index = 0; index < slots.length; index += 1) {
      offset += document.write(escaped[slots[index]!]!, offset, 'utf8');
      offset += texts[index + 1]!.copy(document, offset);
    }
    // byteLength and write count alike (a lone surrogate is three bytes to both); should
    // they ever not, no uninitialised byte of the pool may go out.
    return offset === length ? document : document.subarray(0, offset);
  };
}
