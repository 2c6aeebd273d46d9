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

/** How every document is written: escaped, indented by two spaces, empty elements self-closed. */
export const BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE,
  textNodeName: TEXT,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
} as const;

const builder = new XMLBuilder(BUILDER_OPTIONS);

/** A complete UTF-8 XML document (declaration, no byte-order mark) from an element tree. */
export function renderXml(tree: XmlTree): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(tree) as string}`;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// The builder's escaping of text (fast-xml-parser's default entities): every character
// with a predefined entity is written as that entity.
const ENTITY_OF: Record<string, string> = Object.fromEntries(Object.entries(PREDEFINED).map(([name, char]) => [char, `&${name};`]));
const SPECIAL = /[&<>'"]/;
const SPECIALS = /[&<>'"]/g;

/**
 * `text` escaped as renderXml's builder escapes element text, for documents rendered once
 * and completed per request (splice-template.ts).
 */
export function escapeXmlText(text: string): string {
  // Values seldom hold any of these; testing first spares the replacement's callbacks.
  return SPECIAL.test(text) ? text.replace(SPECIALS, (char) => ENTITY_OF[char]!) : text;
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
