/**
 * What each client format can say about a server's security and its way of logging in:
 * one row per config-v1.1 socket type and authentication method, one column per format.
 * Every renderer and the setup page read their mapping here, so a client's TLS or
 * password rule lives in one place (docs/endpoints.md shows this table as a matrix).
 * `undefined` in a column means the format cannot express that value: a server that
 * needs it is left out of that format.
 */
import type { AuthenticationMethod, SocketType } from './provider';

/** Outlook POX: the SSL flag and the Encryption element of a Protocol. */
export type OutlookEncryption = 'SSL' | 'TLS' | 'None';

export interface SocketCapability {
  /** config-v1.1 `<socketType>` token (Thunderbird matches it exactly). */
  readonly mozilla: SocketType;
  readonly outlook: { readonly ssl: boolean; readonly encryption: OutlookEncryption };
  /**
   * Apple's `…UseSSL`. It has no STARTTLS variant: with it on, Mail negotiates STARTTLS on
   * 587/143 (Apple's own iCloud settings list SMTP 587 with SSL required), and with it off
   * the profile could not require encryption at all. So only `plain` is off.
   */
  readonly appleUseSsl: boolean;
  /** PACC has no port or TLS member: clients assume implicit TLS on the default port. */
  readonly pacc: boolean;
  /** What the setup page calls it, and what other programs call the same option. */
  readonly words: string;
  readonly otherNames: string;
}

export const SOCKET_CAPABILITIES: Record<SocketType, SocketCapability> = {
  SSL: {
    mozilla: 'SSL',
    outlook: { ssl: true, encryption: 'SSL' },
    appleUseSsl: true,
    pacc: true,
    words: 'SSL/TLS from the start',
    otherNames: '“SSL”, “SSL/TLS” or “TLS”',
  },
  STARTTLS: {
    mozilla: 'STARTTLS',
    outlook: { ssl: true, encryption: 'TLS' },
    appleUseSsl: true,
    pacc: false,
    words: 'STARTTLS',
    otherNames: '“STARTTLS” or “TLS”',
  },
  plain: {
    mozilla: 'plain',
    outlook: { ssl: false, encryption: 'None' },
    appleUseSsl: false,
    pacc: false,
    words: 'none',
    otherNames: '“None”',
  },
};

/** How Outlook is told about one method: SPA means NTLM to Outlook, so it is on for NTLM only. */
export interface OutlookAuthentication {
  readonly spa: boolean;
  readonly authRequired: boolean;
  readonly smtpAfterPop: boolean;
}

export type AppleAuthentication = 'EmailAuthNone' | 'EmailAuthPassword' | 'EmailAuthCRAMMD5' | 'EmailAuthNTLM';

export interface AuthenticationCapability {
  /** Whether Thunderbird keeps an incoming / outgoing server offering only this method. */
  readonly thunderbird: { readonly incoming: boolean; readonly outgoing: boolean };
  readonly outlook?: OutlookAuthentication;
  readonly apple?: AppleAuthentication;
  /** PACC's `authentication` member: `password: true`, or an `oauth-public` issuer. */
  readonly pacc?: 'password' | 'oauth-public';
  /** Whether the person types the mailbox password for it (the setup page's password advice). */
  readonly mailboxPassword: boolean;
  readonly words: string;
}

const noLogin = { spa: false, authRequired: false, smtpAfterPop: false } as const;

export const AUTHENTICATION_CAPABILITIES: Record<AuthenticationMethod, AuthenticationCapability> = {
  'password-cleartext': {
    thunderbird: { incoming: true, outgoing: true },
    outlook: { spa: false, authRequired: true, smtpAfterPop: false },
    apple: 'EmailAuthPassword',
    pacc: 'password',
    mailboxPassword: true,
    words: 'normal password',
  },
  'password-encrypted': {
    thunderbird: { incoming: true, outgoing: true },
    // Outlook has no CRAM-MD5 switch; SPA would make it try NTLM, which these servers lack.
    outlook: { spa: false, authRequired: true, smtpAfterPop: false },
    apple: 'EmailAuthCRAMMD5',
    pacc: 'password',
    mailboxPassword: true,
    words: 'encrypted password (CRAM-MD5 and similar)',
  },
  NTLM: {
    thunderbird: { incoming: true, outgoing: true },
    outlook: { spa: true, authRequired: true, smtpAfterPop: false },
    apple: 'EmailAuthNTLM',
    mailboxPassword: true,
    words: 'NTLM (Windows sign-in)',
  },
  GSSAPI: {
    thunderbird: { incoming: true, outgoing: true },
    mailboxPassword: false,
    words: 'Kerberos / GSSAPI (single sign-on)',
  },
  'client-IP-address': {
    thunderbird: { incoming: false, outgoing: true },
    outlook: noLogin,
    apple: 'EmailAuthNone',
    mailboxPassword: false,
    words: 'none: the server recognises your network',
  },
  'TLS-client-cert': {
    thunderbird: { incoming: false, outgoing: false },
    mailboxPassword: false,
    words: 'TLS client certificate',
  },
  OAuth2: {
    // Only for hosts built into Thunderbird; for any other host the server is dropped.
    thunderbird: { incoming: false, outgoing: false },
    pacc: 'oauth-public',
    mailboxPassword: false,
    words: 'OAuth2: sign in on the provider’s web page',
  },
  none: {
    thunderbird: { incoming: false, outgoing: true },
    outlook: noLogin,
    apple: 'EmailAuthNone',
    mailboxPassword: false,
    words: 'none',
  },
  'smtp-after-pop': {
    thunderbird: { incoming: false, outgoing: true },
    outlook: { spa: false, authRequired: false, smtpAfterPop: true },
    apple: 'EmailAuthNone',
    mailboxPassword: false,
    words: 'none, but check incoming mail first (SMTP after POP)',
  },
};

/** The first of `methods` (in preference order) that `format` can express, with what it says. */
export function firstExpressible<K extends 'outlook' | 'apple' | 'pacc'>(
  methods: readonly AuthenticationMethod[],
  format: K,
): { method: AuthenticationMethod; value: NonNullable<AuthenticationCapability[K]> } | undefined {
  for (const method of methods) {
    const value = AUTHENTICATION_CAPABILITIES[method][format];
    if (value !== undefined) return { method, value: value as NonNullable<AuthenticationCapability[K]> };
  }
  return undefined;
}

/** Whether any of `methods` logs in with the mailbox password. */
export function usesMailboxPassword(methods: readonly AuthenticationMethod[]): boolean {
  return methods.some((method) => AUTHENTICATION_CAPABILITIES[method].mailboxPassword);
}
