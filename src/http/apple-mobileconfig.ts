/**
 * Apple configuration profile downloads (docs/endpoints.md; routes.ts names the paths),
 * with the address in `emailaddress` or `email`. A profile is per
 * person, so the address is required; nothing fetches this URL by itself, people tap a
 * link, and the User-Agent decides nothing (iPadOS sends a
 * desktop one).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_SIGNED_PROFILE_CACHE_ENTRIES } from '../config/settings';
import type { SigningIdentity } from '../model/signing-identity';
import { ExpiringLruCache } from '../domains/lru-cache';
import { MOBILECONFIG_CONTENT_TYPE, appleProfileRenderer, mobileconfigFileName } from '../formats/apple/profile';
import { signCms } from '../formats/apple/cms';
import { parseEmailAddress } from '../model/address';
import type { HostedProvider } from '../model/provider-directory';
import { perProvider } from './per-provider';
import type { Answer } from './answer';
import { textError, unknownDomain } from './errors';
import { domainsUnavailable, whenHosted, type FindHosted } from './hosted';
import type { RequestView } from './request-view';

/** GET and HEAD of the profile paths (routes.ts); the route's answer kind keeps profiles out of caches. */
export function appleMobileconfigHandler(
  findHosted: FindHosted,
  /** The identity current when the request comes (reloads replace it); none: unsigned. */
  signing: () => SigningIdentity | undefined,
  signedProfileCacheEntries: number = DEFAULT_SIGNED_PROFILE_CACHE_ENTRIES,
): (request: RequestView) => Answer | Promise<Answer> {
  const signed = signedProfiles(signedProfileCacheEntries);
  return (request) => {
    const query = request.query;
    const given = query.has('emailaddress') ? query.get('emailaddress') : query.get('email');
    if (given === undefined || given === '') {
      return textError(400, 'An email address is required, for example ?emailaddress=you@example.com');
    }
    const address = given === null ? undefined : parseEmailAddress(given);
    if (!address) return textError(400, 'Invalid email address');
    return whenHosted(findHosted(address.domainKey), (found) => {
      if (!found) return unknownDomain();
      const render = profileRenderer(found.provider);
      if (render === undefined) return textError(404, 'No IMAP or POP3 and SMTP settings that Apple Mail can use');
      const unsigned = render(address);
      const headers: [string, string][] = [['Content-Disposition', `attachment; filename="${mobileconfigFileName(address.domainKey)}"`]];
      // A Buffer, so no charset parameter is added to Apple's media type.
      const answer = (body: Buffer): Answer => ({ status: 200, contentType: MOBILECONFIG_CONTENT_TYPE, headers, body });
      const identity = signing();
      return identity ? signed(found.provider, identity, unsigned).then(answer) : answer(unsigned);
    }, domainsUnavailable);
  };
}

/** Each provider's profile template (formats/apple/profile.ts); undefined when Apple Mail can use none of its servers. */
const profileRenderer = perProvider((provider) => appleProfileRenderer(provider.definition));

interface SignedProfile {
  readonly provider: HostedProvider;
  readonly identity: SigningIdentity;
  readonly bytes: Promise<Buffer>;
}

/**
 * Signing costs far more than rendering (docs/performance.md#choices-in-the-code), so
 * anyone sending GETs could spend our CPU on it: the signed bytes of recent profiles are
 * kept, up to `entries`, keyed by the hash of the unsigned profile (the address is in it,
 * so one entry per address). An entry counts only for the provider object and signing
 * identity it was made with, which a reload or a new key replaces. A stream of distinct
 * addresses still signs each one.
 */
function signedProfiles(entries: number) {
  const cache = new ExpiringLruCache<SignedProfile>(entries);
  return (provider: HostedProvider, identity: SigningIdentity, unsigned: Buffer): Promise<Buffer> => {
    const key = createHash('sha256').update(unsigned).digest('base64');
    const kept = cache.get(key)?.value;
    if (kept && kept.provider === provider && kept.identity === identity) return kept.bytes;
    const bytes = signCms(unsigned, identity);
    cache.set(key, { provider, identity, bytes }, Number.POSITIVE_INFINITY);
    // A failed signature is not kept: the next request tries again.
    bytes.catch(() => cache.delete(key));
    return bytes;
  };
}
