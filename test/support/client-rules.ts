/**
 * How real clients read our documents, written from what docs/endpoints.md says of each
 * client (what-thunderbird-accepts, pox-settings, apple-configuration-profiles), not from our serialisers: tests judge our output by what these readers take
 * from it.
 */
import { parseXml } from './app';

export interface ClientServer {
  type: string;
  hostname: string;
  port: number;
  socketType: string;
  authentication: string;
  username: string;
}

const TB_INCOMING_TYPES = new Set(['pop3', 'imap', 'nntp', 'exchange']);
const TB_SOCKET_TYPES = new Set(['plain', 'SSL', 'STARTTLS']);
// OAuth2 only counts for hosts compiled into Thunderbird, which ours are not (docs/endpoints.md#what-thunderbird-accepts).
const TB_INCOMING_AUTH = new Set(['password-cleartext', 'password-encrypted', 'NTLM', 'GSSAPI', 'plain', 'secure']);
const TB_OUTGOING_AUTH = new Set([...TB_INCOMING_AUTH, 'none', 'client-IP-address', 'smtp-after-pop']);
const HOSTNAME = /^[A-Za-z0-9.%-]+$/;

export function thunderbirdAcceptsContentType(contentType: string | undefined): boolean {
  return /^(text\/xml|application\/xml|text\/rdf)/.test(contentType ?? '');
}

/**
 * Thunderbird's readFromXML: what it keeps of a config-v1.1 document, in order. Throws
 * where Thunderbird rejects the whole file.
 */
export function readAsThunderbird(xml: string): {
  id: string;
  domains: string[];
  incoming: ClientServer[];
  outgoing: ClientServer[];
  dropped: string[];
} {
  const provider = parseXml(xml).clientConfig?.emailProvider;
  if (!provider) throw new Error('no clientConfig/emailProvider');
  const id: string = provider['@id'];
  if (!HOSTNAME.test(id ?? '')) throw new Error(`emailProvider id ${JSON.stringify(id)} is not hostname-shaped (docs/endpoints.md#what-thunderbird-accepts)`);
  const domains: string[] = (provider.domain ?? []).filter((domain: unknown) => typeof domain === 'string' && HOSTNAME.test(domain));
  if (domains.length === 0) throw new Error('no valid domain (docs/endpoints.md#what-thunderbird-accepts)');
  const dropped: string[] = [];
  const read = (server: any, allowedTypes: Set<string>, allowedAuth: Set<string>): ClientServer | undefined => {
    const label = `${server['@type']} ${server.hostname}:${server.port}`;
    const authentication = (server.authentication ?? []).find((value: string) => allowedAuth.has(value));
    const port = Number(server.port);
    const ok =
      allowedTypes.has(server['@type']) &&
      typeof server.hostname === 'string' &&
      HOSTNAME.test(server.hostname) &&
      String(port) === server.port &&
      port >= 1 &&
      port <= 65535 &&
      TB_SOCKET_TYPES.has(server.socketType) &&
      authentication !== undefined &&
      // A missing username becomes the string "undefined" (docs/endpoints.md#what-thunderbird-accepts); whitespace is not trimmed (docs/endpoints.md#what-thunderbird-accepts).
      typeof server.username === 'string' &&
      server.username.trim() === server.username &&
      server.username !== '';
    if (!ok) {
      dropped.push(label);
      return undefined;
    }
    return { type: server['@type'], hostname: server.hostname, port, socketType: server.socketType, authentication, username: server.username };
  };
  const incoming = (provider.incomingServer ?? []).map((s: any) => read(s, TB_INCOMING_TYPES, TB_INCOMING_AUTH)).filter(Boolean);
  // An outgoing server without <username> takes the incoming server's login (AccountConfig).
  const withLogin = (s: any) => (s.username === undefined && incoming[0] ? { ...s, username: incoming[0].username } : s);
  const outgoing = (provider.outgoingServer ?? []).map((s: any) => read(withLogin(s), new Set(['smtp']), TB_OUTGOING_AUTH)).filter(Boolean);
  if (incoming.length === 0 || outgoing.length === 0) throw new Error(`no usable incoming or outgoing server (docs/endpoints.md#what-thunderbird-accepts); dropped: ${dropped.join(', ')}`);
  return { id, domains, incoming, outgoing, dropped };
}

/** The elements of one POX Protocol, as strings. */
export type PoxProtocol = Record<string, string>;

