/**
 * `mail-autoconfig probe <domain|address>`: connects to every server the definition for
 * that domain advertises and reports what a mail client would meet there, so an admin
 * finds a wrong port, an expired certificate or a missing STARTTLS before their users do.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseEmailAddress } from '../model/address';
import { toDomainKey } from '../model/domain';
import { DEFAULT_PROBE_TIMEOUT_MS, probeProvider, type ServerProbe } from '../probe/probe';
import { EXIT, loadProviderHosting, parseCommandArgs, usageError, type CliIo } from './io';

export const PROBE_USAGE = `usage: mail-autoconfig probe <domain|address> [--timeout MS] [--ca FILE] [--connect-to HOST=IP] [--json] [--config DIR]

Connects to every incoming and outgoing server the domain's provider definition lists
and reports, per server: TCP reachability, the TLS handshake (implicit TLS or STARTTLS as
configured), whether the certificate is trusted, covers the host name and when it
expires, and the greeting (POP3 +OK, IMAP * OK, SMTP 220 and the AUTH mechanisms EHLO
lists). With an address, %EMAILLOCALPART%-style host names are filled in from it. No
credentials are ever sent.

  --timeout MS          deadline for each step: connect, handshake, each answer (default ${DEFAULT_PROBE_TIMEOUT_MS})
  --ca FILE             also trust the CA certificates in FILE (PEM); repeatable
  --connect-to HOST=IP  connect to IP for HOST (name still used for SNI and the
                        certificate check), e.g. to test a new server before DNS; repeatable
  --json                print the results as JSON
  --config DIR          configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  -h, --help            show this help

Exit status: 0 every server works, 1 a server has a problem (or bad config), 2 wrong usage.
Example: mail-autoconfig probe fred@example.com
`;

export async function probeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      usage: PROBE_USAGE,
      options: {
        timeout: { type: 'string' },
        ca: { type: 'string', multiple: true },
        'connect-to': { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
      positionals: true,
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const [subject, ...extra] = parsed.positionals;
  if (subject === undefined) return usageError('which domain or address? (mail-autoconfig probe <domain|address>)', PROBE_USAGE, io);
  if (extra.length > 0) return usageError(`unexpected argument ${JSON.stringify(extra[0])}`, PROBE_USAGE, io);
  const address = subject.includes('@') ? parseEmailAddress(subject) : undefined;
  const domain = subject.includes('@') ? address?.domainKey : toDomainKey(subject);
  if (!domain) return usageError(`not a domain name or email address: ${JSON.stringify(subject)}`, PROBE_USAGE, io);

  const timeoutText = typeof parsed.values.timeout === 'string' ? parsed.values.timeout : String(DEFAULT_PROBE_TIMEOUT_MS);
  const timeoutMs = Number(timeoutText);
  if (!/^\d{1,6}$/.test(timeoutText) || timeoutMs < 1 || timeoutMs > 120_000) {
    return usageError(`--timeout must be 1..120000 milliseconds, got ${JSON.stringify(timeoutText)}`, PROBE_USAGE, io);
  }
  const connectTo = new Map<string, string>();
  for (const mapping of listValue(parsed.values['connect-to'])) {
    const [host = '', ip = '', ...rest] = mapping.split('=');
    const hostKey = toDomainKey(host);
    if (!hostKey || isIP(ip) === 0 || rest.length > 0) return usageError(`--connect-to wants HOST=IP, got ${JSON.stringify(mapping)}`, PROBE_USAGE, io);
    connectTo.set(hostKey, ip);
  }
  const extraCa: string[] = [];
  for (const file of listValue(parsed.values.ca)) {
    try {
      extraCa.push(await readFile(file, 'utf8'));
    } catch (error) {
      return usageError(`--ca ${file}: ${(error as Error).message}`, PROBE_USAGE, io);
    }
  }

  const found = await loadProviderHosting(parsed.configDir, domain, io);
  if (typeof found === 'number') return found;

  const results = await probeProvider(found.provider.definition, domain, address, { timeoutMs, extraCa, connectTo });
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ domain, provider: found.provider.definition.id, servers: results }, null, 2)}\n`);
  } else {
    io.stdout(`probing ${domain} (provider ${found.provider.definition.id})\n`);
    for (const result of results) io.stdout(formatProbe(result));
  }
  return results.every((result) => result.problems.length === 0) ? EXIT.ok : EXIT.failure;
}

function listValue(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}

function formatProbe(result: ServerProbe): string {
  const lines = [`${result.role} ${result.type} ${result.hostname}:${result.port} ${result.socketType}: ${result.problems.length === 0 ? 'ok' : 'FAILED'}`];
  lines.push(`  tcp: ${result.tcp.ok ? 'connected' : `failed (${result.tcp.error ?? ''})`}`);
  if (result.tls) lines.push(`  tls: ${result.tls.ok ? `handshake ok (${result.tls.protocol ?? '?'})` : `failed (${result.tls.error ?? ''})`}`);
  const certificate = result.certificate;
  if (certificate) {
    lines.push(
      `  certificate: ${certificate.subject} issued by ${certificate.issuer}, valid until ${certificate.validTo} (${Math.floor(certificate.daysLeft)} days), ` +
        `${certificate.trusted ? 'trusted' : `not trusted (${certificate.trustError ?? '?'})`}, ` +
        `${certificate.matchesHostname ? 'covers the host name' : 'does not cover the host name'}`,
    );
  }
  if (result.greeting) lines.push(`  greeting: ${result.greeting.line !== undefined ? JSON.stringify(result.greeting.line) : `none (${result.greeting.error ?? ''})`}`);
  if (result.authMechanisms) lines.push(`  auth: ${result.authMechanisms.length > 0 ? result.authMechanisms.join(' ') : 'none offered'}`);
  for (const problem of result.problems) lines.push(`  problem: ${problem}`);
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
