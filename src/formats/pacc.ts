/**
 * PACC, draft-ietf-mailmaint-pacc (protocols.md §9.4): the per-domain JSON document at
 * `https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json`, and the
 * DNS TXT record with its SHA-256 digest that clients check before trusting it.
 *
 * PACC has no port, TLS or username member: a client assumes implicit TLS on the default
 * port and the email address as the login. A server is therefore listed only when it is
 * exactly that; anything else would make the client connect wrongly.
 */
import { createHash } from 'node:crypto';
import { PLACEHOLDERS, hasPlaceholder, substitutePlaceholders } from '../model/address';
import {
  DEFAULT_PORTS,
  type AuthenticationMethod,
  type MailServer,
  type ProviderDefinition,
} from '../model/provider';

export const PACC_PATH = '/.well-known/user-agent-configuration.json';
export const PACC_CONTENT_TYPE = 'application/json; charset=utf-8';
/** The host clients ask: PACC's own name in front of the email domain. */
export const PACC_HOST_PREFIX = 'ua-auto-config.';

const PASSWORD_METHODS: readonly AuthenticationMethod[] = ['password-cleartext', 'password-encrypted'];

/**
 * The document for `domain`, as the exact bytes to serve and to hash: compact JSON whose
 * member order is fixed by construction, so the published digest stays valid until the
 * definition changes.
 */
export function renderPacc(provider: ProviderDefinition, domain: string): string {
  const issuer = oauthIssuer(provider);
  const usable = (server: MailServer) => usableServer(server, domain, issuer !== undefined);
  const imap = provider.incoming.find((server) => server.type === 'imap' && usable(server));
  const pop3 = provider.incoming.find((server) => server.type === 'pop3' && usable(server));
  const smtp = provider.outgoing.find(usable);
  const jmap = provider.otherIncoming.find((server) => server.type === 'jmap' && server.url?.startsWith('https://'));
  const listed = [imap, pop3, smtp].filter((server) => server !== undefined);
  const documentation = provider.documentation[0]?.url;
  const { logo, contact } = provider;

  return JSON.stringify({
    protocols: {
      jmap: jmap?.url === undefined ? undefined : { url: substitutePlaceholders(jmap.url, undefined, domain) },
      imap: imap && { host: substitutePlaceholders(imap.hostname, undefined, domain) },
      pop3: pop3 && { host: substitutePlaceholders(pop3.hostname, undefined, domain) },
      smtp: smtp && { host: substitutePlaceholders(smtp.hostname, undefined, domain) },
    },
    authentication: {
      'oauth-public': issuer && { issuer },
      password: listed.some((server) => server.authentication.some((method) => PASSWORD_METHODS.includes(method))),
    },
    info: {
      provider: {
        name: provider.displayName,
        shortName: provider.displayShortName,
        logo: logo.length === 0 ? undefined : logo.map(({ url, contentType, width, height }) => ({ url, 'content-type': contentType, width, height })),
      },
      help:
        documentation === undefined && contact.length === 0
          ? undefined
          : { documentation, contact: contact.length === 0 ? undefined : contact },
    },
  });
}

/**
 * Whether a client that knows only the host name would reach this server correctly:
 * implicit TLS, the default port, the address as login, a host name that depends on the
 * domain at most, and a way in that PACC can announce.
 */
function usableServer(server: MailServer, domain: string, oauthAnnounced: boolean): boolean {
  return (
    server.socketType === 'SSL' &&
    server.port === DEFAULT_PORTS[server.type].SSL &&
    server.username === PLACEHOLDERS.address &&
    !hasPlaceholder(substitutePlaceholders(server.hostname, undefined, domain)) &&
    server.authentication.some((method) => PASSWORD_METHODS.includes(method) || (oauthAnnounced && method === 'OAuth2'))
  );
}

/**
 * PACC needs an RFC 8414 issuer: an https URL without query or fragment. Mozilla's
 * `issuer` is often a bare host name, which is not one, so only URL-shaped issuers are
 * announced.
 */
function oauthIssuer(provider: ProviderDefinition): string | undefined {
  const issuer = provider.oAuth2?.issuer;
  if (issuer === undefined || !URL.canParse(issuer)) return undefined;
  const url = new URL(issuer);
  return url.protocol === 'https:' && url.search === '' && url.hash === '' ? issuer : undefined;
}

/** Base64 (standard, padded) SHA-256 of the exact bytes served. */
export function paccDigest(document: string | Uint8Array): string {
  return createHash('sha256').update(document).digest('base64');
}
