/**
 * A strict reader of Apple XML property lists, written for the tests and independent of the
 * plist writer under test (and of its XML library), so a bug in the writer's escaping
 * cannot cancel out in the reader. It follows Apple's PropertyList-1.0 DTD: one value in
 * <plist>; dict as key/value pairs; array; string; integer; real; true; false; date; data.
 * It checks the XML too: one root, matched tags, valid references and characters, UTF-8. A
 * document it does not accept throws an error that says where.
 */

/** What a plist value reads as: dicts keep their keys' order, data is bytes, dates are Dates. */
export type PlistValue = string | number | boolean | Date | Buffer | PlistValue[] | { [key: string]: PlistValue };

const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const WHITESPACE = /[ \t\n]*/y;
// XML 1.0 Char, less what the reader never gets here (CR is gone after line-end normalisation).
const INVALID_CHARACTER = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const INTEGER = /^[+-]?[0-9]+$/;
const REAL = /^(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?inf|nan)$/i;
// Apple writes dates in UTC to the second, as in 2001-01-01T00:00:00Z.
const DATE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const TEXT_ELEMENTS = new Set(['key', 'string', 'integer', 'real', 'date', 'data']);
const VALUE_ELEMENTS = new Set(['dict', 'array', 'string', 'integer', 'real', 'date', 'data', 'true', 'false']);

interface Element {
  readonly name: string;
  readonly attributes: Record<string, string>;
  /** Where the start tag began, for messages. */
  readonly at: number;
  readonly empty: boolean;
}

class Reader {
  private position = 0;

  constructor(private readonly text: string) {}

  read(): PlistValue {
    this.prolog();
    const root = this.startTag();
    if (root.name !== 'plist') this.fail(`the root element is <${root.name}>, not <plist>`, root.at);
    for (const [name, value] of Object.entries(root.attributes)) {
      if (name !== 'version') this.fail(`<plist> has an unknown attribute ${name}`, root.at);
      if (value !== '1.0') this.fail(`<plist version="${value}">: only version 1.0 exists`, root.at);
    }
    if (root.empty) this.fail('<plist> holds no value', root.at);
    this.misc();
    const value = this.value(this.startTag());
    this.misc();
    this.endTag('plist');
    this.misc();
    if (this.position < this.text.length) this.fail('content after the root element');
    return value;
  }

