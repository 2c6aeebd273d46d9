/**
 * Apple configuration profiles (.mobileconfig, docs/endpoints.md#apple-configuration-profiles), installed by people on
 * iPhone, iPad and macOS: one `Configuration` profile with one `com.apple.mail.managed`
 * payload, for one address. Apple Mail discovers nothing by itself, so this is what a
 * "set up my iPhone" link downloads.
 */
import { hash } from 'node:crypto';
import { ADDRESS_PARTS, fillPlaceholders, substitutePlaceholders, type EmailAddress } from '../../model/address';
import { SOCKET_CAPABILITIES, firstExpressible, type AppleAuthentication } from '../../model/client-capabilities';
import { readableName } from '../../model/display-name';
import { type IncomingServer, type MailServer, type OutgoingServer, type ProviderDefinition } from '../../model/provider';
import { renderPlist } from './plist';
import { spliceTemplate } from '../common/splice-template';

export const MOBILECONFIG_CONTENT_TYPE = 'application/x-apple-aspen-config';

/** The download's file name; the domain is a lower-case A-label, safe in a header. */
export function mobileconfigFileName(domainKey: string): string {
  return `${domainKey}.mobileconfig`;
}

const ACCOUNT_TYPE: Record<IncomingServer['type'], string> = { imap: 'EmailTypeIMAP', pop3: 'EmailTypePOP' };

/**
 * Fixed namespace for profile UUIDs: UUIDv5 of `urn:mail-autoconfig:apple-profile` in the
 * RFC 9562 URL namespace. Never change it: installed profiles are replaced, not
 * duplicated, only while re-downloads carry the same identifiers (the golden profile of
 * test/apple-mobileconfig.test.ts holds them fixed).
 */
export const PROFILE_NAMESPACE = 'E91BC9B5-83C6-5CA9-879C-028FA3576A63';

const PROFILE_NAMESPACE_BYTES = Buffer.from(PROFILE_NAMESPACE.replaceAll('-', ''), 'hex');

/**
 * RFC 9562 UUIDv5 of `name` in PROFILE_NAMESPACE: the SHA-1 of the namespace's bytes and
 * the name, with the version and variant bits set, in upper case as Apple's tools write
 * UUIDs. A profile needs two per request, so the input is one buffer, hashed one-shot
 * straight into hex, which allocates least (docs/performance.md#choices-in-the-code).
 */
