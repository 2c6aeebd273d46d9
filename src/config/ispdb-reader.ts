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
import { decodeXmlText } from '../formats/xml';
import { hasPlaceholder } from '../model/address';
import { toDomainKey } from '../model/domain';
import { HTTP_SYSTEM, MX_PURPOSE, POP3_FIELDS, SASL_SYSTEM } from '../formats/config-v11';
import {
  AUTHENTICATION_METHODS,
  HTTP_AUTHENTICATION_METHODS,
  OTHER_INCOMING_TYPES,
  SOCKET_TYPES,
  providerSchema,
  type AuthenticationMethod,
  type HttpAuthenticationMethod,
} from '../model/provider';
import { formatFieldPath } from './errors';
import type { ConfigProblem, LoadedProvider } from '../model/loaded-provider';

/** Provider files are a few kilobytes (the largest ISPDB file is ~15 KB); refuse anything absurd before parsing. */
export const MAX_ISPDB_FILE_BYTES = 1024 * 1024;

/** Spellings of authentication methods that config-v1.1 files use besides the canonical ones (docs/configuration.md#authentication-methods). */
const AUTHENTICATION_ALIASES: Record<string, AuthenticationMethod> = {
  // Thunderbird 3.0's keywords, still in old ISPDB files; their meaning is kept.
  plain: 'password-cleartext',
  secure: 'password-encrypted',
};

/**
 * The attributes config-v1.1 gives each element (docs/configuration.md#provider-files). Anything else on
 * these elements is reported; elements outside this table are reported as unknown anyway.
 */
const KNOWN_ATTRIBUTES: Record<string, readonly string[]> = {
  clientConfig: ['version'],
  emailProvider: ['id'],
  domain: ['purpose'],
  incomingServer: ['type'],
  outgoingServer: ['type'],
  authentication: ['system'],
  checkInterval: ['minutes'],
  documentation: ['url'],
  descr: ['lang'],
  instruction: ['lang', 'url'],
  enable: ['visiturl'],
  inputField: ['key', 'label'],
  loginPage: ['url'],
  loginPageInfo: ['url', 'waitForRedirectionURLPrefix'],
  usernameField: ['id', 'name'],
  passwordField: ['id', 'name'],
  loginButton: ['id', 'name'],
  clientConfigUpdate: ['url'],
  ...Object.fromEntries(
    [
      'displayName', 'displayShortName', 'hostname', 'port', 'socketType', 'username', 'password', 'pop3',
      'leaveMessagesOnServer', 'downloadOnBiff', 'daysToLeaveMessagesOnServer', 'useGlobalPreferredServer',
      'restriction', 'addThisServer', 'url', 'owaURL', 'ewsURL', 'easURL', 'webMail', 'oAuth2', 'issuer', 'scope',
      'authURL', 'tokenURL', 'clientID', 'clientSecret',
    ].map((name) => [name, []]),
  ),
};

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
  if (dtd) return problem('DTDs and entity declarations are not accepted', lineAt(text, dtd.index));
  const validation = XMLValidator.validate(text);
  if (validation !== true) return problem(`not well-formed XML: ${validation.err.msg}`, validation.err.line);

  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (error) {
    return problem(`unreadable XML: ${(error as Error).message}`);
  }
  const roots = toElements(nodes, text, '');
  const [root] = roots;
  if (!root) return problem('no root element');
  if (root.name !== 'clientConfig') {
    const hint = root.name.toLowerCase() === 'autodiscover' ? ' (this is an Outlook autodiscover response, not an ISPDB file)' : '';
    return problem(`root element is <${root.name}>, expected <clientConfig>${hint}`, root.line);
  }
  return new IspdbMapper(file).map(root);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

