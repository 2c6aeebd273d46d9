/**
 * Outlook "POX" autodiscover (docs/endpoints.md#outlook-autodiscover-pox): the request reader and the response
 * writer. Readers of our answers: Outlook (which defaults SPA, SSL and AuthRequired to
 * "on" when absent, docs/endpoints.md#pox-settings) and Thunderbird (which matches element names literally and
 * derives STARTTLS from the port, docs/endpoints.md#pox-settings). Every flag is therefore written explicitly
 * and with default namespaces only.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fillPlaceholders, substitutePlaceholders, type EmailAddress } from '../../model/address';
import { SOCKET_CAPABILITIES, firstExpressible } from '../../model/client-capabilities';
import { type IncomingServer, type MailServer, type OutgoingServer, type ProviderDefinition } from '../../model/provider';
import { scanPoxRequest } from './pox-request-scanner';
import { ATTRIBUTE, decodeXmlText, renderXml, type XmlTree } from '../common/xml';

export const POX_CONTENT_TYPE = 'text/xml; charset=utf-8';

const SCHEMAS = 'http://schemas.microsoft.com/exchange/autodiscover';
export const NAMESPACES = {
  /** Root element of every response, and the Response element of error responses. */
  response: `${SCHEMAS}/responseschema/2006`,
  outlookResponse: `${SCHEMAS}/outlook/responseschema/2006a`,
  outlookRequest: `${SCHEMAS}/outlook/requestschema/2006`,
  mobilesyncResponse: `${SCHEMAS}/mobilesync/responseschema/2006`,
} as const;

/** MS-OXDSCLI error codes (docs/endpoints.md#pox-errors) with the messages Exchange and GROMOX use. */
export const POX_ERRORS = {
  unknownAddress: { code: 500, message: 'The e-mail address cannot be found.' },
  noConfiguration: { code: 501, message: 'Bad Address' },
  invalidRequest: { code: 600, message: 'Invalid Request' },
  providerUnavailable: { code: 601, message: 'Provider is not available' },
  serverError: { code: 603, message: 'Server Error' },
} as const;
export type PoxError = (typeof POX_ERRORS)[keyof typeof POX_ERRORS];

// ---------------------------------------------------------------------------------------
// Requests

export type PoxRequest =
  | { readonly kind: 'outlook'; readonly emailAddress: string }
  /** A request for a schema we do not serve (mobilesync and others): answer 601 in `namespace`. */
  | { readonly kind: 'unsupported-schema'; readonly namespace: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const requestParser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: () => true,
});

type ParsedElement = { [name: string]: ParsedElement[] | string[] } | string;

/**
 * Reads a POX request body whatever its Content-Type: the usual shapes with a strict
 * scanner (pox-request-scanner.ts), everything else with the full reader below.
 */
export function parsePoxRequest(body: Uint8Array): PoxRequest {
  const scanned = scanPoxRequest(body);
  return scanned ? { kind: 'outlook', emailAddress: scanned.emailAddress } : readPoxRequest(body);
}

/**
 * The full reader, with fast-xml-parser. Element names and namespace prefixes are matched
 * case-insensitively (clients and Microsoft's docs disagree on `EMailAddress` vs
 * `EmailAddress`, and on http vs https namespaces).
 */
export function readPoxRequest(body: Uint8Array): PoxRequest {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body).trim();
  } catch {
    return invalid('the body is not UTF-8');
  }
  if (text === '') return invalid('the body is empty');
  // Entities and DTDs are never expanded; refusing them outright also refuses every
  // billion-laughs and external-entity trick before the parser sees the document.
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) return invalid('DTDs and entity declarations are not accepted');
  const validation = XMLValidator.validate(text);
  if (validation !== true) return invalid(`malformed XML: ${validation.err.msg} (line ${validation.err.line})`);

  let document: Record<string, ParsedElement[]>;
  try {
    document = requestParser.parse(text) as Record<string, ParsedElement[]>;
  } catch (error) {
    return invalid(`unreadable XML: ${(error as Error).message}`);
  }
  const roots = children(document, 'autodiscover');
  if (roots.length !== 1) return invalid('the root element is not Autodiscover');
  const requests = children(roots[0], 'request');
  if (requests.length !== 1) return invalid('exactly one Request element is expected');
  const [request] = requests as [ParsedElement];

  const schema = textOf(request, 'acceptableresponseschema');
  if (schema === null) return invalid('AcceptableResponseSchema is not plain text');
  if (schema !== undefined && !isOutlookSchema(schema)) {
    return { kind: 'unsupported-schema', namespace: responseNamespaceFor(schema) };
  }
  const emailAddress = textOf(request, 'emailaddress');
  if (emailAddress === null) return invalid('EMailAddress is not plain text');
  if (emailAddress === undefined || emailAddress === '') return invalid('EMailAddress is missing');
  return { kind: 'outlook', emailAddress };
}

function invalid(reason: string): PoxRequest {
  return { kind: 'invalid', reason };
}

function children(element: ParsedElement | undefined, name: string): ParsedElement[] {
  if (element === undefined || typeof element === 'string') return [];
  return Object.entries(element)
    .filter(([key]) => key.toLowerCase() === name)
    .flatMap(([, values]) => values);
}

/** The decoded text of the single child `name`; undefined when absent, null when not plain text. */
function textOf(element: ParsedElement, name: string): string | undefined | null {
  const found = children(element, name);
  if (found.length === 0) return undefined;
  const [value] = found;
  if (found.length > 1 || typeof value !== 'string') return null;
  return decodeXmlText(value)?.trim() ?? null;
}