export function profileUuid(name: string): string {
  const input = Buffer.allocUnsafe(16 + Buffer.byteLength(name, 'utf8'));
  PROFILE_NAMESPACE_BYTES.copy(input);
  input.write(name, 16, 'utf8');
  const hex = hash('sha1', input, 'hex');
  // Version 5 is the first digit of byte 6; the variant's bits 10 lead byte 8.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

/** The identifiers of one address's profile, made from the provider and the address. */
interface ProfileIds {
  readonly profileUuid: string;
  readonly payloadUuid: string;
}

function profileIds(provider: ProviderDefinition, address: EmailAddress): ProfileIds {
  // The domain in its lookup form, so that FRED@Example.COM and fred@example.com differ
  // only where the local part does (local parts are case-sensitive in principle).
  const accountKey = `${provider.id}\n${address.localPart}@${address.domainKey}`;
  return {
    profileUuid: profileUuid(accountKey),
    payloadUuid: profileUuid(`${accountKey}\ncom.apple.mail.managed`),
  };
}

interface ProfileServers {
  readonly incoming: IncomingServer;
  readonly outgoing: OutgoingServer;
}

/** The servers a profile names: the first incoming and outgoing ones Apple Mail can log in to. */
function profileServers(provider: ProviderDefinition): ProfileServers | undefined {
  const incoming = provider.incoming.find((server) => appleAuthentication(server) !== undefined);
  const outgoing = provider.outgoing.find((server) => appleAuthentication(server) !== undefined);
  return incoming && outgoing ? { incoming, outgoing } : undefined;
}

/** Whether one password prompt does for both servers: they take the same login. */
function sameLogin({ incoming, outgoing }: ProfileServers, address: EmailAddress): boolean {
  return (
    appleAuthentication(outgoing) !== 'EmailAuthNone' &&
    substitutePlaceholders(outgoing.username, address) === substitutePlaceholders(incoming.username, address)
  );
}

/**
 * The profile for `address`, or undefined when the provider has no IMAP/POP3 server or
 * no SMTP server that Apple Mail can use. Identifiers depend only on the provider and the
 * address, so downloading the profile again replaces the installed one.
 */
export function renderAppleProfile(provider: ProviderDefinition, address: EmailAddress): string | undefined {
  const servers = profileServers(provider);
  return servers && renderProfile(provider, servers, address, profileIds(provider, address), sameLogin(servers, address));
}

/**
 * renderAppleProfile by splicing (shared/splice-template.ts): the profile differs between
 * addresses only in the address's parts and the identifiers. An address whose servers'
 * logins compare otherwise than the template's (the password-prompt key) is rendered in full.
 * test/apple-template.property.test.ts checks the result equals renderAppleProfile().
 */
export function appleProfileRenderer(provider: ProviderDefinition): ((address: EmailAddress) => Buffer) | undefined {
  const servers = profileServers(provider);
  if (!servers) return undefined;
  let templateSameLogin = false;
  const splice = spliceTemplate([...ADDRESS_PARTS, 'profileUuid', 'payloadUuid'], (marked) => {
    const address = { ...marked, domainKey: marked.domain };
    templateSameLogin = sameLogin(servers, address);
    return renderProfile(provider, servers, address, marked, templateSameLogin);
  })!;
  return (address) => {
    if (sameLogin(servers, address) !== templateSameLogin) {
      return Buffer.from(renderAppleProfile(provider, address)!, 'utf8');
    }
    const { profileUuid, payloadUuid } = profileIds(provider, address);
    // Written out rather than spread from two objects: under load, spread copies and what
    // they point to outlived the young generation (docs/performance.md#choices-in-the-code).
    return splice({ address: address.address, localPart: address.localPart, domain: address.domain, profileUuid, payloadUuid });
  };
}

function renderProfile(
  provider: ProviderDefinition,
  { incoming, outgoing }: ProfileServers,
  address: EmailAddress,
  { profileUuid, payloadUuid }: ProfileIds,
  oneLogin: boolean,
): string {
  const profileIdentifier = `${reverseDomain(provider.id)}.mail-autoconfig.${profileUuid}`;
  const name = readableName(provider.displayName, address, address.domain);
  const shortName = provider.displayShortName === undefined ? name : readableName(provider.displayShortName, address, address.domain);

  return renderPlist({
    PayloadContent: [
      {
        EmailAccountDescription: shortName,
        EmailAccountType: ACCOUNT_TYPE[incoming.type],
        EmailAddress: address.address,
        IncomingMailServerAuthentication: appleAuthentication(incoming)!,
        IncomingMailServerHostName: substitutePlaceholders(incoming.hostname, address),
        IncomingMailServerPortNumber: incoming.port,
        IncomingMailServerUseSSL: useSsl(incoming),
        IncomingMailServerUsername: knownLogin(incoming, address),
        OutgoingMailServerAuthentication: appleAuthentication(outgoing)!,
        OutgoingMailServerHostName: substitutePlaceholders(outgoing.hostname, address),
        OutgoingMailServerPortNumber: outgoing.port,
        OutgoingMailServerUseSSL: useSsl(outgoing),
        OutgoingMailServerUsername: knownLogin(outgoing, address),
        // One password prompt instead of two, when both servers take the same login.
        OutgoingPasswordSameAsIncomingPassword: oneLogin,
        PayloadDescription: `Mail account ${address.address}`,
        PayloadDisplayName: name,
        PayloadIdentifier: `${profileIdentifier}.mail`,
        PayloadType: 'com.apple.mail.managed',
        PayloadUUID: payloadUuid,
        PayloadVersion: 1,
      },
    ],
    PayloadDescription: `Mail settings for ${address.address}`,
    PayloadDisplayName: name,
    PayloadIdentifier: profileIdentifier,
    PayloadOrganization: name,
    PayloadType: 'Configuration',
    PayloadUUID: profileUuid,
    PayloadVersion: 1,
  });
}

/** The first of the server's methods a profile can name (model/client-capabilities.ts); OAuth2, GSSAPI and certificates cannot. */
function appleAuthentication(server: MailServer): AppleAuthentication | undefined {
  return firstExpressible(server.authentication, 'apple')?.value;
}

/** Apple's only TLS key, `UseSSL`, as the capability table maps the socket type (on for STARTTLS too). */
function useSsl(server: IncomingServer | OutgoingServer): boolean {
  return SOCKET_CAPABILITIES[server.socketType].appleUseSsl;
}

/** The login, or undefined (Mail then asks for it) when it holds a placeholder no address fills, such as %USERNAME%. */
function knownLogin(server: MailServer, address: EmailAddress): string | undefined {
  return fillPlaceholders(server.username, address);
}

/** `mail.example.com` → `com.example.mail`: Apple identifiers are reverse-DNS. */
function reverseDomain(domain: string): string {
  return domain.split('.').reverse().join('.');
}