  /** The XML declaration (UTF-8 only), comments and the plist DOCTYPE before the root. */
  private prolog(): void {
    if (this.text.startsWith('<?xml', this.position)) {
      const end = this.text.indexOf('?>', this.position);
      if (end < 0) this.fail('unterminated XML declaration');
      const declaration = this.text.slice(this.position, end + 2);
      if (!/^<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1(\s+encoding\s*=\s*(["'])UTF-8\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>$/i.test(declaration)) {
        this.fail(`not an XML declaration for UTF-8: ${declaration}`);
      }
      this.position = end + 2;
    }
    this.misc();
    if (this.text.startsWith('<!DOCTYPE', this.position)) {
      // Apple's public identifier; no internal subset, so no entity of the document's own.
      const doctype = /<!DOCTYPE\s+plist(?:\s+PUBLIC\s+"[^"]*"\s+"[^"]*"|\s+SYSTEM\s+"[^"]*")?\s*>/y;
      doctype.lastIndex = this.position;
      if (!doctype.test(this.text)) this.fail('a DOCTYPE other than <!DOCTYPE plist PUBLIC "…" "…">');
      this.position = doctype.lastIndex;
      this.misc();
    }
  }

  /** Whitespace and comments, the only things allowed between elements. */
  private misc(): void {
    for (;;) {
      this.skipWhitespace();
      if (!this.text.startsWith('<!--', this.position)) return;
      this.comment();
    }
  }

  private comment(): void {
    const end = this.text.indexOf('-->', this.position + 4);
    if (end < 0) this.fail('unterminated comment');
    if (this.text.slice(this.position + 4, end).includes('--')) this.fail('"--" inside a comment');
    this.position = end + 3;
  }

  private startTag(): Element {
    const at = this.position;
    if (this.text[this.position] !== '<' || '/!?'.includes(this.text[this.position + 1] ?? '')) this.fail('expected an element');
    this.position += 1;
    const name = this.name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = this.position;
      this.skipWhitespace();
      if (this.text.startsWith('/>', this.position)) {
        this.position += 2;
        return { name, attributes, at, empty: true };
      }
      if (this.text[this.position] === '>') {
        this.position += 1;
        return { name, attributes, at, empty: false };
      }
      if (this.position === before) this.fail(`malformed start tag <${name}`);
      const attribute = this.name();
      this.skipWhitespace();
      if (this.text[this.position] !== '=') this.fail(`attribute ${attribute} has no value`);
      this.position += 1;
      this.skipWhitespace();
      const quote = this.text[this.position];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${attribute} is not quoted`);
      const end = this.text.indexOf(quote, this.position + 1);
      if (end < 0) this.fail(`attribute ${attribute} is not terminated`);
      const raw = this.text.slice(this.position + 1, end);
      if (raw.includes('<')) this.fail(`"<" in attribute ${attribute}`);
      if (attribute in attributes) this.fail(`attribute ${attribute} given twice`);
      attributes[attribute] = this.decodeReferences(raw, this.position + 1);
      this.position = end + 1;
    }
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.position;
    WHITESPACE.test(this.text);
    this.position = WHITESPACE.lastIndex;
  }

  private endTag(name: string): void {
    const tag = new RegExp(`</${name}[ \\t\\n]*>`, 'y');
    tag.lastIndex = this.position;
    if (!tag.test(this.text)) this.fail(`expected </${name}>`);
    this.position = tag.lastIndex;
  }

  private name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected a name');
    this.position = NAME.lastIndex;
    return match[0];
  }

  private value(element: Element): PlistValue {
    if (!VALUE_ELEMENTS.has(element.name)) this.fail(`<${element.name}> is not a plist value`, element.at);
    if (Object.keys(element.attributes).length > 0) this.fail(`<${element.name}> takes no attributes`, element.at);
    switch (element.name) {
      case 'true':
      case 'false':
        if (!element.empty) this.endTag(element.name);
        return element.name === 'true';
      case 'dict':
        return this.dict(element);
      case 'array':
        return this.array(element);
      default:
        return this.scalar(element.name, element.empty ? '' : this.textContent(element.name), element.at);
    }
  }

  private dict(element: Element): { [key: string]: PlistValue } {
    const dict: { [key: string]: PlistValue } = {};
    if (element.empty) return dict;
    for (;;) {
      this.misc();
      if (this.text.startsWith('</', this.position)) break;
      const keyElement = this.startTag();
      if (keyElement.name !== 'key') this.fail(`<${keyElement.name}> in a dict where a <key> belongs`, keyElement.at);
      if (Object.keys(keyElement.attributes).length > 0) this.fail('<key> takes no attributes', keyElement.at);
      const key = keyElement.empty ? '' : this.textContent('key');
      if (Object.prototype.hasOwnProperty.call(dict, key)) this.fail(`key ${JSON.stringify(key)} twice in one dict`, keyElement.at);
      this.misc();
      if (this.text.startsWith('</', this.position)) this.fail(`key ${JSON.stringify(key)} has no value`);
      const value = this.value(this.startTag());
      // defineProperty, so that a key such as __proto__ is a key like any other.
      Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
    }
    this.endTag('dict');
    return dict;
  }

  private array(element: Element): PlistValue[] {
    const array: PlistValue[] = [];
    if (element.empty) return array;
    for (;;) {
      this.misc();
      if (this.text.startsWith('</', this.position)) break;
      array.push(this.value(this.startTag()));
    }
    this.endTag('array');
    return array;
  }

  /** The character data of a text element up to its end tag: references, CDATA and comments allowed, elements not. */
  private textContent(name: string): string {
    if (!TEXT_ELEMENTS.has(name)) this.fail(`<${name}> holds no text`);
    let content = '';
    for (;;) {
      const next = this.text.indexOf('<', this.position);
      if (next < 0) this.fail(`unterminated <${name}>`);
      const raw = this.text.slice(this.position, next);
      if (raw.includes(']]>')) this.fail('"]]>" in text');
      content += this.decodeReferences(raw, this.position);
      this.position = next;
      if (this.text.startsWith('<!--', this.position)) {
        this.comment();
      } else if (this.text.startsWith('<![CDATA[', this.position)) {
        const end = this.text.indexOf(']]>', this.position + 9);
        if (end < 0) this.fail('unterminated CDATA section');
        content += this.text.slice(this.position + 9, end);
        this.position = end + 3;
      } else {
        this.endTag(name);
        return content;
      }
    }
  }

  private decodeReferences(raw: string, at: number): string {
    return raw.replace(/&([^;]*);?/g, (reference, body: string, offset: number) => {
      if (!reference.endsWith(';')) this.fail('"&" that starts no reference', at + offset);
      const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
      if (numeric) {
        const codePoint = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10);
        const character = codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\0';
        if (codePoint === 0x0d) return '\r';
        if (INVALID_CHARACTER.test(character)) this.fail(`${reference} is not an XML character`, at + offset);
        return character;
      }
      const entity = PREDEFINED_ENTITIES[body];
      if (entity === undefined) this.fail(`unknown entity ${reference}`, at + offset);
      return entity;
    });
  }

  private scalar(name: string, content: string, at: number): PlistValue {
    switch (name) {
      case 'string':
        return content;
      case 'integer': {
        const trimmed = content.trim();
        if (!INTEGER.test(trimmed)) this.fail(`<integer>${content}</integer> is not a decimal integer`, at);
        const value = Number(trimmed);
        if (!Number.isSafeInteger(value)) this.fail(`<integer>${content}</integer> is beyond what a test can compare exactly`, at);
        return value;
      }
      case 'real': {
        const trimmed = content.trim();
        if (!REAL.test(trimmed)) this.fail(`<real>${content}</real> is not a number`, at);
        return /inf/i.test(trimmed) ? (trimmed.startsWith('-') ? -Infinity : Infinity) : Number(trimmed);
      }
      case 'date': {
        const parts = DATE.exec(content.trim());
        if (!parts) this.fail(`<date>${content}</date> is not YYYY-MM-DDTHH:MM:SSZ`, at);
        const date = new Date(content.trim());
        if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== content.trim().slice(0, 19)) {
          this.fail(`<date>${content}</date> is no such date`, at);
        }
        return date;
      }
      case 'data': {
        const base64 = content.replace(/[ \t\n]/g, '');
        if (!BASE64.test(base64)) this.fail('<data> is not base64', at);
        return Buffer.from(base64, 'base64');
      }
      default:
        return this.fail(`<${name}> is not a plist value`, at);
    }
  }

  private fail(message: string, at = this.position): never {
    const before = this.text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new Error(`not a valid XML plist: ${message} (line ${line}, column ${column})`);
  }
}

/** Reads one XML plist document (UTF-8 bytes or text); throws, saying where, when it is not one. */
export function readPlist(document: Buffer | string): PlistValue {
  let text: string;
  try {
    text = typeof document === 'string' ? document : new TextDecoder('utf-8', { fatal: true }).decode(document);
  } catch {
    throw new Error('not a valid XML plist: the bytes are not UTF-8');
  }
  // XML's line-end handling: CRLF and lone CR read as LF before anything else.
  text = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const invalid = INVALID_CHARACTER.exec(text);
  if (invalid) throw new Error(`not a valid XML plist: character U+${invalid[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  return new Reader(text).read();
}
