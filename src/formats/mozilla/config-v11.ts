/**
 * The one field map of config-v1.1: for every field of the provider model, the element or
 * attribute that carries it, how many there may be, and how its value is written and read.
 * The writer (autoconfig.ts) and the ISPDB reader (config/ispdb-reader.ts) both walk these
 * tables, so what one writes the other reads back (docs/endpoints.md#mozilla-autoconfig).
 * Entries are in the order the writer emits them, which is the order of Thunderbird's own
 * examples and of the ISPDB files.
 */
import { toDomainKey } from '../../model/domain';
import {
  AUTHENTICATION_METHODS,
  HTTP_AUTHENTICATION_METHODS,
  OTHER_INCOMING_TYPES,
  SOCKET_TYPES,
  type AuthenticationMethod,
} from '../../model/provider';

/** `<domain purpose="mx">`: one of the provider's MX domains (model `mxDomains`). */
const MX_PURPOSE = 'mx';
/** `<authentication system="sasl">`: one SASL mechanism (model `saslMechanisms`). */
const SASL_SYSTEM = 'sasl';
/** `<authentication system="http">`: HTTP Basic or Digest on a URL-based server. */
const HTTP_SYSTEM = 'http';

/** What the reader makes of one value: the value (perhaps with a note for the admin), a skip, or a problem. */
export type ReadOutcome = { value: unknown; note?: string } | { skip: string } | { problem: string };

/** How one scalar is written into the document and read back from its decoded, trimmed text. */
export interface ValueCodec {
  write(value: unknown): string | number | boolean;
  read(raw: string): ReadOutcome;
  /** The only values this codec writes, when it is one of several for a field (the writer picks by it). */
  readonly values?: readonly string[];
}

const text: ValueCodec = { write: (value) => value as string, read: (raw) => ({ value: raw }) };

/** Text where an empty element means "not given" (`<inputField>` without a value). */
const optionalText: ValueCodec = { write: text.write, read: (raw) => ({ value: raw === '' ? undefined : raw }) };

const integer: ValueCodec = {
  write: (value) => value as number,
  read: (raw) => (/^\d{1,9}$/.test(raw) ? { value: Number(raw) } : { problem: `must be a whole number, got ${JSON.stringify(raw)}` }),
};

const boolean: ValueCodec = {
  write: (value) => value as boolean,
  read: (raw) =>
    /^true$/i.test(raw) ? { value: true } : /^false$/i.test(raw) ? { value: false } : { problem: `must be true or false, got ${JSON.stringify(raw)}` },
};

