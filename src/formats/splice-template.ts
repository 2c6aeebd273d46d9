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
  const slots = pieces.filter((_, index) => index % 2 === 1).map((number) => names[Number(number)]!);
  return (values) => {
    const chunks: Buffer[] = [texts[0]!];
    for (let index = 0; index < slots.length; index += 1) chunks.push(Buffer.from(escapeXmlText(values[slots[index]!]), 'utf8'), texts[index + 1]!);
    return Buffer.concat(chunks);
  };
}
