/**
 * Reads Mozilla ISPDB files (config-v1.1 XML, docs/endpoints.md#mozilla-autoconfig) into the canonical provider
 * model, so an admin can drop a file Thunderbird already uses into `providers/`.
 *
 * Tolerant where real ISPDB files are messy and a tolerant client copes: a byte-order
 * mark, CRLF, no XML declaration or `version`, comments, whitespace around values,
 * upper-case domains, the deprecated `plain`/`secure` spellings, unknown elements (ignored
 * with a warning). Strict where a file is broken: not well-formed, no domain, no usable
 * server, a value that means nothing. Every problem names the file, the line and the
 * element. Pure: text in, provider (with warnings) or problems out.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeXmlText } from '../formats/common/xml';
import { hasPlaceholder } from '../model/address';
import { toDomainKey } from '../model/domain';
import {
  DROPPED_ELEMENTS,
  PROVIDER_FIELDS,
  SERVER_FIELDS,
  appliesTo,
  knownAttributes,
  type Block,
  type FieldEntry,
  type ValueCodec,
} from '../formats/mozilla/config-v11';
import { OTHER_INCOMING_TYPES, providerSchema } from '../model/provider';
import { formatFieldPath } from './errors';
import type { ConfigProblem, LoadedProvider } from '../model/loaded-provider';

/** Provider files are a few kilobytes (the largest ISPDB file is ~15 KB); refuse anything absurd before parsing. */
export const MAX_ISPDB_FILE_BYTES = 1024 * 1024;

/**
 * The attributes config-v1.1 gives each element, from the field map. Anything else on
 * these elements is reported; elements outside the map are reported as unknown anyway.
 */
const KNOWN_ATTRIBUTES = knownAttributes();

/** The provider's fields that may stand directly in `<emailProvider>`, and those in `<clientConfig>`. */
const EMAIL_PROVIDER_BLOCK: Block = PROVIDER_FIELDS.filter((entry) => entry.underEmailProvider || entry.readAtEitherLevel);
const CLIENT_CONFIG_BLOCK: Block = PROVIDER_FIELDS.filter((entry) => !entry.underEmailProvider || entry.readAtEitherLevel);

export type IspdbReadResult = (LoadedProvider & { readonly warnings: readonly ConfigProblem[] }) | { problems: ConfigProblem[] };

interface Element {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly Element[];
  /** Raw text content (entities not yet decoded); concatenated text nodes. */
  readonly rawText: string;
  readonly line: number;
  /** Where the element sits, for messages: `emailProvider/incomingServer[2]/port`. */
  readonly path: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  captureMetaData: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Entities are never expanded by the parser; the five predefined ones and character
  // references are decoded afterwards by decodeXmlText, anything else is an error.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
});
// Typed as the wrapper `Symbol` by the library; it is a primitive symbol at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parses and maps one ISPDB file. `file` names it in every problem. */
export function readIspdbProvider(file: string, input: string): IspdbReadResult {
  const text = input.replace(/^\uFEFF/, '');
  const problem = (message: string, line?: number, field = ''): { problems: ConfigProblem[] } => ({
    problems: [{ file, line, field, message }],
  });

  if (Buffer.byteLength(text, 'utf8') > MAX_ISPDB_FILE_BYTES) {
    return problem(`file is larger than ${MAX_ISPDB_FILE_BYTES} bytes; not a provider definition`);
  }
  const dtd = /<!(DOCTYPE|ENTITY)/i.exec(text);
  const lineAt = lineFinder(text);
  if (dtd) return problem('DTDs and entity declarations are not accepted', lineAt(dtd.index));
  const validation = XMLValidator.validate(text);
  if (validation !== true) return problem(`not well-formed XML: ${validation.err.msg}`, validation.err.line);

  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (error) {
    return problem(`unreadable XML: ${(error as Error).message}`);
  }
  const roots = toElements(nodes, lineAt, '');
  const [root] = roots;
  if (!root) return problem('no root element');
  if (root.name !== 'clientConfig') {
    const hint = root.name.toLowerCase() === 'autodiscover' ? ' (this is an Outlook autodiscover response, not an ISPDB file)' : '';
    return problem(`root element is <${root.name}>, expected <clientConfig>${hint}`, root.line);
  }
  return new IspdbMapper(file).map(root);
}

