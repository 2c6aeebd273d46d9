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
  forEachParameter(req.originalUrl, (key, value) => {
    if (!params.has(key)) params.set(key, value);
    return false;
  });
  return params;
}

/** The first parameter named `name` (lower case), as rawQuery reads it, without reading the others. */
export function queryParameter(url: string, name: string): string | null | undefined {
  let found: string | null | undefined;
  forEachParameter(url, (key, value) => {
    if (key !== name) return false;
    found = value;
    return true;
  });
  return found;
}

/** Calls `visit` with each parameter's lower-cased key and value, in order, until it returns true. */
function forEachParameter(url: string, visit: (key: string, value: string | null) => boolean): void {
  let start = url.indexOf('?') + 1;
  if (start === 0) return;
  while (start <= url.length) {
    let end = url.indexOf('&', start);
    if (end === -1) end = url.length;
    if (end > start) {
      const equals = url.indexOf('=', start);
      const keyEnd = equals === -1 || equals > end ? end : equals;
      const key = decodePercent(url.slice(start, keyEnd))?.toLowerCase();
      if (key !== undefined && visit(key, keyEnd === end ? '' : decodePercent(url.slice(keyEnd + 1, end)))) return;
    }
    start = end + 1;
  }
}

function decodePercent(text: string): string | null {
  const escape = text.indexOf('%');
  if (escape === -1) return text;
  // Clients escape the @ of an address and nothing else; that needs no general decoder
  // (and slicing is quicker than replaceAll, which showed in the profile of every request).
  if (text.startsWith('%40', escape) && text.indexOf('%', escape + 3) === -1) {
    return `${text.slice(0, escape)}@${text.slice(escape + 3)}`;
  }
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
