/**
 * Caddy's on-demand TLS asks before it requests a certificate for a name it was sent (SNI):
 * `GET /tls/ask?domain=NAME`, 200 to go ahead. Only the discovery names of hosted domains
 * may get one, so nobody can make us request certificates for arbitrary names.
 */
import { DISCOVERY_PREFIXES, type DiscoveryPrefix } from '../model/discovery-hosts';
import { toDomainKey } from '../model/domain';

/** A discovery name taken apart: the protocol's prefix, and the hosted-domain candidate after it. */
export interface DiscoveryName {
  readonly prefix: DiscoveryPrefix;
  readonly domain: string;
}

/**
 * The prefix and hosted-domain candidate D when `name` is exactly `autoconfig.D`,
 * `autodiscover.D` or `ua-auto-config.D`, in canonical form (lower-case A-label, no
 * trailing dot); otherwise undefined. ASCII case is ignored, as in DNS; anything else
 * non-canonical is refused.
 */
export function parseDiscoveryName(name: string): DiscoveryName | undefined {
  const lowered = name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  if (toDomainKey(lowered) !== lowered) return undefined;
  const prefix = DISCOVERY_PREFIXES.find((candidate) => lowered.startsWith(candidate));
  if (prefix === undefined) return undefined;
  const domain = lowered.slice(prefix.length);
  return domain.includes('.') ? { prefix, domain } : undefined;
}

/** Whether Caddy may get a certificate for `name`: a discovery name of a domain `isHosted` accepts. */
export function tlsAskAllows(name: string, isHosted: (domain: string) => boolean): boolean {
  const parsed = parseDiscoveryName(name);
  return parsed !== undefined && isHosted(parsed.domain);
}
