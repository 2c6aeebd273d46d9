/**
 * The canonical provider definition: one description per mail provider from which every
 * client format is derived. Field names follow Mozilla's config-v1.1 vocabulary
 * (docs/endpoints.md#mozilla-autoconfig). This zod schema is the single source of truth for the model and
 * its types; defaults are applied here, once, at load time.
 */
import { z } from 'zod';
import { PLACEHOLDERS, withSamplePlaceholders } from './address';
import { toDomainKey } from './domain';

export const SOCKET_TYPES = ['SSL', 'STARTTLS', 'plain'] as const;
export type SocketType = (typeof SOCKET_TYPES)[number];

/** config-v1.1 authentication values (docs/configuration.md#authentication-methods), in their canonical spelling. */
export const AUTHENTICATION_METHODS = [
  'password-cleartext',
  'password-encrypted',
  'NTLM',
  'GSSAPI',
  'client-IP-address',
  'TLS-client-cert',
  'OAuth2',
  'none',
  'smtp-after-pop',
] as const;
export type AuthenticationMethod = (typeof AUTHENTICATION_METHODS)[number];

export type ServerType = 'imap' | 'pop3' | 'smtp';

/**
 * Incoming servers that are not POP3 or IMAP: autoconfig 1.2's URL-based access (jmap,
 * ews, activeSync, graph; docs/endpoints.md#autoconfig-draft-additions) and the
 * Exchange-family entries of ISPDB files (exchange, owa;
 * docs/configuration.md#mozilla-ispdb-files). They live in their own list,
 * `otherIncoming`, so that only the Mozilla output passes them on and no other format can
 * mistake them for a mail server; config-v1.1 clients skip incoming types they do not know.
 */
export const OTHER_INCOMING_TYPES = ['jmap', 'ews', 'activeSync', 'graph', 'exchange', 'owa'] as const;

/** HTTP authentication for URL-based servers (1.2 `<authentication system="http">`). */
export const HTTP_AUTHENTICATION_METHODS = ['Basic', 'Digest'] as const;
export type HttpAuthenticationMethod = (typeof HTTP_AUTHENTICATION_METHODS)[number];

/** The port a server listens on when the definition does not say (IANA assignments, RFC 8314). */
export const DEFAULT_PORTS: Record<ServerType, Record<SocketType, number>> = {
  imap: { SSL: 993, STARTTLS: 143, plain: 143 },
  pop3: { SSL: 995, STARTTLS: 110, plain: 110 },
  smtp: { SSL: 465, STARTTLS: 587, plain: 25 },
};

// Hostnames and URLs may carry placeholders (mail.%EMAILDOMAIN%, https://login.%EMAILDOMAIN%/
// in ISPDB files), so they are checked with the placeholders replaced by a sample label.
const withSampleLabels = (value: string) => withSamplePlaceholders(value, 'placeholder');

const hostname = z.string().trim().refine((value) => toDomainKey(withSampleLabels(value)) !== undefined, {
  message: 'must be a host name (letters, digits, hyphens and dots; placeholders allowed)',
});

const port = z
  .number({
    error: (issue) =>
      // A quoted port ("993") is text in YAML and JSON; the fix is to drop the quotes.
      typeof issue.input === 'string' && /^\d+$/.test(issue.input)
        ? `must be a number from 1 to 65535, got the text ${JSON.stringify(issue.input)}: write it without quotes`
        : `must be a number from 1 to 65535, got ${JSON.stringify(issue.input)}`,
  })
  .int({ error: (issue) => `must be a whole number 1..65535, got ${String(issue.input)}` })
  .refine((value) => value >= 1 && value <= 65535, {
    error: (issue) => `must be 1..65535, got ${String(issue.input)}`,
  });

const portsFor = (socket: SocketType) => Object.values(DEFAULT_PORTS).map((ports) => ports[socket]).join(', ');
/** Other software says "TLS" for either kind of encryption; which one is meant shows in the port. */
const TLS_MEANING = `did you mean SSL or STARTTLS? SSL is implicit TLS, encrypted from the first byte (usually ports ${portsFor('SSL')}); STARTTLS connects in plain and then upgrades (usually ${portsFor('STARTTLS')})`;

const socketType = z.enum(SOCKET_TYPES, {
  error: (issue) =>
    `must be one of ${SOCKET_TYPES.join(', ')} (exact case), got ${JSON.stringify(issue.input)}${/^(ssl\/)?tls$/i.test(String(issue.input)) ? `; ${TLS_MEANING}` : ''}`,
});

const authenticationMethod = z.enum(AUTHENTICATION_METHODS, {
  error: (issue) => `must be one of ${AUTHENTICATION_METHODS.join(', ')}, got ${JSON.stringify(issue.input)}`,
});

