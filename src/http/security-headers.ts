/**
 * Security headers, as one fixed list computed once.
 *
 * Every answer but the setup page is a document that a mail client reads and no browser
 * renders (XML, JSON, a profile, a plain-text error). For those, helmet's defaults are
 * mostly about browsing contexts (cross-origin isolation, DNS prefetching, Flash, IE8
 * downloads), so they get the short list that OWASP's REST Security cheat sheet gives for
 * API responses instead: no content may load or frame it, no sniffing, HTTPS only, no
 * referrer. Each header costs bytes and time on every answer of the hot paths (issue 7),
 * and helmet's twelve doubled the size of an autoconfig answer's head.
 *
 * The setup page is a real page: its router sets helmet's full set over these
 * (setup-page.ts), with a policy of its own.
 */
import type { HeaderList } from './answer';

export const DOCUMENT_SECURITY_HEADERS: readonly string[] = [
  'Content-Security-Policy',
  "default-src 'none'; frame-ancestors 'none'",
  'Strict-Transport-Security',
  'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options',
  'nosniff',
  'X-Frame-Options',
  'DENY',
  'Referrer-Policy',
  'no-referrer',
];

export function addSecurityHeaders(headers: HeaderList): void {
  for (const field of DOCUMENT_SECURITY_HEADERS) headers.push(field);
}
