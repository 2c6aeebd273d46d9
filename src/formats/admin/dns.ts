/**
 * The DNS records an admin publishes for a hosted domain (docs/endpoints.md#dns-records): the
 * `autoconfig.`/`autodiscover.`/`ua-auto-config.` names pointing at this server, the
 * `_autodiscover._tcp` SRV record Outlook falls back to, the PACC digest record (docs/endpoints.md#pacc-digest),
 * and the RFC 6186/8314 SRV records for the mail servers themselves, with `.` as the
 * target of services the provider does not offer. Only records that lead to an answer:
 * the PACC names are left out, with the reason, for a domain PACC gets a 404 for.
 * Pure: definition + domain + target → records → BIND zone lines or JSON.
 */
import { isIP } from 'node:net';
import { substitutePlaceholders } from '../../model/address';
import { AUTODISCOVER_HOST_PREFIX, DISCOVERY_PREFIXES, PACC_HOST_PREFIX } from '../../model/discovery-hosts';
import type { MailServer, ProviderDefinition, ServerType, SocketType } from '../../model/provider';
import { paccDigest, paccUnavailableReason, renderPacc } from '../pacc/pacc';

export const DEFAULT_TTL = 3600;
/** Clients build https://<target>/autodiscover/autodiscover.xml and ignore the port (docs/endpoints.md#where-outlook-looks); 443 says what we mean. */
const AUTODISCOVER_SRV_PORT = 443;

export type DnsRecord =
  | { readonly name: string; readonly ttl: number; readonly type: 'CNAME'; readonly target: string }
  | { readonly name: string; readonly ttl: number; readonly type: 'A' | 'AAAA'; readonly address: string }
  | { readonly name: string; readonly ttl: number; readonly type: 'TXT'; readonly value: string }
  | {
      readonly name: string;
      readonly ttl: number;
      readonly type: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      /** A host name with its trailing dot, or `.` for "not offered". */
      readonly target: string;
    };

/**
 * RFC 6186 services in the order admins usually read them, implicit TLS first (RFC 8314),
 * with the definition's server type and the socket types each one carries.
 */
const MAIL_SERVICES: readonly { label: string; type: ServerType; socketTypes: readonly SocketType[] }[] = [
  { label: '_imaps', type: 'imap', socketTypes: ['SSL'] },
  { label: '_pop3s', type: 'pop3', socketTypes: ['SSL'] },
  { label: '_submissions', type: 'smtp', socketTypes: ['SSL'] },
  { label: '_submission', type: 'smtp', socketTypes: ['STARTTLS', 'plain'] },
  { label: '_imap', type: 'imap', socketTypes: ['STARTTLS', 'plain'] },
  { label: '_pop3', type: 'pop3', socketTypes: ['STARTTLS', 'plain'] },
];

/** Names deliberately not published for a domain, and why (a comment for the admin). */
export interface LeftOutRecords {
  readonly names: readonly string[];
  readonly reason: string;
}

export interface DnsZone {
  readonly records: readonly DnsRecord[];
  readonly leftOut: readonly LeftOutRecords[];
}

export interface DnsOptions {
  /** Where `autoconfig.<domain>` and `autodiscover.<domain>` point: a host name (CNAME) or an IP address (A/AAAA). */
  readonly target: string;
  readonly ttl?: number;
}

export function dnsRecords(definition: ProviderDefinition, domain: string, { target, ttl = DEFAULT_TTL }: DnsOptions): DnsZone {
  const records: DnsRecord[] = [];
  const leftOut: LeftOutRecords[] = [];
  const family = isIP(target);
  // A domain whose servers PACC cannot describe is served no document (a 404), so neither
  // the name clients fetch it from nor the digest of it may be published.
  const pacc = renderPacc(definition, domain);
  if (pacc === undefined) {
    leftOut.push({ names: [absolute(`${PACC_HOST_PREFIX}${domain}`), paccDigestName(domain)], reason: `clients would get 404 there: ${paccUnavailableReason(definition, domain)}` });
  }
  for (const prefix of DISCOVERY_PREFIXES) {
    if (prefix === PACC_HOST_PREFIX && pacc === undefined) continue;
    const name = absolute(`${prefix}${domain}`);
    if (family === 0) records.push({ name, ttl, type: 'CNAME', target: absolute(target) });
    else records.push({ name, ttl, type: family === 4 ? 'A' : 'AAAA', address: target });
  }
  // An SRV target must not be an alias (RFC 2782): the server's own name, or with an IP
  // target the autodiscover name that now has an address record.
  records.push({
    name: absolute(`_autodiscover._tcp.${domain}`),
    ttl,
    type: 'SRV',
    priority: 0,
    weight: 0,
    port: AUTODISCOVER_SRV_PORT,
    target: family === 0 ? absolute(target) : absolute(`${AUTODISCOVER_HOST_PREFIX}${domain}`),
  });
  // PACC clients read the document only if its SHA-256 matches this record.
  if (pacc !== undefined) records.push(paccDigestRecord(domain, pacc, ttl));

  for (const service of MAIL_SERVICES) {
    const name = absolute(`${service.label}._tcp.${domain}`);
    const servers = service.type === 'smtp' ? definition.outgoing : definition.incoming;
    const offered = new Map<string, DnsRecord>();
    servers.forEach((server: MailServer, index) => {
      if (server.type !== service.type || !service.socketTypes.includes(server.socketType)) return;
      const host = absolute(substitutePlaceholders(server.hostname, undefined, domain).toLowerCase());
      const key = `${host}:${server.port}`;
      // The position in the definition is the preference, so IMAP-before-POP3 carries over.
      if (!offered.has(key)) offered.set(key, { name, ttl, type: 'SRV', priority: index, weight: 0, port: server.port, target: host });
    });
    if (offered.size > 0) records.push(...offered.values());
    else records.push({ name, ttl, type: 'SRV', priority: 0, weight: 0, port: 0, target: '.' });
  }
  return { records, leftOut };
}

/** The TXT record PACC clients check the document against (`_ua-auto-config.<domain>`). */
export function paccDigestRecord(domain: string, document: string | Uint8Array, ttl = DEFAULT_TTL): Extract<DnsRecord, { type: 'TXT' }> {
  return { name: paccDigestName(domain), ttl, type: 'TXT', value: `v=UAAC1; a=sha256; d=${paccDigest(document)}` };
}

function paccDigestName(domain: string): string {
  return absolute(`_ua-auto-config.${domain}`);
}

/** BIND zone-file lines: a comment for each name left out, then one line per record. */
export function renderZone({ records, leftOut }: DnsZone): string {
  // A comment runs to the end of its line, so a reason must never carry a line break into the zone.
  const comments = leftOut.map(({ names, reason }) => `; not published: ${names.join(' ')}: ${reason.replace(/[\r\n]+/g, ' ')}\n`);
  return comments.join('') + records.map((record) => `${record.name}\t${record.ttl}\tIN\t${record.type}\t${recordData(record)}\n`).join('');
}

function recordData(record: DnsRecord): string {
  switch (record.type) {
    case 'CNAME':
      return record.target;
    case 'A':
    case 'AAAA':
      return record.address;
    case 'SRV':
      return `${record.priority} ${record.weight} ${record.port} ${record.target}`;
    case 'TXT':
      // The digest's base64 has no quotes or backslashes to escape.
      return `"${record.value}"`;
  }
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
