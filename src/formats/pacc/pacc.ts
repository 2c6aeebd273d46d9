/**
 * PACC, draft-ietf-mailmaint-pacc (docs/endpoints.md#pacc): the per-domain JSON document at
 * `https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json`, and the
 * DNS TXT record with its SHA-256 digest that clients check before trusting it.
 *
 * PACC has no port, TLS or username member: a client assumes implicit TLS on the default
 * port and the email address as the login. A server is therefore listed only when it is
 * exactly that; anything else would make the client connect wrongly.
 */
import { createHash } from 'node:crypto';
import { PLACEHOLDERS, hasPlaceholder, substitutePlaceholders } from '../../model/address';
import { AUTHENTICATION_CAPABILITIES, SOCKET_CAPABILITIES } from '../../model/client-capabilities';
import { readableName } from '../../model/display-name';
import { DEFAULT_PORTS, type MailServer, type ProviderDefinition } from '../../model/provider';

export const PACC_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The draft's limits on the provider's names (MUST ≤60 and ≤20 characters). */
const MAX_NAME = 60;
const MAX_SHORT_NAME = 20;

/**
 * The document for `domain`, as the exact bytes to serve and to hash: compact JSON whose
 * member order is fixed by construction, so the published digest stays valid until the
 * definition changes. Undefined when PACC can carry none of the provider's servers: a
 * document with empty `protocols` would tell a client there is nothing to connect to.
 */
export function renderPacc(provider: ProviderDefinition, domain: string): string | undefined {
  const issuer = oauthIssuer(provider);
  const usable = (server: MailServer) => paccRefusal(server, domain, issuer !== undefined) === undefined;
  const imap = provider.incoming.find((server) => server.type === 'imap' && usable(server));
  const pop3 = provider.incoming.find((server) => server.type === 'pop3' && usable(server));
  const smtp = provider.outgoing.find(usable);
  const jmap = provider.otherIncoming.find((server) => server.type === 'jmap' && server.url?.startsWith('https://'));
  if (!imap && !pop3 && !smtp && !jmap) return undefined;
  const listed = [imap, pop3, smtp].filter((server) => server !== undefined);
  const documentation = provider.documentation[0]?.url;
  const { logo, contact } = provider;
  const name = readableName(provider.displayName, undefined, domain);
  const shortName = provider.displayShortName === undefined ? undefined : readableName(provider.displayShortName, undefined, domain);

  return JSON.stringify({
    protocols: {
      jmap: jmap?.url === undefined ? undefined : { url: substitutePlaceholders(jmap.url, undefined, domain) },
      imap: imap && { host: substitutePlaceholders(imap.hostname, undefined, domain) },
      pop3: pop3 && { host: substitutePlaceholders(pop3.hostname, undefined, domain) },
      smtp: smtp && { host: substitutePlaceholders(smtp.hostname, undefined, domain) },
    },
    authentication: {
      'oauth-public': issuer && { issuer },
      password: listed.some((server) => server.authentication.some((method) => AUTHENTICATION_CAPABILITIES[method].pacc === 'password')),
    },
    info: {
      provider: {
        name: [...name].slice(0, MAX_NAME).join(''),
        // Optional, so left out rather than cut when it is longer than the draft allows.
        shortName: shortName !== undefined && [...shortName].length <= MAX_SHORT_NAME ? shortName : undefined,
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
 * Why a client that knows only the host name would not reach this server correctly, or
 * undefined when it would. PACC says nothing but the host: the client assumes implicit TLS
 * on the default port (993, 995, 465), the address as login, and a way in the document
 * announces (a password, or OAuth2 with an issuer).
 */
export function paccRefusal(server: MailServer, domain: string, oauthAnnounced: boolean): string | undefined {
  if (!SOCKET_CAPABILITIES[server.socketType].pacc) return `${server.socketType}: PACC clients use implicit TLS only`;
  const defaultPort = DEFAULT_PORTS[server.type].SSL;
  if (server.port !== defaultPort) return `port ${server.port}: PACC clients use ${defaultPort}`;
  if (server.username !== PLACEHOLDERS.address) return `login ${server.username}: PACC clients log in with the address`;
  if (hasPlaceholder(substitutePlaceholders(server.hostname, undefined, domain))) return `host ${server.hostname} depends on the address`;
  const announced = server.authentication.some((method) => {
    const pacc = AUTHENTICATION_CAPABILITIES[method].pacc;
    return pacc === 'password' || (pacc === 'oauth-public' && oauthAnnounced);
  });
  return announced ? undefined : `authentication ${server.authentication.join(', ')}: not a password, nor OAuth2 with an https issuer`;
}

/**
 * Why renderPacc has no document for `domain`, in one line for an admin: each of the
 * provider's servers with what keeps a PACC client from reaching it.
 */
export function paccUnavailableReason(provider: ProviderDefinition, domain: string): string {
  const oauthAnnounced = oauthIssuer(provider) !== undefined;
  const servers = [...provider.incoming, ...provider.outgoing].map(
    (server) => `${server.type} ${substitutePlaceholders(server.hostname, undefined, domain)}: ${paccRefusal(server, domain, oauthAnnounced) ?? 'usable'}`,
  );
  return `PACC can describe none of the provider's servers (${servers.join('; ')})`;
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
