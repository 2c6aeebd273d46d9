/**
 * Apple XML property lists (docs/endpoints.md#apple-configuration-profiles), written by fast-xml-parser's builder in
 * ordered mode: a plist dict is a flat run of `<key>` and value siblings, which the
 * builder's usual object form would regroup by element name. The builder escapes every
 * text value, as in shared/xml.ts.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { ATTRIBUTE, BUILDER_OPTIONS, TEXT } from '../common/xml';

/** The values a plist can hold that profiles use. Keys of a dict keep their insertion order. */
export type PlistValue = string | number | boolean | PlistValue[] | { readonly [key: string]: PlistValue | undefined };

const builder = new XMLBuilder({ ...BUILDER_OPTIONS, preserveOrder: true });

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

type OrderedNode = Record<string, unknown>;

/** A complete XML plist document. Dict entries whose value is undefined are left out. */
export function renderPlist(root: PlistValue): string {
  const document = [{ plist: [node(root)], ':@': { [`${ATTRIBUTE}version`]: '1.0' } }];
  return `${HEADER}${(builder.build(document) as string).trimStart()}`;
}

function node(value: PlistValue): OrderedNode {
  if (typeof value === 'string') return { string: [{ [TEXT]: value }] };
  if (typeof value === 'boolean') return { [value ? 'true' : 'false']: [] };
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`plist integers must be whole numbers, got ${value}`);
    return { integer: [{ [TEXT]: value }] };
  }
  if (Array.isArray(value)) return { array: value.map(node) };
  return {
    dict: Object.entries(value).flatMap(([key, entry]) =>
      entry === undefined ? [] : [{ key: [{ [TEXT]: key }] }, node(entry)],
    ),
  };
}
