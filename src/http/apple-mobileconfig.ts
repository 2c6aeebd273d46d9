/**
 * Apple configuration profile downloads (docs/endpoints.md; routes.ts names the paths),
 * with the address in `emailaddress` or `email`. A profile is per
 * person, so the address is required; nothing fetches this URL by itself, people tap a
 * link, and the User-Agent decides nothing (iPadOS sends a
 * desktop one).
 */
import type { SigningIdentity } from '../config/signing';
import { MOBILECONFIG_CONTENT_TYPE, appleProfileRenderer, mobileconfigFileName } from '../formats/apple';
import { signCms } from '../formats/cms';
import { parseEmailAddress } from '../model/address';
import { perProvider } from '../registry';
import type { Answer } from './answer';
import { textError, unknownDomain } from './errors';
import { domainsUnavailable, whenHosted, type FindHosted } from './hosted';
import type { RequestView } from './request-view';

/** GET and HEAD of the profile paths (routes.ts); the route's answer kind keeps profiles out of caches. */
export function appleMobileconfigHandler(
  findHosted: FindHosted,
  /** The identity current when the request comes (reloads replace it); none: unsigned. */
  signing: () => SigningIdentity | undefined,
): (request: RequestView) => Answer | Promise<Answer> {
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
      return identity ? signCms(unsigned, identity).then(answer) : answer(unsigned);
    }, domainsUnavailable);
  };
}

/** Each provider's profile template (apple.ts); undefined when Apple Mail can use none of its servers. */
const profileRenderer = perProvider((provider) => appleProfileRenderer(provider.definition));
