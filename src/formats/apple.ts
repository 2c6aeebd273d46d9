/**
 * Apple configuration profiles (.mobileconfig, protocols.md §4), installed by people on
 * iPhone, iPad and macOS: one `Configuration` profile with one `com.apple.mail.managed`
 * payload, for one address. Apple Mail discovers nothing by itself, so this is what a
 * "set up my iPhone" link downloads.
 */
import { createHash } from 'node:crypto';
import { substitutePlaceholders, type EmailAddress } from '../model/address';
import {
  type AuthenticationMethod,
  type IncomingServer,
  type MailServer,
  type OutgoingServer,
  type ProviderDefinition,
} from '../model/provider';
import { renderPlist } from './plist';

export const MOBILECONFIG_CONTENT_TYPE = 'application/x-apple-aspen-config';

/** The download's file name; the domain is a lower-case A-label, safe in a header. */
export function mobileconfigFileName(domainKey: string): string {
  return `${domainKey}.mobileconfig`;
}

const ACCOUNT_TYPE: Record<IncomingServer['type'], string> = { imap: 'EmailTypeIMAP', pop3: 'EmailTypePOP' };

/**
 * config-v1.1 methods → Apple's authentication values (APPLE com.apple.mail.managed).
 * Servers that admit by address or after a POP login ask Apple Mail for nothing, hence
 * EmailAuthNone. OAuth2, GSSAPI and client certificates have no profile key: servers
 * offering only those are skipped.
 */
const APPLE_AUTHENTICATION: Partial<Record<AuthenticationMethod, string>> = {
  'password-cleartext': 'EmailAuthPassword',
  'password-encrypted': 'EmailAuthCRAMMD5',
  NTLM: 'EmailAuthNTLM',
  none: 'EmailAuthNone',
  'client-IP-address': 'EmailAuthNone',
  'smtp-after-pop': 'EmailAuthNone',
};

/**
 * Fixed namespace for profile UUIDs: UUIDv5 of `urn:mail-autoconfig:apple-profile` in the
 * RFC 9562 URL namespace. Never change it: installed profiles are replaced, not
 * duplicated, only while re-downloads carry the same identifiers.
 */
export const PROFILE_NAMESPACE = 'E91BC9B5-83C6-5CA9-879C-028FA3576A63';

/** RFC 9562 UUIDv5 (SHA-1 of namespace and name), upper-case as Apple's tools write them. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The profile for `address`, or undefined when the provider has no IMAP/POP3 server or
 * no SMTP server that Apple Mail can use. Identifiers depend only on the provider and the
 * address, so downloading the profile again replaces the installed one.
 */
export function renderAppleProfile(provider: ProviderDefinition, address: EmailAddress): string | undefined {
  const incoming = provider.incoming.find((server) => appleAuthentication(server) !== undefined);
  const outgoing = provider.outgoing.find((server) => appleAuthentication(server) !== undefined);
  if (!incoming || !outgoing) return undefined;

  // The domain in its lookup form, so that FRED@Example.COM and fred@example.com differ
  // only where the local part does (local parts are case-sensitive in principle).
  const accountKey = `${provider.id}\n${address.localPart}@${address.domainKey}`;
  const profileUuid = uuidV5(PROFILE_NAMESPACE, accountKey);
  const profileIdentifier = `${reverseDomain(provider.id)}.mail-autoconfig.${profileUuid}`;
  const incomingUsername = substitutePlaceholders(incoming.username, address);
  const outgoingUsername = substitutePlaceholders(outgoing.username, address);
  const incomingAuthentication = appleAuthentication(incoming)!;
  const outgoingAuthentication = appleAuthentication(outgoing)!;

  return renderPlist({
    PayloadContent: [
      {
        EmailAccountDescription: provider.displayShortName ?? provider.displayName,
        EmailAccountType: ACCOUNT_TYPE[incoming.type],
        EmailAddress: address.address,
        IncomingMailServerAuthentication: incomingAuthentication,
        IncomingMailServerHostName: substitutePlaceholders(incoming.hostname, address),
        IncomingMailServerPortNumber: incoming.port,
        IncomingMailServerUseSSL: usesImplicitTls(incoming),
        IncomingMailServerUsername: incomingUsername,
        OutgoingMailServerAuthentication: outgoingAuthentication,
        OutgoingMailServerHostName: substitutePlaceholders(outgoing.hostname, address),
        OutgoingMailServerPortNumber: outgoing.port,
        OutgoingMailServerUseSSL: usesImplicitTls(outgoing),
        OutgoingMailServerUsername: outgoingUsername,
        // One password prompt instead of two, when both servers take the same login.
        OutgoingPasswordSameAsIncomingPassword:
          outgoingAuthentication !== 'EmailAuthNone' && outgoingUsername === incomingUsername,
        PayloadDescription: `Mail account ${address.address}`,
        PayloadDisplayName: provider.displayName,
        PayloadIdentifier: `${profileIdentifier}.mail`,
        PayloadType: 'com.apple.mail.managed',
        PayloadUUID: uuidV5(PROFILE_NAMESPACE, `${accountKey}\ncom.apple.mail.managed`),
        PayloadVersion: 1,
      },
    ],
    PayloadDescription: `Mail settings for ${address.address}`,
    PayloadDisplayName: provider.displayName,
    PayloadIdentifier: profileIdentifier,
    PayloadOrganization: provider.displayName,
    PayloadType: 'Configuration',
    PayloadUUID: profileUuid,
    PayloadVersion: 1,
  });
}

function appleAuthentication(server: MailServer): string | undefined {
  return server.authentication.map((method) => APPLE_AUTHENTICATION[method]).find((value) => value !== undefined);
}

/**
 * UseSSL is Apple's only TLS key and has no STARTTLS variant (protocols.md §4.2, G29).
 * It is true only for implicit TLS, as MOX chose (`http/mobileconfig.go`): whether Apple
 * Mail meets `true` on a STARTTLS port with STARTTLS or with a TLS handshake the server
 * does not expect is unverified, and the second breaks the account outright. `false` on a
 * STARTTLS server keeps the account working; whether Apple Mail then upgrades on its own
 * is unverified too, which is why providers should list implicit-TLS servers first
 * (RFC 8314): the first usable server is the one chosen.
 */
function usesImplicitTls(server: IncomingServer | OutgoingServer): boolean {
  return server.socketType === 'SSL';
}

/** `mail.example.com` → `com.example.mail`: Apple identifiers are reverse-DNS. */
function reverseDomain(domain: string): string {
  return domain.split('.').reverse().join('.');
}
