/**
 * Query strings read the way mail clients write them: shared by every handler, through
 * RequestView (request-view.ts).
 */

/**
 * Query parameters decoded the way mail clients encode them: `%XX` escapes only, with a
 * literal `+` kept (FairEmail and Nine send `fred+tag@…` raw; a form decoder would turn
 * the `+` into a space). Keys are lower-cased; the first of
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
  // Clients escape the @ of an address and nothing else, on nearly every request, so that
  // case is sliced together without a general decoder (docs/performance.md#choices-in-the-code).
  if (text.startsWith('%40', escape) && text.indexOf('%', escape + 3) === -1) {
    return `${text.slice(0, escape)}@${text.slice(escape + 3)}`;
  }
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