/** One method or an ordered list of them, most preferred first; a password by default. */
const authentication = z
  .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(authenticationMethod).min(1, 'must list at least one method'))
  .default(['password-cleartext']);

const httpUrl = z.url({ protocol: /^https?$/ });
const url = z.string().trim().refine((value) => httpUrl.safeParse(withSampleLabels(value)).success, {
  message: 'must be an http(s) URL (placeholders allowed)',
});

/** An image that clients fetch and show with the account (PACC `info.provider.logo`). */
const logo = z.strictObject({
  url: z.url({ protocol: /^https$/, error: 'must be an https URL: clients fetch it' }),
  contentType: z.string().regex(/^image\/[A-Za-z0-9.+-]+$/, 'must be an image media type, such as image/svg+xml or image/png'),
  /** In pixels; leave both out for SVG. */
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});

/** Where the provider's technical team is reached (PACC `info.help.contact`). */
const contactUri = z.string().trim().regex(/^(?:mailto:|tel:|https:\/\/)\S+$/, 'must be a mailto:, tel: or https: URI');

/**
 * Text in several languages: `{ en: "...", de: "..." }`, a plain string for one unnamed
 * language, or a list of `{ lang?, text }` when some entries name no language or a
 * language repeats (both occur in ISPDB files).
 */
const localisedText = z
  .union([
    z.string().transform((text) => [{ text }]),
    z.array(z.strictObject({ lang: z.string().trim().min(1).optional(), text: z.string() })).min(1),
    z.record(z.string(), z.string()),
  ])
  .transform((value) =>
    Array.isArray(value)
      ? (value as { lang?: string; text: string }[])
      : Object.entries(value).map(([lang, text]) => ({ lang, text })),
  );

const pop3Options = z.strictObject({
  leaveMessagesOnServer: z.boolean().optional(),
  downloadOnBiff: z.boolean().optional(),
  daysToLeaveMessagesOnServer: z.number().int().min(0).optional(),
  checkIntervalMinutes: z.number().int().min(1).optional(),
});

/**
 * The login; when left out, the address for incoming servers and the first incoming
 * server's login for outgoing ones (Thunderbird copies the incoming user name too).
 */
const username = z.string().trim().min(1).optional();

/** RFC 4422 §3.1 mechanism names: upper-case letters, digits, hyphen, underscore; 1..20 characters. */
const saslMechanism = z.string().regex(/^[A-Z0-9_-]{1,20}$/, 'must be a SASL mechanism name such as SCRAM-SHA-256');

const serverFields = {
  hostname,
  port: port.optional(),
  socketType,
  username,
  authentication,
  /**
   * Autoconfig 1.2 `<authentication system="sasl">`: specific SASL mechanisms, offered
   * before `authentication`, which stays the generic fallback the draft asks for.
   */
  saslMechanisms: z.array(saslMechanism).min(1).optional(),
  useGlobalPreferredServer: z.boolean().optional(),
};

const otherIncomingServer = z
  .strictObject({
    type: z.enum(OTHER_INCOMING_TYPES, {
      error: (issue) => `must be one of ${OTHER_INCOMING_TYPES.join(', ')}, got ${JSON.stringify(issue.input)}`,
    }),
    /** Autoconfig 1.2: the service URL (jmap session, EWS endpoint, ...). */
    url: url.optional(),
    /** ISPDB `type="exchange"`: Exchange's own URLs, and sometimes a host. */
    owaURL: url.optional(),
    ewsURL: url.optional(),
    easURL: url.optional(),
    hostname: hostname.optional(),
    port: port.optional(),
    socketType: socketType.optional(),
    username: z.string().trim().min(1).optional(),
    /** Most preferred first; HTTP `Basic`/`Digest` are written with `system="http"`. */
    authentication: z
      .array(
        z.enum([...AUTHENTICATION_METHODS, ...HTTP_AUTHENTICATION_METHODS], {
          error: (issue) =>
            `must be one of ${[...AUTHENTICATION_METHODS, ...HTTP_AUTHENTICATION_METHODS].join(', ')}, got ${JSON.stringify(issue.input)}`,
        }),
      )
      .min(1)
      .optional(),
    useGlobalPreferredServer: z.boolean().optional(),
  })
  .refine((server) => [server.hostname, server.url, server.owaURL, server.ewsURL, server.easURL].some(Boolean), {
    message: 'needs a url (or owaURL, ewsURL, easURL, hostname)',
  });

const incomingServer = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('imap'), ...serverFields }),
    z.strictObject({ type: z.literal('pop3'), ...serverFields, pop3: pop3Options.optional() }),
  ],
  {
    error: (issue) =>
      `must be imap or pop3 (other types go in otherIncoming), got ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}`,
  },
);

