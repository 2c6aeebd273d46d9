/**
 * An XML property-list reader written from Apple's plist DTD, independent of our writer
 * (src/formats/plist.ts): a dict is a flat run of <key> and value siblings. Strict: an
 * unknown element, a key without a value or a malformed integer throws.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true });

type Node = Record<string, unknown>;

export function readPlist(document: Buffer | string): any {
  const text = Buffer.isBuffer(document) ? document.toString('utf8') : document;
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw new Error(`not well-formed: ${validation.err.msg}`);
  const nodes = (parser.parse(text) as Node[]).filter((node) => !('?xml' in node) && !('#text' in node) && !('!DOCTYPE' in node));
  const plist = nodes.find((node) => 'plist' in node);
  if (!plist) throw new Error('no <plist> root');
  const values = elements(plist.plist as Node[]);
  if (values.length !== 1) throw new Error('a plist holds exactly one value');
  return value(values[0]!);
}

function elements(nodes: Node[]): Node[] {
  return nodes.filter((node) => {
    if ('#text' in node) {
      if (String(node['#text']).trim() !== '') throw new Error(`stray text ${JSON.stringify(node['#text'])}`);
      return false;
    }
    return true;
  });
}

function textOf(children: Node[]): string {
  return children.map((child) => String(child['#text'] ?? '')).join('');
}

function value(node: Node): unknown {
  const [name] = Object.keys(node);
  const children = (node[name!] ?? []) as Node[];
  switch (name) {
    case 'string':
      return textOf(children);
    case 'integer': {
      const text = textOf(children).trim();
      if (!/^-?\d+$/.test(text)) throw new Error(`bad integer ${JSON.stringify(text)}`);
      return Number(text);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'array':
      return elements(children).map(value);
    case 'dict': {
      const entries = elements(children);
      if (entries.length % 2 !== 0) throw new Error('a dict key without a value');
      const dict: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i += 2) {
        const key = entries[i]!;
        if (!('key' in key)) throw new Error(`expected <key>, got <${Object.keys(key)[0]}>`);
        dict[textOf(key.key as Node[])] = value(entries[i + 1]!);
      }
      return dict;
    }
    default:
      throw new Error(`<${name}> is not a plist value this reader knows`);
  }
}
