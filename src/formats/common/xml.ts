/**
 * The one place where XML is written and where untrusted XML is decoded. Documents are
 * built as trees and serialised by fast-xml-parser's builder, which escapes every text
 * and attribute value, so nothing a client sends can change a document's structure.
 */
import { XMLBuilder } from 'fast-xml-parser';

/** Attribute keys in element trees start with this prefix: `{ '@_type': 'imap' }`. */
export const ATTRIBUTE = '@_';
/** The text of an element that also has attributes: `{ '@_lang': 'en', '#text': '...' }`. */
export const TEXT = '#text';

export type XmlTree = { [name: string]: XmlValue };
export type XmlValue = string | number | boolean | undefined | XmlTree | XmlValue[];

/**
 * How every document is written: escaped by escapeXmlText (the builder's own entity
 * replacement is off, so there is one escaping rule), indented by two spaces, empty
 * elements self-closed.
 */
export const BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE,
  textNodeName: TEXT,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: escapeBuilderValue,
  attributeValueProcessor: escapeBuilderValue,
} as const;

// The builder hands over numbers of plist integers as they are; only text needs escaping.
function escapeBuilderValue(_name: string, value: unknown): unknown {
  return typeof value === 'string' ? escapeXmlText(value) : value;
}

const builder = new XMLBuilder(BUILDER_OPTIONS);

/** A complete UTF-8 XML document (declaration, no byte-order mark) from an element tree. */
export function renderXml(tree: XmlTree): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(tree) as string}`;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// Every character with a predefined entity is written as that entity (in attribute values
// too, so quotes are safe there).
const ENTITY_OF: Record<string, string> = Object.fromEntries(Object.entries(PREDEFINED).map(([name, char]) => [char, `&${name};`]));
// Characters outside XML 1.0's Char production (controls but tab, CR and LF; lone
// surrogates; U+FFFE and U+FFFF) cannot appear in a document, not even as references.
// Input validation keeps them out; should one get this far, it becomes U+FFFD rather than
// a document no client can parse.
const NEEDS_ESCAPING = /[&<>'"]|[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ALL_NEEDING_ESCAPING = new RegExp(NEEDS_ESCAPING.source, 'gu');
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * `text` as every XML document is written: predefined entities for the five special
 * characters, U+FFFD for characters XML cannot carry. The builder calls it for every text
 * and attribute value, and splice-template.ts for the values it completes documents with.
 */
export function escapeXmlText(text: string): string {
  // Values seldom hold any of these; testing first spares the replacement's callbacks.
  return NEEDS_ESCAPING.test(text) ? text.replace(ALL_NEEDING_ESCAPING, (char) => ENTITY_OF[char] ?? REPLACEMENT_CHARACTER) : text;
}

/**
 * Decodes XML's five predefined entities and character references in text read with
 * entity processing off. Returns undefined for any other entity reference: documents
 * with a DTD are refused before parsing, so a named entity can only be an error.
 */
export function decodeXmlText(text: string): string | undefined {
  let invalid = false;
  const decoded = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*)?(;)?/g, (match, ref?: string, semicolon?: string) => {
    if (ref === undefined || semicolon === undefined) {
      invalid = true;
      return match;
    }
    if (ref.startsWith('#')) {
      const codePoint = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!(codePoint > 0 && codePoint <= 0x10ffff)) {
        invalid = true;
        return match;
      }
      return String.fromCodePoint(codePoint);
    }
    const named = PREDEFINED[ref];
    if (named === undefined) invalid = true;
    return named ?? match;
  });
  return invalid ? undefined : decoded;
}