const outgoingServer = z.strictObject({
  type: z.literal('smtp', { error: (issue) => `must be smtp, got ${JSON.stringify(issue.input)}` }).default('smtp'),
  ...serverFields,
  restriction: z.literal('client-IP-address').optional(),
  addThisServer: z.boolean().optional(),
});

const domainName = z.string().transform((value, ctx) => {
  const key = toDomainKey(value);
  if (key === undefined) ctx.addIssue({ code: 'custom', message: `not a valid domain name: ${JSON.stringify(value)}` });
  return key ?? value;
});

const fieldRef = z.strictObject({ id: z.string().optional(), name: z.string().optional() });

export const providerSchema = z
  .strictObject({
    // Thunderbird rejects the whole file when the id is not hostname-shaped (docs/endpoints.md#what-thunderbird-accepts).
    id: z.string().trim().refine((value) => toDomainKey(value) !== undefined, {
      message: 'must be hostname-shaped (usually the primary domain)',
    }),
    // No upper limit: Thunderbird has none; lengths above the draft's guideline are warnings (config/warnings.ts).
    displayName: z.string().trim().min(1).optional(),
    displayShortName: z.string().trim().min(1).optional(),
    domains: z.array(domainName).min(1, 'must list at least one domain'),
    /** The provider's MX domains (autoconfig 1.2 `<domain purpose="mx">`), for clients' MX lookup. */
    mxDomains: z.array(domainName).min(1).optional(),
    incoming: z.array(incomingServer).min(1, 'must list at least one incoming server'),
    outgoing: z.array(outgoingServer).min(1, 'must list at least one outgoing server'),
    /** Servers that are not POP3/IMAP, after `incoming` in preference; in Mozilla output only. */
    otherIncoming: z.array(otherIncomingServer).default([]),
    documentation: z.array(z.strictObject({ url, descr: localisedText.optional() })).default([]),
    /** Images of the provider's logo, in the order a client should try them. */
    logo: z.array(logo).default([]),
    /** For client developers and other admins rather than end users (the PACC draft's words). */
    contact: z.array(contactUri).default([]),
    enable: z
      .strictObject({ visitUrl: url.optional(), instruction: localisedText.optional() })
      .optional(),
    webMail: z
      .strictObject({
        loginPage: url.optional(),
        loginPageInfo: z
          .strictObject({
            url,
            /** Wait for a redirect to a URL with this prefix before filling in the form (ISPDB t-online.de). */
            waitForRedirectionURLPrefix: url.optional(),
            username: z.string().optional(),
            usernameField: fieldRef.optional(),
            passwordField: fieldRef.optional(),
            loginButton: fieldRef.optional(),
          })
          .optional(),
      })
      .optional(),
    inputFields: z
      .array(z.strictObject({ key: z.string().regex(/^[A-Za-z0-9_-]+$/), label: z.string(), value: z.string().optional() }))
      .default([]),
    oAuth2: z
      .strictObject({
        issuer: z.string().min(1),
        scope: z.string().min(1),
        authURL: url,
        tokenURL: url,
        clientID: z.string().optional(),
        clientSecret: z.string().optional(),
      })
      .optional(),
    clientConfigUpdate: url.optional(),
  })
  .transform((provider) => {
    const incoming = provider.incoming.map((server) => withDefaults(server, PLACEHOLDERS.address));
    return {
      ...provider,
      id: toDomainKey(provider.id) ?? provider.id,
      displayName: provider.displayName ?? provider.id,
      domains: [...new Set(provider.domains)],
      incoming,
      outgoing: provider.outgoing.map((server) => withDefaults(server, incoming[0]?.username ?? PLACEHOLDERS.address)),
    };
  });

function withDefaults<T extends { type: ServerType; socketType: SocketType; port?: number; username?: string }>(
  server: T,
  defaultUsername: string,
): T & { port: number; username: string } {
  return { ...server, port: server.port ?? DEFAULT_PORTS[server.type][server.socketType], username: server.username ?? defaultUsername };
}

/** What a provider file says, before defaults. */
export type ProviderInput = z.input<typeof providerSchema>;
/** A validated provider definition with every default applied. */
export type ProviderDefinition = z.output<typeof providerSchema>;
export type IncomingServer = ProviderDefinition['incoming'][number];
export type OutgoingServer = ProviderDefinition['outgoing'][number];
export type MailServer = IncomingServer | OutgoingServer;
export type OtherIncomingServer = ProviderDefinition['otherIncoming'][number];
export type LocalisedText = { lang?: string; text: string }[];