function toElements(nodes: readonly OrderedNode[], text: string, parentPath: string): Element[] {
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
      line: meta?.startIndex === undefined ? 0 : lineAt(text, meta.startIndex),
      path: indexedPath,
      children: toElements(content, text, indexedPath),
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
    const skippedDomains: string[] = [];
    for (const child of provider.children) this.emailProviderChild(child, input, skippedDomains);
    for (const child of root.children) this.clientConfigChild(child, input);

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

  private emailProviderChild(child: Element, input: ProviderDraft, skippedDomains: string[]): void {
    switch (child.name) {
      case 'domain': {
        const value = this.text(child);
        if (value === undefined) return;
        if (child.attributes.purpose !== undefined) {
          // Autoconfig 1.2: the provider's MX domains, for clients' MX lookup; not hosted domains.
          if (child.attributes.purpose.trim() !== MX_PURPOSE) {
            this.warn(child, `<domain purpose="${child.attributes.purpose}"> is not a purpose autoconfig 1.2 defines; skipped`);
          } else {
            const key = toDomainKey(value);
            if (key === undefined) this.warn(child, `${JSON.stringify(value)} is not a domain name; skipped`);
            else this.push((input.mxDomains ??= []), child, key);
          }
          return;
        }
        const key = toDomainKey(value);
        if (key === undefined) {
          skippedDomains.push(value);
          this.warn(child, `${JSON.stringify(value)} is not a domain name; skipped (as Thunderbird does)`);
        } else if (input.domains.includes(key)) {
          this.warn(child, `domain ${key} is listed twice`);
        } else {
          this.push(input.domains, child, key);
        }
        return;
      }
      case 'displayName':
      case 'displayShortName':
        return this.single(input, child, child.name, this.text(child));
      case 'incomingServer': {
        const server = this.server(child, 'incoming');
        if (!server) return;
        if (server.type !== 'imap' && server.type !== 'pop3') return this.push(input.otherIncoming, child, server);
        if (input.otherIncoming.length > 0) {
          this.warn(child, 'listed after an Exchange-family server, but served before it: IMAP/POP3 servers always come first');
        }
        return this.push(input.incoming, child, server);
      }
      case 'outgoingServer': {
        const server = this.server(child, 'outgoing');
        if (server) this.push(input.outgoing, child, server);
        return;
      }
      case 'documentation':
        return this.push(input.documentation, child, { url: this.attribute(child, 'url'), descr: this.localised(child, 'descr') });
      case 'instruction':
        // A few ISPDB files put help links as <instruction url> directly in emailProvider
        // (messagingengine.com); that is what <documentation url> says.
        if (child.attributes.url === undefined) return this.warn(child, '<instruction> without url outside <enable> is ignored');
        this.warn(child, '<instruction url> in <emailProvider> is read as <documentation url>');
        return this.push(input.documentation, child, { url: this.attribute(child, 'url'), descr: this.localised(child, 'descr') });
      case 'inputField':
      case 'enable':
        // Both occur at either level in the ISPDB (docs/configuration.md#provider-files).
        return this.clientConfigChild(child, input);
      default:
        return this.warn(child, `unknown element <${child.name}> ignored`);
    }
  }

  private clientConfigChild(child: Element, input: ProviderDraft): void {
    switch (child.name) {
      case 'emailProvider':
        return;
      case 'enable':
        return this.single(input, child, 'enable', this.enable(child));
      case 'inputField': {
        const value = this.text(child);
        const field = { key: this.attribute(child, 'key'), label: this.attribute(child, 'label'), value: value || undefined };
        return this.push(input.inputFields, child, field);
      }
      case 'webMail':
        return this.single(input, child, 'webMail', this.webMail(child));
      case 'oAuth2':
        return this.single(input, child, 'oAuth2', this.oAuth2(child));
      case 'clientConfigUpdate':
        return this.single(input, child, 'clientConfigUpdate', this.attribute(child, 'url'));
      default:
        return this.warn(child, `unknown element <${child.name}> ignored`);
    }
  }

  // -------------------------------------------------------------------------------------
  // Servers

  private server(element: Element, direction: 'incoming' | 'outgoing'): Record<string, unknown> | undefined {
    const type = this.serverType(element, direction);
    if (type === undefined) return undefined;
    const server: Record<string, unknown> = { type };
    const isMail = type === 'imap' || type === 'pop3' || type === 'smtp';
    const socketTypes: string[] = [];
    let sawSocketType = false;
    const authentication: (AuthenticationMethod | HttpAuthenticationMethod)[] = [];
    let saslMechanisms: string[] | undefined;
    let sawAuthentication = false;

    for (const child of element.children) {
      const name = child.name;
      switch (name) {
        case 'hostname':
        case 'username':
          this.single(server, child, name, this.text(child));
          break;
        case 'port':
          this.single(server, child, name, this.integer(child));
          break;
        case 'socketType': {
          sawSocketType = true;
          const value = this.token(child, SOCKET_TYPES);
          if (value !== undefined) socketTypes.push(value);
          break;
        }
        case 'authentication': {
          sawAuthentication = true;
          const system = child.attributes.system?.trim();
          if (system === SASL_SYSTEM && isMail) {
            const mechanism = this.text(child);
            if (mechanism !== undefined) this.push((saslMechanisms ??= []), child, mechanism);
            break;
          }
          if (system === HTTP_SYSTEM && !isMail) {
            const method = this.token(child, HTTP_AUTHENTICATION_METHODS);
            if (method !== undefined && !authentication.includes(method)) authentication.push(method);
            break;
          }
          const method = this.authentication(child);
          if (method !== undefined && !authentication.includes(method)) authentication.push(method);
          break;
        }
        case 'useGlobalPreferredServer':
          this.single(server, child, name, this.boolean(child));
          break;
        case 'password':
          this.warn(child, '<password> is ignored: passwords are never served');
          break;
        case 'pop3':
          if (type === 'pop3') this.single(server, child, 'pop3', this.pop3(child));
          else this.warn(child, `<pop3> on a ${type} server is ignored`);
          break;
        case 'restriction':
        case 'addThisServer':
          if (direction !== 'outgoing') {
            this.warn(child, `<${name}> applies to outgoing servers only; ignored`);
          } else if (name === 'addThisServer') {
            this.single(server, child, name, this.boolean(child));
          } else {
            this.single(server, child, name, this.token(child, ['client-IP-address']));
          }
          break;
        case 'url':
        case 'owaURL':
        case 'ewsURL':
        case 'easURL':
          if (isMail) this.warn(child, `<${name}> on a ${type} server is ignored`);
          else this.single(server, child, name, this.text(child));
          break;
        default:
          this.warn(child, `unknown element <${name}> ignored`);
      }
    }

    if (socketTypes.length > 1) this.warn(element, `several <socketType>; the first, ${socketTypes[0]}, is used`);
    if (socketTypes[0] !== undefined) server.socketType = socketTypes[0];
    // A present but unknown value has been reported already, at its own line.
    else if (isMail && !sawSocketType) this.fail(element, 'no <socketType> (SSL, STARTTLS or plain)');

    if (saslMechanisms) {
      server.saslMechanisms = saslMechanisms;
      this.remember(server, 'saslMechanisms', element);
    }
    if (authentication.length > 0) server.authentication = authentication;
    else if (isMail) {
      this.fail(
        element,
        sawAuthentication
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

  private authentication(element: Element): AuthenticationMethod | undefined {
    if (element.attributes.system !== undefined) {
      this.warn(element, `<authentication system="${element.attributes.system}"> (autoconfig 1.2) is not supported; skipped`);
      return undefined;
    }
    const value = this.text(element);
    if (value === undefined) return undefined;
    const alias = AUTHENTICATION_ALIASES[value];
    if (alias) {
      this.warn(element, `deprecated authentication ${JSON.stringify(value)} read as ${alias}`);
      return alias;
    }
    const method = AUTHENTICATION_METHODS.find((known) => known.toLowerCase() === value.toLowerCase());
    if (method === undefined) this.warn(element, `unknown authentication ${JSON.stringify(value)} skipped`);
    else if (method !== value) this.warn(element, `authentication ${JSON.stringify(value)} read as ${method}`);
    return method;
  }

  private pop3(element: Element): Record<string, unknown> {
    const options: Record<string, unknown> = {};
    for (const child of element.children) {
      const known = POP3_FIELDS.find((candidate) => candidate.element === child.name);
      if (known === undefined) {
        this.warn(child, `unknown element <${child.name}> ignored`);
      } else if (known.attribute !== undefined && child.attributes[known.attribute] === undefined) {
        this.warn(child, `<${known.element}> without ${known.attribute}="..." ignored`);
      } else {
        const raw = known.attribute === undefined ? this.text(child) : this.attribute(child, known.attribute);
        this.single(options, child, known.field, known.kind === 'boolean' ? this.boolean(child, raw) : this.integer(child, raw));
      }
    }
    return options;
  }

  // -------------------------------------------------------------------------------------
  // Descriptive blocks

  private enable(element: Element): Record<string, unknown> {
    return { visitUrl: this.attribute(element, 'visiturl'), instruction: this.localised(element, 'instruction') };
  }

  private webMail(element: Element): Record<string, unknown> {
    const webMail: Record<string, unknown> = {};
    for (const child of element.children) {
      if (child.name === 'loginPage') this.single(webMail, child, 'loginPage', this.attribute(child, 'url'));
      else if (child.name === 'loginPageInfo') this.single(webMail, child, 'loginPageInfo', this.loginPageInfo(child));
      else this.warn(child, `unknown element <${child.name}> ignored`);
    }
    return webMail;
  }

  private loginPageInfo(element: Element): Record<string, unknown> {
    const info: Record<string, unknown> = {
      url: this.attribute(element, 'url'),
      waitForRedirectionURLPrefix: this.attribute(element, 'waitForRedirectionURLPrefix'),
    };
    for (const child of element.children) {
      switch (child.name) {
        case 'username':
          this.single(info, child, 'username', this.text(child));
          break;
        case 'usernameField':
        case 'passwordField':
        case 'loginButton':
          this.single(info, child, child.name, { id: child.attributes.id?.trim(), name: child.attributes.name?.trim() });
          break;
        default:
          this.warn(child, `unknown element <${child.name}> ignored`);
      }
    }
    return info;
  }

  private oAuth2(element: Element): Record<string, unknown> {
    const oAuth2: Record<string, unknown> = {};
    const fields = ['issuer', 'scope', 'authURL', 'tokenURL', 'clientID', 'clientSecret'];
    for (const child of element.children) {
      if (fields.includes(child.name)) this.single(oAuth2, child, child.name, this.text(child));
      else this.warn(child, `unknown element <${child.name}> ignored`);
    }
    return oAuth2;
  }

  /** The `childName` children of `element` as localised text, or undefined when there are none. */
  private localised(element: Element, childName: string): { lang?: string; text: string }[] | undefined {
    const texts: { lang?: string; text: string }[] = [];
    for (const child of element.children) {
      if (child.name !== childName) {
        this.warn(child, `unknown element <${child.name}> ignored`);
        continue;
      }
      const text = this.text(child);
      const lang = child.attributes.lang?.trim();
      if (text !== undefined) texts.push(lang ? { lang, text } : { text });
    }
    return texts.length > 0 ? texts : undefined;
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

  private integer(element: Element, raw = this.text(element)): number | undefined {
    if (raw === undefined) return undefined;
    if (!/^\d{1,9}$/.test(raw)) {
      this.fail(element, `must be a whole number, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return Number(raw);
  }

  private boolean(element: Element, raw = this.text(element)): boolean | undefined {
    if (raw === undefined) return undefined;
    if (/^true$/i.test(raw)) return true;
    if (/^false$/i.test(raw)) return false;
    this.fail(element, `must be true or false, got ${JSON.stringify(raw)}`);
    return undefined;
  }

  /** One of `allowed`, matched without regard to case (and reported when the case differs). */
  private token<T extends string>(element: Element, allowed: readonly T[]): T | undefined {
    const raw = this.text(element);
    if (raw === undefined) return undefined;
    const token = allowed.find((candidate) => candidate.toLowerCase() === raw.toLowerCase());
    if (token === undefined) this.fail(element, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
    else if (token !== raw) this.warn(element, `${JSON.stringify(raw)} read as ${token}`);
    return token;
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
    const known = KNOWN_ATTRIBUTES[element.name];
    if (known) {
      for (const name of Object.keys(element.attributes)) {
        if (!known.includes(name) && !name.startsWith('xmlns')) this.warn(element, `unknown attribute ${name} ignored`);
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
