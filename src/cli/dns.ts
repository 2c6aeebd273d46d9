/**
 * `mail-autoconfig dns <domain>`: prints the zone records to publish for a hosted domain,
 * in BIND syntax or as JSON, from the same provider definition the server answers with.
 */
import { isIP } from 'node:net';
import { DEFAULT_TTL, dnsRecords, renderZone } from '../formats/admin/dns';
import { toDomainKey } from '../model/domain';
import { EXIT, loadProviderHosting, parseCommandArgs, usageError, type CliIo } from './io';

export const DNS_USAGE = `usage: mail-autoconfig dns <domain> [--target HOST|IP] [--ttl SECONDS] [--json] [--config DIR]

Prints the DNS records to publish for a hosted domain: autoconfig.<domain>,
autodiscover.<domain> and ua-auto-config.<domain> pointing at this server, the
_autodiscover._tcp SRV record, the _ua-auto-config TXT digest of the PACC document, and the
RFC 6186/8314 SRV records (_imaps, _pop3s, _submissions, _submission, _imap, _pop3) for the
provider's servers, with target "." for services it does not offer. The two PACC records
are left out, with a comment saying why, when PACC can describe none of the servers.

  --target HOST|IP  where autoconfig./autodiscover. point: a host name gives CNAMEs, an
                    IPv4/IPv6 address gives A/AAAA records (default: autoconfig.<provider id>)
  --ttl SECONDS     TTL of every record (default ${DEFAULT_TTL})
  --json            print {domain, provider, records} as JSON instead of zone lines
  --config DIR      configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  -h, --help        show this help

Example: mail-autoconfig dns example.net --target autoconfig.hoster.example
`;

export async function dnsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    { usage: DNS_USAGE, options: { target: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } }, positionals: true },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const [domainArgument, ...extra] = parsed.positionals;
  if (domainArgument === undefined) return usageError('which domain? (mail-autoconfig dns <domain>)', DNS_USAGE, io);
  if (extra.length > 0) return usageError(`unexpected argument ${JSON.stringify(extra[0])}`, DNS_USAGE, io);
  const domain = toDomainKey(domainArgument);
  if (!domain) return usageError(`not a domain name: ${JSON.stringify(domainArgument)}`, DNS_USAGE, io);
  const ttlText = typeof parsed.values.ttl === 'string' ? parsed.values.ttl : String(DEFAULT_TTL);
  if (!/^\d{1,10}$/.test(ttlText) || Number(ttlText) > 2 ** 31 - 1) return usageError(`--ttl must be a number of seconds, got ${JSON.stringify(ttlText)}`, DNS_USAGE, io);

  const found = await loadProviderHosting(parsed.configDir, domain, io);
  if (typeof found === 'number') return found;

  const provider = found.provider.definition;
  const givenTarget = typeof parsed.values.target === 'string' ? parsed.values.target : undefined;
  const target = givenTarget === undefined ? `autoconfig.${provider.id}` : isIP(givenTarget) ? givenTarget : toDomainKey(givenTarget);
  if (!target) return usageError(`--target must be a host name or an IP address, got ${JSON.stringify(givenTarget)}`, DNS_USAGE, io);
  if (target === `autoconfig.${domain}` || target === `autodiscover.${domain}`) {
    // The default for the provider's own domain would point the name at itself.
    return usageError(`${domain} needs --target: the host name or address this server is reached at`, DNS_USAGE, io);
  }

  const zone = dnsRecords(provider, domain, { target, ttl: Number(ttlText) });
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ domain, provider: provider.id, records: zone.records, leftOut: zone.leftOut }, null, 2)}\n`);
  } else {
    io.stdout(`; mail-autoconfig records for ${domain} (provider ${provider.id})\n${renderZone(zone)}`);
  }
  return EXIT.ok;
}