/**
 * The line of an offset in `text`, by binary search over where lines start: counting
 * newlines for each element took seconds for a file of 20 000 domains.
 */
function lineFinder(text: string): (index: number) => number {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (index) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (lineStarts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}

function toElements(nodes: readonly OrderedNode[], lineAt: (index: number) => number, parentPath: string): Element[] {
  const counts = new Map<string, number>();
  const elements: Element[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((key) => key !== ':@');
    if (name === undefined || name.startsWith('#') || name.startsWith('?')) continue;
    const index = (counts.get(name) ?? 0) + 1;
    counts.set(name, index);
    const path = `${parentPath}${parentPath ? '/' : ''}${name}`;
    const content = (node[name] ?? []) as OrderedNode[];
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
    const indexedPath = index > 1 ? `${path}[${index}]` : path;
    elements.push({
      name,
      attributes: node[':@'] ?? {},
      rawText: content.map((child) => textOf(child)).join(''),
      line: meta?.startIndex === undefined ? 0 : lineAt(meta.startIndex),
      path: indexedPath,
      children: toElements(content, lineAt, indexedPath),
    });
  }
  return elements;
}

function textOf(node: OrderedNode): string {
  if (typeof node['#text'] === 'string') return node['#text'];
  // CDATA content is literal: escape it so the one decoding step gives it back unchanged.
  const cdata = node['#cdata'] as OrderedNode[] | undefined;
  if (cdata) return cdata.map((part) => String(part['#text'] ?? '').replaceAll('&', '&amp;')).join('');
  return '';
}

/** The provider input as it is collected, before the schema checks it. */
type ProviderDraft = Record<string, unknown> & {
  id?: string;
  domains: string[];
  mxDomains?: string[];
  incoming: Record<string, unknown>[];
  outgoing: Record<string, unknown>[];
  otherIncoming: Record<string, unknown>[];
  documentation: Record<string, unknown>[];
  inputFields: Record<string, unknown>[];
};

/** Maps the element tree of one file to a provider input, collecting problems and warnings on the way. */
class IspdbMapper {
  private readonly problems: ConfigProblem[] = [];
  private readonly warnings: ConfigProblem[] = [];
  /** The element each value of the provider input came from, so schema errors can name its line. */
  private readonly origins = new WeakMap<object, Map<PropertyKey, Element>>();
  /** The values of each list, so a repeat is found without scanning the list (20 000 domains made that quadratic). */
  private readonly listed = new WeakMap<unknown[], Set<unknown>>();

  constructor(private readonly file: string) {}

  map(root: Element): IspdbReadResult {
    const providers = root.children.filter((child) => child.name === 'emailProvider');
    const [provider] = providers;
    if (!provider) {
      this.fail(root, 'no <emailProvider> element');
      return { problems: this.problems };
    }
    for (const extra of providers.slice(1)) this.warn(extra, 'only the first <emailProvider> is read; this one is ignored');
    this.checkAttributes(root);

    const input: ProviderDraft = { domains: [], incoming: [], outgoing: [], otherIncoming: [], documentation: [], inputFields: [] };
    for (const child of provider.children) this.emailProviderChild(child, input);
    for (const child of root.children) {
      if (child.name !== 'emailProvider') this.readChild(child, CLIENT_CONFIG_BLOCK, input);
    }
    const skippedDomains = this.skippedDomains(provider);

    const idDomain = toDomainKey(provider.attributes.id?.trim() ?? '');
    if (input.domains.length === 0 && idDomain !== undefined && skippedDomains.some(hasPlaceholder)) {
      // A template for any domain (mailcow writes <domain>%EMAILDOMAIN%</domain>), which
      // Thunderbird accepts; no lookup can match a placeholder, so the id is what is hosted.
      this.warn(provider, `the only <domain> is a placeholder; the file is served for its id, ${idDomain}`);
      input.domains.push(idDomain);
      this.remember(input.domains, 0, provider);
    }
    if (input.domains.length === 0) {
      const skipped = skippedDomains.length > 0 ? ` (not domain names: ${skippedDomains.map((value) => JSON.stringify(value)).join(', ')})` : '';
      this.fail(provider, `no usable <domain>: the file must name at least one mail domain${skipped}`);
    }
    if (input.incoming.length === 0) this.fail(provider, 'no usable IMAP or POP3 <incomingServer>');
    if (input.outgoing.length === 0) this.fail(provider, 'no usable SMTP <outgoingServer>');
    if (this.problems.length > 0) return { problems: this.problems };

    const id = provider.attributes.id?.trim();
    if (!id) this.warn(provider, `<emailProvider> has no id; using the first domain, ${input.domains[0]}`);
    input.id = id || input.domains[0];
    this.remember(input, 'id', provider);
    this.remember(input, 'domains', provider);
    return this.validate(input, provider);
  }

  /** The texts of plain `<domain>` elements that are not domain names (each reported already). */
  private skippedDomains(provider: Element): string[] {
    return provider.children.flatMap((child) => {
      if (child.name !== 'domain' || child.attributes.purpose !== undefined || child.children.length > 0) return [];
      const value = decodeXmlText(child.rawText)?.trim();
      return value !== undefined && toDomainKey(value) === undefined ? [value] : [];
    });
  }

  /** Checks the collected input against the canonical schema; its problems point at the elements they came from. */
  private validate(input: ProviderDraft, provider: Element): IspdbReadResult {
    const parsed = providerSchema.safeParse(input);
    if (parsed.success) return { definition: parsed.data, file: this.file, warnings: this.warnings };
    return {
      problems: parsed.error.issues.map((issue) => {
        const field = formatFieldPath(issue.path);
        const origin = this.originOf(input, issue.path) ?? provider;
        const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
        return { file: this.file, line: origin.line, field: `${origin.path} (${field || 'provider'})`, message: issue.message + keys };
      }),
    };
  }

  private emailProviderChild(child: Element, input: ProviderDraft): void {
    switch (child.name) {
      case 'incomingServer':
      case 'outgoingServer':
        return this.serverChild(child, input);
      case 'instruction':
        // A few ISPDB files put help links as <instruction url> directly in emailProvider
        // (messagingengine.com); that is what <documentation url> says.
        if (child.attributes.url === undefined) return this.warn(child, '<instruction> without url outside <enable> is ignored');
        this.warn(child, '<instruction url> in <emailProvider> is read as <documentation url>');
        return this.readChild(child, [{ ...this.entryFor('documentation'), element: 'instruction' }], input);
      default:
        return this.readChild(child, EMAIL_PROVIDER_BLOCK, input);
    }
  }

  private entryFor(field: string): FieldEntry {
    return PROVIDER_FIELDS.find((entry) => entry.field === field)!;
  }

  /**
   * One `<incomingServer>` or `<outgoingServer>`: its type picks the model list (mail,
   * other or outgoing) before the server's own table is read.
   */
  private serverChild(child: Element, input: ProviderDraft): void {
    const direction = child.name === 'outgoingServer' ? 'outgoing' : 'incoming';
    const type = this.serverType(child, direction);
    if (type === undefined) return;
    const entry = PROVIDER_FIELDS.find((candidate) => candidate.element === child.name && candidate.servers?.includes(type))!;
    const server = this.server(child, type, direction);
    if (entry.field === 'incoming' && input.otherIncoming.length > 0) {
      this.warn(child, 'listed after an Exchange-family server, but served before it: IMAP/POP3 servers always come first');
    }
    this.push(input[entry.field as 'incoming' | 'outgoing' | 'otherIncoming'], child, server);
  }

  // -------------------------------------------------------------------------------------
  // The field map, read

  /** Reads `element`'s attributes, own text and children into `target` as `block` says; anything else is reported. */
  private readBlock(element: Element, block: Block, target: Record<string, unknown>, serverType?: string): Record<string, unknown> {
    for (const entry of block) {
      if (entry.element !== undefined || !appliesTo(entry, serverType)) continue;
      const raw = entry.ownText ? this.text(element) : this.attribute(element, entry.attribute!);
      this.setField(target, element, entry, raw === undefined ? undefined : this.convert(element, entry.codec!, raw));
    }
    if (block.some((entry) => entry.element !== undefined)) {
      for (const child of element.children) this.readChild(child, block, target, serverType);
    }
    return target;
  }

  /**
   * One child element: the entry naming it (told apart by its 1.2 marker attribute where
   * several do) gives the field and the conversion.
   */
  private readChild(child: Element, block: Block, target: Record<string, unknown>, serverType?: string): void {
    const named = block.filter((entry) => entry.element === child.name);
    if (named.length === 0) {
      const dropped = DROPPED_ELEMENTS[child.name];
      return this.warn(child, dropped ? `<${child.name}> is ignored: ${dropped}` : `unknown element <${child.name}> ignored`);
    }
    const applicable = named.filter((entry) => appliesTo(entry, serverType));
    if (applicable.length === 0) {
      const outgoingOnly = named.every((entry) => entry.servers?.length === 1 && entry.servers[0] === 'smtp');
      return this.warn(child, outgoingOnly ? `<${child.name}> applies to outgoing servers only; ignored` : `<${child.name}> on a ${serverType} server is ignored`);
    }
    const markerName = named.find((entry) => entry.marker)?.marker?.attribute;
    const marker = markerName === undefined ? undefined : child.attributes[markerName];
    const entry = applicable.find((candidate) => (marker === undefined ? !candidate.marker : candidate.marker?.value === marker.trim()));
    if (entry === undefined) {
      const defined = applicable.flatMap((candidate) => (candidate.marker ? [`${markerName}="${candidate.marker.value}"`] : []));
      const supported = defined.length > 0 ? `only ${defined.join(', ')} is` : `no ${markerName} is`;
      return this.warn(child, `<${child.name} ${markerName}="${marker}"> is not supported here (${supported}); skipped`);
    }
    const value = this.readElement(child, entry, serverType);
    if (!entry.many) return this.single(target, child, entry.field, value);
    if (value === undefined) return;
    if (target[entry.field] === undefined) {
      target[entry.field] = [];
      this.remember(target, entry.field, child);
    }
    const list = target[entry.field] as unknown[];
    if (entry.repeats !== undefined && this.listed.get(list)?.has(value)) {
      if (entry.repeats === 'reported') this.warn(child, `${child.name} ${String(value)} is listed twice`);
      return;
    }
    this.push(list, child, value);
  }

  /** The value of one child element: an object by its table, an attribute, or its text. */
  private readElement(child: Element, entry: FieldEntry, serverType?: string): unknown {
    if (entry.block) return this.readBlock(child, entry.block, {}, serverType);
    if (entry.attribute !== undefined && child.attributes[entry.attribute] === undefined) {
      this.warn(child, `<${child.name}> without ${entry.attribute}="..." ignored`);
      return undefined;
    }
    const raw = entry.attribute === undefined ? this.text(child) : this.attribute(child, entry.attribute);
    return raw === undefined ? undefined : this.convert(child, entry.codec!, raw);
  }

  /** A codec's reading of `raw`, its notes and problems reported at `element`. */
  private convert(element: Element, codec: ValueCodec, raw: string): unknown {
    const outcome = codec.read(raw);
    if ('problem' in outcome) return this.fail(element, outcome.problem);
    if ('skip' in outcome) return this.warn(element, outcome.skip);
    if (outcome.note !== undefined) this.warn(element, outcome.note);
    return outcome.value;
  }

  private setField(target: Record<string, unknown>, element: Element, entry: FieldEntry, value: unknown): void {
    if (value === undefined) return;
    target[entry.field] = value;
    this.remember(target, entry.field, element);
  }

  // -------------------------------------------------------------------------------------
  // Servers

  private server(element: Element, type: string, direction: 'incoming' | 'outgoing'): Record<string, unknown> {
    const isMail = type === 'imap' || type === 'pop3' || type === 'smtp';
    // The type has been matched already (without regard to case); the rest is the table's.
    const server = this.readBlock(
      element,
      SERVER_FIELDS.filter((entry) => entry.field !== 'type'),
      { type },
      type,
    );
    const sawElement = (name: string) => element.children.some((child) => child.name === name);
    // A present but unknown socketType has been reported already, at its own line.
    if (isMail && !sawElement('socketType')) this.fail(element, 'no <socketType> (SSL, STARTTLS or plain)');
    if (isMail && server.authentication === undefined) {
      this.fail(
        element,
        sawElement('authentication')
          ? 'none of the <authentication> methods is known'
          : 'no <authentication>: Thunderbird drops a server that names none; add e.g. password-cleartext',
      );
    }
    if (isMail && server.username === undefined) {
      // As Thunderbird does: an outgoing server takes the incoming server's login (model/provider.ts).
      this.warn(element, `no <username>; ${direction === 'outgoing' ? "the first incoming server's" : '%EMAILADDRESS%'} is assumed`);
    }
    return server;
  }

  private serverType(element: Element, direction: 'incoming' | 'outgoing'): string | undefined {
    const raw = element.attributes.type?.trim() ?? '';
    const known: readonly string[] = direction === 'outgoing' ? ['smtp'] : ['imap', 'pop3', ...OTHER_INCOMING_TYPES];
    const type = known.find((candidate) => candidate.toLowerCase() === raw.toLowerCase());
    if (type === undefined) {
      this.warn(element, `${direction} server type ${JSON.stringify(raw)} is not one of ${known.join(', ')}; server skipped`);
    }
    return type;
  }

  // -------------------------------------------------------------------------------------
  // Values

  /** The element's decoded, trimmed text; a problem (and undefined) for undecodable entities. */
  private text(element: Element): string | undefined {
    if (element.children.length > 0) {
      this.fail(element, `<${element.name}> must hold text, not elements`);
      return undefined;
    }
    const decoded = decodeXmlText(element.rawText);
    if (decoded === undefined) this.fail(element, 'unknown entity or stray "&" in text (write &amp; for "&")');
    return decoded?.trim();
  }

  private attribute(element: Element, name: string): string | undefined {
    const raw = element.attributes[name];
    if (raw === undefined) return undefined;
    const decoded = decodeXmlText(raw);
    if (decoded === undefined) this.fail(element, `attribute ${name}: unknown entity or stray "&" (write &amp; for "&")`);
    return decoded?.trim();
  }

  /** Sets `target[key]` from an element that may appear once; later repeats are reported and ignored. */
  private single(target: Record<string, unknown>, element: Element, key: string, value: unknown): void {
    if (target[key] !== undefined) {
      this.warn(element, `<${element.name}> appears more than once; the first is used`);
      return;
    }
    if (value === undefined) return;
    target[key] = value;
    this.remember(target, key, element);
  }

  private push<T>(list: T[], element: Element, value: T): void {
    this.remember(list, list.length, element);
    list.push(value);
    const values = this.listed.get(list) ?? new Set<unknown>();
    this.listed.set(list, values.add(value));
  }

  private remember(container: object, key: PropertyKey, element: Element): void {
    const known = this.origins.get(container) ?? new Map<PropertyKey, Element>();
    known.set(key, element);
    this.origins.set(container, known);
  }

  // -------------------------------------------------------------------------------------
  // Reporting

  /** Reports attributes config-v1.1 does not define on the elements it does define. */
  private checkAttributes(element: Element): void {
    const known = KNOWN_ATTRIBUTES.get(element.name);
    if (known) {
      for (const name of Object.keys(element.attributes)) {
        if (!known.has(name) && !name.startsWith('xmlns')) this.warn(element, `unknown attribute ${name} ignored`);
      }
    }
    for (const child of element.children) this.checkAttributes(child);
  }

  /** The element behind the deepest value on `path` whose origin is known. */
  private originOf(root: object, path: readonly PropertyKey[]): Element | undefined {
    let origin: Element | undefined;
    let current: unknown = root;
    for (const key of path) {
      if (typeof current !== 'object' || current === null) break;
      origin = this.origins.get(current)?.get(key) ?? origin;
      current = (current as Record<PropertyKey, unknown>)[key];
    }
    return origin;
  }

  private fail(element: Element, message: string): void {
    this.problems.push({ file: this.file, line: element.line, field: element.path, message });
  }

  private warn(element: Element, message: string): void {
    this.warnings.push({ file: this.file, line: element.line, field: element.path, message });
  }
}