const withoutScheme = (uri: string) => uri.trim().replace(/^https?:\/\//i, '').toLowerCase();

function isOutlookSchema(schema: string): boolean {
  return withoutScheme(schema) === withoutScheme(NAMESPACES.outlookResponse);
}

/**
 * The namespace an error for `schema` is written in: the requested one, with Microsoft's
 * own http spelling for schemas.microsoft.com URIs; the generic one for anything that is
 * not a plausible URI.
 */
function responseNamespaceFor(schema: string): string {
  if (/^https?:\/\/schemas\.microsoft\.com\//i.test(schema)) return `http://${withoutScheme(schema)}`;
  return /^https?:\/\/[^\s<>"]{1,200}$/i.test(schema) ? schema : NAMESPACES.response;
}

// ---------------------------------------------------------------------------------------
// Responses

const onOff = (flag: boolean) => (flag ? 'on' : 'off');

/** MS-OXDSCLI: how long (hours) Outlook may keep the settings before asking again; 1 when absent. */
export const DEFAULT_TTL_HOURS = 1;

export interface PoxContext {
  /** The address from the request; absent for GET requests, which carry no body. */
  readonly address?: EmailAddress;
  /** The hosted domain the request was matched to, for %EMAILDOMAIN% without an address. */
  readonly domain: string;
  /** The `<TTL>` of every Protocol (autodiscoverTtlHours setting). */
  readonly ttlHours?: number;
}

/** The Protocol element for one server, or undefined when Outlook cannot use it. */
export function outlookProtocol(server: MailServer, context: PoxContext, incomingUsername?: string): XmlTree | undefined {
  const authentication = firstExpressible(server.authentication, 'outlook')?.value;
  if (!authentication) return undefined;
  const { ssl, encryption } = SOCKET_CAPABILITIES[server.socketType].outlook;
  const isSmtp = server.type === 'smtp';
  return {
    Type: server.type.toUpperCase(),
    Server: substitutePlaceholders(server.hostname, context.address, context.domain),
    Port: server.port,
    // Without an address the login name is only known if the template needs none.
    LoginName: fillPlaceholders(server.username, context.address, context.domain),
    DomainRequired: 'off',
    SPA: onOff(authentication.spa),
    SSL: onOff(ssl),
    Encryption: encryption,
    AuthRequired: onOff(authentication.authRequired),
    UsePOPAuth: isSmtp ? onOff(authentication.authRequired && server.username === incomingUsername) : undefined,
    SMTPLast: isSmtp ? onOff(authentication.smtpAfterPop) : undefined,
    TTL: context.ttlHours ?? DEFAULT_TTL_HOURS,
  };
}

/**
 * The servers Outlook is told about: per Type the provider's first choice that Outlook can
 * log in to. Outlook keeps one server per Type, so a second Protocol of the same Type
 * (SMTP 587, then 25) would only make it pick one by its own rules.
 */
export function outlookServers<T extends MailServer>(servers: readonly T[]): T[] {
  const chosen = new Map<string, T>();
  for (const server of servers) {
    if (!chosen.has(server.type) && firstExpressible(server.authentication, 'outlook')) chosen.set(server.type, server);
  }
  return [...chosen.values()];
}

/** The settings answer: one Protocol per Type, incoming first, in preference order. */
export function renderPoxSettings(provider: ProviderDefinition, context: PoxContext): string | undefined {
  const incoming = outlookServers<IncomingServer>(provider.incoming);
  const outgoing = outlookServers<OutgoingServer>(provider.outgoing);
  if (incoming.length === 0 || outgoing.length === 0) return undefined;
  const primaryIncomingUsername = incoming[0]?.username;
  return renderXml({
    Autodiscover: {
      [`${ATTRIBUTE}xmlns`]: NAMESPACES.response,
      Response: {
        [`${ATTRIBUTE}xmlns`]: NAMESPACES.outlookResponse,
        Account: {
          AccountType: 'email',
          Action: 'settings',
          Protocol: [
            ...incoming.map((server) => outlookProtocol(server, context)),
            ...outgoing.map((server) => outlookProtocol(server, context, primaryIncomingUsername)),
          ],
        },
      },
    },
  });
}

export interface PoxErrorDetails {
  readonly error: PoxError;
  /** Namespace of the Response element: the generic one, or the requested schema's (601). */
  readonly namespace?: string;
  readonly time: Date;
  /** Identifies this server in the error (MSDOC: a hash of the server name). */
  readonly serverId: string;
}

export function renderPoxError(details: PoxErrorDetails): string {
  return renderPoxErrorAt(details, poxErrorTime(details.time));
}

/** The error's Time attribute: the time of day to the 100 ns, as Exchange writes it. */
export function poxErrorTime(time: Date): string {
  return `${time.toISOString().slice(11, 23)}0000`;
}

/** The error document with its Time attribute as given (pox-template.ts puts a marker there). */
export function renderPoxErrorAt({ error, namespace = NAMESPACES.response, serverId }: Omit<PoxErrorDetails, 'time'>, time: string): string {
  return renderXml({
    Autodiscover: {
      [`${ATTRIBUTE}xmlns`]: NAMESPACES.response,
      Response: {
        [`${ATTRIBUTE}xmlns`]: namespace,
        Error: {
          [`${ATTRIBUTE}Time`]: time,
          [`${ATTRIBUTE}Id`]: serverId,
          ErrorCode: error.code,
          Message: error.message,
          DebugData: '',
        },
      },
    },
  });
}