/** Account/Protocol elements of a POX answer, checking the envelope Outlook expects. */
export function poxProtocols(xml: string): PoxProtocol[] {
  const root = parseXml(xml).Autodiscover;
  if (root?.['@xmlns'] !== 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006') throw new Error('wrong root namespace');
  const response = root.Response;
  if (response?.['@xmlns'] !== 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a') {
    throw new Error('wrong Response namespace');
  }
  const account = response.Account;
  if (account?.AccountType !== 'email' || account?.Action !== 'settings') throw new Error('Account is not email/settings');
  return account.Protocol as PoxProtocol[];
}

/** The error code and namespace of a POX error answer. */
export function poxError(xml: string): { code: string; namespace: string; message: string } {
  const root = parseXml(xml).Autodiscover;
  if (root?.['@xmlns'] !== 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006') throw new Error('wrong root namespace');
  const error = root.Response?.Error;
  if (!error) throw new Error(`not an error answer: ${xml}`);
  return { code: String(error.ErrorCode), namespace: root.Response['@xmlns'], message: error.Message };
}

/** Outlook's reading of a Protocol: absent SPA, SSL and AuthRequired mean "on" (docs/endpoints.md#pox-settings). */
export function readAsOutlook(protocol: PoxProtocol) {
  const flag = (name: string) => (protocol[name] ?? 'on').toLowerCase() === 'on';
  return { spa: flag('SPA'), ssl: flag('SSL'), authRequired: flag('AuthRequired'), encryption: protocol.Encryption };
}

/** Thunderbird's reading of a Protocol (docs/endpoints.md#pox-settings): socketType from SSL/Encryption and the port. */
export function readPoxAsThunderbird(protocol: PoxProtocol): { socketType: string; authentication: string } {
  const plain = protocol.SSL?.toLowerCase() === 'off' || protocol.Encryption?.toLowerCase() === 'none';
  const port = Number(protocol.Port);
  const socketType = plain ? 'plain' : [143, 110, 25, 587].includes(port) ? 'STARTTLS' : 'SSL';
  return { socketType, authentication: protocol.SPA === 'on' ? 'password-encrypted' : 'password-cleartext' };
}

const APPLE_AUTHENTICATION = ['EmailAuthNone', 'EmailAuthPassword', 'EmailAuthCRAMMD5', 'EmailAuthNTLM', 'EmailAuthHTTPMD5'];

/**
 * The rules of Apple's profile schema (docs/endpoints.md#apple-configuration-profiles): required keys, types and
 * allowed values, and nothing we do not mean to send (no passwords, docs/endpoints.md#apple-configuration-profiles).
 */
export function expectValidMailProfile(profile: any): any {
  expect(profile).toEqual(
    expect.objectContaining({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: expect.stringMatching(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/),
      PayloadUUID: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/),
      PayloadDisplayName: expect.any(String),
      PayloadOrganization: expect.any(String),
    }),
  );
  expect(profile.PayloadContent).toHaveLength(1);
  const [mail] = profile.PayloadContent;
  expect(mail).toEqual(
    expect.objectContaining({
      PayloadType: 'com.apple.mail.managed',
      PayloadVersion: 1,
      PayloadIdentifier: `${profile.PayloadIdentifier}.mail`,
      PayloadUUID: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/),
      EmailAccountType: expect.stringMatching(/^EmailType(IMAP|POP)$/),
      IncomingMailServerHostName: expect.any(String),
      OutgoingMailServerHostName: expect.any(String),
      IncomingMailServerUseSSL: expect.any(Boolean),
      OutgoingMailServerUseSSL: expect.any(Boolean),
      OutgoingPasswordSameAsIncomingPassword: expect.any(Boolean),
    }),
  );
  expect(mail.PayloadUUID).not.toBe(profile.PayloadUUID);
  expect(APPLE_AUTHENTICATION).toContain(mail.IncomingMailServerAuthentication);
  expect(APPLE_AUTHENTICATION).toContain(mail.OutgoingMailServerAuthentication);
  for (const key of ['IncomingMailServerPortNumber', 'OutgoingMailServerPortNumber']) {
    expect(Number.isInteger(mail[key]) && mail[key] >= 1 && mail[key] <= 65535).toBe(true);
  }
  expect(Object.keys(mail).filter((key) => /Password$/.test(key) && key !== 'OutgoingPasswordSameAsIncomingPassword')).toEqual([]);
  expect(JSON.stringify(profile)).not.toMatch(/%[A-Z]+%/);
  return mail;
}
