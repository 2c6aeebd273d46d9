/**
 * Which provider serves a domain when domains come from both the provider files and a
 * database: the files first (they are the admin's explicit word and cost nothing), then
 * the database's cache, then a query. The answer is synchronous whenever no query is
 * needed, so the request path only goes async for a domain it has not seen lately.
 */
import type { DiscoveryPrefix } from '../model/discovery-hosts';
import type { HostedProvider, ProviderDirectory } from '../model/provider-directory';
import { DomainSourceUnavailable, type DatabaseDomainSource } from './database-source';
import { parseDiscoveryName } from './tls-ask';

export type HostedDomain = { readonly provider: HostedProvider; readonly domain: string } | undefined;

/**
 * The provider for the first of `domainKeys` hosted by the files or the database. A
 * promise only when the database must be asked; it rejects with DomainSourceUnavailable
 * (and nothing else) when the database cannot tell in time.
 */
export function findHostedDomain(providerDirectory: ProviderDirectory, source: DatabaseDomainSource | undefined, domainKeys: readonly (string | undefined)[]): HostedDomain | Promise<HostedDomain> {
  const fromFiles = providerDirectory.find(...domainKeys);
  if (fromFiles !== undefined || source === undefined) return fromFiles;
  const peeked = source.peek(domainKeys);
  if (peeked.cached) return withProvider(providerDirectory, peeked.match);
  return source.lookup(domainKeys).then((match) => withProvider(providerDirectory, match));
}

function withProvider(providerDirectory: ProviderDirectory, match: { readonly providerId: string; readonly domain: string } | undefined): HostedDomain {
  if (match === undefined) return undefined;
  const provider = providerDirectory.provider(match.providerId);
  return provider === undefined ? undefined : { provider, domain: match.domain };
}

/** A discovery name Caddy asked about: which protocol's name it is, and the hosted domain it names. */
export interface TlsAskTarget {
  readonly prefix: DiscoveryPrefix;
  readonly hosted: NonNullable<HostedDomain>;
}

/**
 * Caddy's `ask` for `name` against files and database: the hosted domain `name` is a
 * discovery name of, or undefined. A database that cannot answer gives undefined (Caddy
 * asks again on the next handshake) rather than failing.
 */
export async function tlsAskTarget(name: string, providerDirectory: ProviderDirectory, source: DatabaseDomainSource | undefined): Promise<TlsAskTarget | undefined> {
  const parsed = parseDiscoveryName(name);
  if (parsed === undefined) return undefined;
  try {
    const hosted = await findHostedDomain(providerDirectory, source, [parsed.domain]);
    return hosted === undefined ? undefined : { prefix: parsed.prefix, hosted };
  } catch (error) {
    if (error instanceof DomainSourceUnavailable) return undefined;
    throw error;
  }
}
