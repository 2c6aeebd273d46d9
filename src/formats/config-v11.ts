/**
 * The config-v1.1 vocabulary that the writer (mozilla.ts) and the ISPDB reader
 * (config/ispdb-reader.ts) share, so that what one writes the other reads back: the
 * autoconfig 1.2 attribute values that mark MX domains and SASL / HTTP mechanisms.
 */

/** `<domain purpose="mx">`: one of the provider's MX domains (model `mxDomains`). */
export const MX_PURPOSE = 'mx';
/** `<authentication system="sasl">`: one SASL mechanism (model `saslMechanisms`). */
export const SASL_SYSTEM = 'sasl';
/** `<authentication system="http">`: HTTP Basic or Digest on a URL-based server. */
export const HTTP_SYSTEM = 'http';

