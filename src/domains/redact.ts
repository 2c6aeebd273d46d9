/**
 * The database URL carries the password; everything we log, report in health or put in an
 * error goes through here first.
 */

/** The URL with its password replaced by `***` (also a `password=` query parameter). */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    // Not a URL we can take apart: say nothing of what it holds beyond its scheme.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/).*$/i, '$1***');
  }
}

/** The passwords a URL holds, raw and percent-decoded, so that messages can be scrubbed of them. */
function secretsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    const raw = [parsed.password, parsed.searchParams.get('password') ?? ''].filter((secret) => secret !== '');
    return [...new Set([url, ...raw, ...raw.map(safeDecode)])].filter((secret) => secret.length > 0);
  } catch {
    return [url];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `message` with the URL and its password, wherever they occur, replaced. */
export function redactSecrets(message: string, url: string): string {
  let scrubbed = message;
  // Longest first, so the whole URL goes before its password alone.
  for (const secret of secretsOf(url).sort((a, b) => b.length - a.length)) {
    scrubbed = scrubbed.split(secret).join(secret === url ? redactDatabaseUrl(url) : '***');
  }
  return scrubbed;
}