/** One of `allowed`, read without regard to case (with a note when the case differs) and written as listed. */
function token(allowed: readonly string[]): ValueCodec {
  return {
    values: allowed,
    write: (value) => value as string,
    read: (raw) => {
      const found = allowed.find((candidate) => candidate.toLowerCase() === raw.toLowerCase());
      if (found === undefined) return { problem: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}` };
      return found === raw ? { value: found } : { value: found, note: `${JSON.stringify(raw)} read as ${found}` };
    },
  };
}

/** Spellings of authentication methods that config-v1.1 files use besides the canonical ones (docs/configuration.md#authentication-methods). */
const AUTHENTICATION_ALIASES: Record<string, AuthenticationMethod> = {
  // Thunderbird 3.0's keywords, still in old ISPDB files; their meaning is kept.
  plain: 'password-cleartext',
  secure: 'password-encrypted',
};

/** A method Thunderbird does not know drops only itself, so an unknown one is skipped, not refused. */
const authenticationMethod: ValueCodec = {
  values: AUTHENTICATION_METHODS,
  write: (value) => value as string,
  read: (raw) => {
    const alias = AUTHENTICATION_ALIASES[raw];
    if (alias) return { value: alias, note: `deprecated authentication ${JSON.stringify(raw)} read as ${alias}` };
    const method = AUTHENTICATION_METHODS.find((known) => known.toLowerCase() === raw.toLowerCase());
    if (method === undefined) return { skip: `unknown authentication ${JSON.stringify(raw)} skipped` };
    return method === raw ? { value: method } : { value: method, note: `authentication ${JSON.stringify(raw)} read as ${method}` };
  },
};

/** Domains are compared as lower-case keys; one that is no domain name is skipped, as Thunderbird does. */
const domainName: ValueCodec = {
  write: (value) => value as string,
  read: (raw) => {
    const key = toDomainKey(raw);
    return key === undefined ? { skip: `${JSON.stringify(raw)} is not a domain name; skipped (as Thunderbird does)` } : { value: key };
  },
};

const MAIL_SERVER_TYPES = ['imap', 'pop3', 'smtp'] as const;

/**
 * One model field and where it sits in the element the table describes:
 * - `element` alone: a child element whose text is the value (or, with `block`, whose
 *   children make up an object);
 * - `element` and `attribute`: an attribute of that child element (`<loginPage url>`);
 * - `attribute` alone: an attribute of the described element itself (`<documentation url>`);
 * - `ownText`: the described element's own text (`<inputField>` value).
 */
export interface FieldEntry {
  readonly field: string;
  readonly element?: string;
  readonly attribute?: string;
  readonly ownText?: true;
  /** A list in the model, one element per item, in order; otherwise the element appears once. */
  readonly many?: true;
  readonly codec?: ValueCodec;
  readonly block?: Block;
  /** A 1.2 attribute with a fixed value that tells this field's elements from others of the same name. */
  readonly marker?: { readonly attribute: string; readonly value: string };
  /** The server types that carry this field, in a server block; every type when absent. */
  readonly servers?: readonly string[];
  /** For lists: what happens to a repeated value when reading. */
  readonly repeats?: 'merged' | 'reported';
  /** Only autoconfig 1.2 defines it: a document that carries it says `version="1.2"`. */
  readonly since?: '1.2';
}

/** Server types that config-v1.1 files never had (ews, graph, owa and exchange occur in ISPDB 1.1 files). */
export const VERSION_12_SERVER_TYPES: readonly string[] = ['jmap', 'activeSync'];

/** The entries of one element, in document order. */
export type Block = readonly FieldEntry[];

const LOCALISED_TEXT: Block = [
  { field: 'lang', attribute: 'lang', codec: optionalText },
  { field: 'text', ownText: true, codec: text },
];

const FIELD_REFERENCE: Block = [
  { field: 'id', attribute: 'id', codec: text },
  { field: 'name', attribute: 'name', codec: text },
];

const POP3_FIELDS: Block = [
  { field: 'leaveMessagesOnServer', element: 'leaveMessagesOnServer', codec: boolean },
  { field: 'downloadOnBiff', element: 'downloadOnBiff', codec: boolean },
  { field: 'daysToLeaveMessagesOnServer', element: 'daysToLeaveMessagesOnServer', codec: integer },
  { field: 'checkIntervalMinutes', element: 'checkInterval', attribute: 'minutes', codec: integer },
];

/**
 * `<incomingServer>` and `<outgoingServer>`. One table for every server type, in one order
 * that fits them all: mail servers have no `url`/`owaURL`…, other servers no `pop3`.
 * SASL mechanisms come before the generic methods, which stay the fallback the 1.2 draft
 * asks for; HTTP methods on URL-based servers carry `system="http"`.
 */
export const SERVER_FIELDS: Block = [
  { field: 'type', attribute: 'type', codec: text },
  { field: 'url', element: 'url', codec: text, servers: OTHER_INCOMING_TYPES },
  { field: 'hostname', element: 'hostname', codec: text },
  { field: 'port', element: 'port', codec: integer },
  { field: 'socketType', element: 'socketType', codec: token(SOCKET_TYPES) },
  {
    field: 'saslMechanisms',
    element: 'authentication',
    marker: { attribute: 'system', value: SASL_SYSTEM },
    many: true,
    codec: text,
    servers: MAIL_SERVER_TYPES,
    since: '1.2',
  },
  {
    field: 'authentication',
    element: 'authentication',
    marker: { attribute: 'system', value: HTTP_SYSTEM },
    many: true,
    codec: token(HTTP_AUTHENTICATION_METHODS),
    servers: OTHER_INCOMING_TYPES,
    repeats: 'merged',
    since: '1.2',
  },
  { field: 'authentication', element: 'authentication', many: true, codec: authenticationMethod, repeats: 'merged' },
  // Always written for mail servers: Thunderbird reads a missing username as the string "undefined" (docs/endpoints.md#what-thunderbird-accepts).
  { field: 'username', element: 'username', codec: text },
  { field: 'owaURL', element: 'owaURL', codec: text, servers: OTHER_INCOMING_TYPES },
  { field: 'ewsURL', element: 'ewsURL', codec: text, servers: OTHER_INCOMING_TYPES },
  { field: 'easURL', element: 'easURL', codec: text, servers: OTHER_INCOMING_TYPES },
  { field: 'pop3', element: 'pop3', block: POP3_FIELDS, servers: ['pop3'] },
  { field: 'restriction', element: 'restriction', codec: token(['client-IP-address']), servers: ['smtp'] },
  { field: 'addThisServer', element: 'addThisServer', codec: boolean, servers: ['smtp'] },
  { field: 'useGlobalPreferredServer', element: 'useGlobalPreferredServer', codec: boolean },
];

/** Elements config-v1.1 defines that the model deliberately does not keep, and why. */
export const DROPPED_ELEMENTS: Readonly<Record<string, string>> = {
  password: 'passwords are never served',
};

const LOGIN_PAGE_INFO: Block = [
  { field: 'url', attribute: 'url', codec: text },
  { field: 'waitForRedirectionURLPrefix', attribute: 'waitForRedirectionURLPrefix', codec: text },
  { field: 'username', element: 'username', codec: text },
  { field: 'usernameField', element: 'usernameField', block: FIELD_REFERENCE },
  { field: 'passwordField', element: 'passwordField', block: FIELD_REFERENCE },
  { field: 'loginButton', element: 'loginButton', block: FIELD_REFERENCE },
];

/**
 * The provider's fields. Those `underEmailProvider` are children of `<emailProvider>`,
 * the others of `<clientConfig>` after it; `<enable>` and `<inputField>` occur at either
 * level in the ISPDB (docs/configuration.md#provider-files), so the reader takes them from both.
 */
export interface ProviderEntry extends FieldEntry {
  readonly underEmailProvider: boolean;
  readonly readAtEitherLevel?: true;
}

export const PROVIDER_FIELDS: readonly ProviderEntry[] = [
  { field: 'id', attribute: 'id', codec: text, underEmailProvider: true },
  { field: 'domains', element: 'domain', many: true, codec: domainName, repeats: 'reported', underEmailProvider: true },
  {
    field: 'mxDomains',
    element: 'domain',
    marker: { attribute: 'purpose', value: MX_PURPOSE },
    many: true,
    codec: domainName,
    underEmailProvider: true,
    since: '1.2',
  },
  { field: 'displayName', element: 'displayName', codec: text, underEmailProvider: true },
  { field: 'displayShortName', element: 'displayShortName', codec: text, underEmailProvider: true },
  // The other servers follow the mail servers: the ISPDB lists them after, and clients
  // prefer the first server they support, so a 1.1 client's choice never changes.
  { field: 'incoming', element: 'incomingServer', many: true, block: SERVER_FIELDS, servers: ['imap', 'pop3'], underEmailProvider: true },
  { field: 'otherIncoming', element: 'incomingServer', many: true, block: SERVER_FIELDS, servers: OTHER_INCOMING_TYPES, underEmailProvider: true },
  { field: 'outgoing', element: 'outgoingServer', many: true, block: SERVER_FIELDS, servers: ['smtp'], underEmailProvider: true },
  {
    field: 'documentation',
    element: 'documentation',
    many: true,
    block: [
      { field: 'url', attribute: 'url', codec: text },
      { field: 'descr', element: 'descr', many: true, block: LOCALISED_TEXT },
    ],
    underEmailProvider: true,
  },
  {
    field: 'inputFields',
    element: 'inputField',
    many: true,
    block: [
      { field: 'key', attribute: 'key', codec: text },
      { field: 'label', attribute: 'label', codec: text },
      { field: 'value', ownText: true, codec: optionalText },
    ],
    underEmailProvider: true,
    readAtEitherLevel: true,
  },
  {
    field: 'enable',
    element: 'enable',
    block: [
      { field: 'visitUrl', attribute: 'visiturl', codec: text },
      { field: 'instruction', element: 'instruction', many: true, block: LOCALISED_TEXT },
    ],
    underEmailProvider: false,
    readAtEitherLevel: true,
  },
  {
    field: 'webMail',
    element: 'webMail',
    block: [
      { field: 'loginPage', element: 'loginPage', attribute: 'url', codec: text },
      { field: 'loginPageInfo', element: 'loginPageInfo', block: LOGIN_PAGE_INFO },
    ],
    underEmailProvider: false,
  },
  {
    field: 'oAuth2',
    element: 'oAuth2',
    block: [
      { field: 'issuer', element: 'issuer', codec: text },
      { field: 'scope', element: 'scope', codec: text },
      { field: 'authURL', element: 'authURL', codec: text },
      { field: 'tokenURL', element: 'tokenURL', codec: text },
      { field: 'clientID', element: 'clientID', codec: text, since: '1.2' },
      { field: 'clientSecret', element: 'clientSecret', codec: text, since: '1.2' },
    ],
    underEmailProvider: false,
  },
  { field: 'clientConfigUpdate', element: 'clientConfigUpdate', attribute: 'url', codec: text, underEmailProvider: false },
];

/** Model fields with no config-v1.1 element, and why; every other field has an entry above. */
export const FIELDS_WITHOUT_ELEMENT: Readonly<Record<string, string>> = {
  logo: 'PACC only: config-v1.1 has no element for a logo',
  contact: 'PACC only: config-v1.1 has no element for a technical contact',
};

/** Whether `entry` applies on a server of `type` (always, outside server blocks). */
export function appliesTo(entry: FieldEntry, type: string | undefined): boolean {
  return entry.servers === undefined || type === undefined || entry.servers.includes(type);
}

/**
 * The attributes the map gives each element name, wherever it occurs; the reader reports
 * any other attribute on these elements.
 */
export function knownAttributes(): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>([
    ['clientConfig', new Set(['version'])],
    ['emailProvider', new Set()],
    ...Object.keys(DROPPED_ELEMENTS).map((name) => [name, new Set<string>()] as const),
  ]);
  const visit = (owner: string, block: Block) => {
    for (const entry of block) {
      if (entry.attribute !== undefined && entry.element === undefined) {
        known.get(owner)?.add(entry.attribute);
        continue;
      }
      if (entry.element === undefined) continue;
      const attributes = known.get(entry.element) ?? new Set<string>();
      known.set(entry.element, attributes);
      if (entry.attribute !== undefined) attributes.add(entry.attribute);
      if (entry.marker !== undefined) attributes.add(entry.marker.attribute);
      if (entry.block) visit(entry.element, entry.block);
    }
  };
  for (const entry of PROVIDER_FIELDS) {
    if (entry.element === undefined) known.get('emailProvider')?.add(entry.attribute!);
  }
  visit('emailProvider', PROVIDER_FIELDS.filter((entry) => entry.element !== undefined));
  // A few ISPDB files write a help link as <instruction url> (read as documentation).
  known.get('instruction')?.add('url');
  return known;
}
