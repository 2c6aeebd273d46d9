/**
 * Which provider hosts a domain, for the endpoints: the provider files, and the database
 * when one is configured (findHostedDomain). Without a database the finder is the
 * provider directory's synchronous lookup and nothing else, so a files-only server pays
 * nothing for it; with one, an answer is a promise only when the database must be asked.
 */
import { DomainSourceUnavailable, type DatabaseDomainSource } from '../domains/database-source';
import { findHostedDomain, type HostedDomain } from '../domains/hosted-domains';
import type { ProviderDirectory } from '../model/provider-directory';
import type { Answer } from './answer';
import { textError } from './errors';
import type { DomainLookupResult } from './metrics';
import type { RouteContext } from './route';

export type { HostedDomain };

/** The provider for the first of the domain keys that is hosted (a promise only when the database is asked). */
export type FindHosted = (first: string | undefined, second?: string) => HostedDomain | Promise<HostedDomain>;

export function hostedDomainFinder(providerDirectory: () => ProviderDirectory, source: DatabaseDomainSource | undefined, count?: (result: DomainLookupResult) => void): FindHosted {
  if (source === undefined) return (first, second) => providerDirectory().find(first, second);
  return (first, second) => {
    const found = findHostedDomain(providerDirectory(), source, [first, second]);
    if (!(found instanceof Promise)) {
      count?.(found === undefined ? 'miss' : 'hit');
      return found;
    }
    count?.('query');
    return found.catch((error: unknown) => {
      if (error instanceof DomainSourceUnavailable) count?.('unavailable');
      throw error;
    });
  };
}

/** The finder of a route's handler: the context's provider directory and database, counted in its metrics. */
export function hostedDomains({ providerDirectory, domainSource, metrics }: RouteContext): FindHosted {
  return hostedDomainFinder(providerDirectory, domainSource, domainSource && ((result) => metrics.recordDomainLookup(result)));
}

/**
 * `answer(found)`, at once when `found` is known and once it is otherwise; a database that
 * cannot tell gets `unavailable`'s answer instead (anything else stays an error, a 500).
 */
export function whenHosted(
  found: HostedDomain | Promise<HostedDomain>,
  answer: (found: HostedDomain) => Answer | Promise<Answer>,
  unavailable: (error: DomainSourceUnavailable) => Answer,
): Answer | Promise<Answer> {
  if (!(found instanceof Promise)) return answer(found);
  return found.then(answer, (error: unknown) => {
    if (error instanceof DomainSourceUnavailable) return unavailable(error);
    throw error;
  });
}

/** When the client may ask again; one place for the header of every 503 of an outage. */
export function retryAfter(error: DomainSourceUnavailable): readonly [string, string] {
  return ['Retry-After', String(error.retryAfterSeconds)];
}

/**
 * The 503 of the GET documents while the domain database cannot tell whether a domain is
 * hosted: not a 404, which clients would take as final, and kept by no cache
 * (docs/operations.md).
 */
export function domainsUnavailable(error: DomainSourceUnavailable): Answer {
  return textError(503, 'The hosted domains cannot be looked up right now; try again shortly', { headers: [retryAfter(error)], storable: false });
}
