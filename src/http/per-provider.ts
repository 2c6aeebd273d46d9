/**
 * Values derived from a hosted provider (a prepared document, a template), made on first
 * use and kept with the provider object: a reload builds new provider objects, so they
 * start afresh, and the old values go with the old provider directory.
 */
import { MAX_DOMAIN_LENGTH } from '../model/domain';
import type { HostedProvider } from '../model/provider-directory';
import { rememberRecent } from '../model/recent-results';

export function perProvider<T>(make: (provider: HostedProvider) => T): (provider: HostedProvider) => T {
  const made = new WeakMap<HostedProvider, { readonly value: T }>();
  return (provider) => {
    let entry = made.get(provider);
    if (!entry) made.set(provider, (entry = { value: make(provider) }));
    return entry.value;
  };
}

/**
 * Domains a database may assign to one provider beyond its file's, whose per-domain values
 * are kept at once: a database can name millions, so those are remembered within a bound.
 */
const DATABASE_DOMAINS_REMEMBERED = 10_000;

/**
 * perProvider for values that also depend on which of the provider's domains was asked
 * for: one per domain of its file, plus up to DATABASE_DOMAINS_REMEMBERED recent ones a
 * database assigned to it (`domain` is always one the files or the database host).
 */
export function perProviderAndDomain<T>(make: (provider: HostedProvider, domain: string) => T): (provider: HostedProvider, domain: string) => T {
  const byDomain = perProvider((provider) =>
    rememberRecent((domain) => make(provider, domain), provider.definition.domains.length + DATABASE_DOMAINS_REMEMBERED, MAX_DOMAIN_LENGTH),
  );
  return (provider, domain) => byDomain(provider)(domain);
}
