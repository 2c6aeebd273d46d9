/**
 * What a request says about who is asking: its raw query parameters and the domain its
 * Host names. Shared by every protocol router; they take an Express request or a
 * RequestView (request-view.ts), which name these fields alike.
 */
import { domainFromHost, toDomainKey } from '../model/domain';

/**
 * Query parameters decoded the way mail clients encode them: `%XX` escapes only, with a
 * literal `+` kept (FairEmail and Nine send `fred+tag@…` raw; a form decoder would turn
 * the `+` into a space, fixtures README quirk 4). Keys are lower-cased; the first of
 * repeated parameters wins. A value with a broken escape is `null`.
 */
export function rawQuery(req: { readonly originalUrl: string }): Map<string, string | null> {
  const params = new Map<string, string | null>();
  const url = req.originalUrl;
  const start = url.indexOf('?');
  if (start === -1) return params;
  for (const pair of url.slice(start + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decodePercent(equals === -1 ? pair : pair.slice(0, equals))?.toLowerCase();
    if (key === undefined || key === null || params.has(key)) continue;
    params.set(key, equals === -1 ? '' : decodePercent(pair.slice(equals + 1)));
  }
  return params;
}

function decodePercent(text: string): string | null {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The hosted domain named by the Host header (X-Forwarded-Host from a trusted proxy), without `prefix`. */
export function hostDomain(
  req: { readonly hostname: string | undefined },
  prefix: 'autoconfig.' | 'autodiscover.' | 'ua-auto-config.'): string | undefined {
  return domainFromHost(req.hostname, prefix);
}

/**
 * The host name clients used to reach us, if it is a DNS name (not an IP address, which
 * no certificate would cover); nothing else from the Host header is ever reflected.
 */
export function publicHost(req: { readonly hostname: string | undefined }): string | undefined {
  const host = req.hostname ? toDomainKey(req.hostname) : undefined;
  return host === undefined || /\.\d+$|^\d+$/.test(host) ? undefined : host;
}
