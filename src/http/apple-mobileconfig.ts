/**
 * Apple configuration profile downloads (protocols.md §4.4): `/mobileconfig` and any
 * `/<name>.mobileconfig`, with the address in `emailaddress` or `email`. A profile is per
 * person, so the address is required; nothing fetches this URL by itself, people tap a
 * link (fixtures README quirk 18), and the User-Agent decides nothing (iPadOS sends a
 * desktop one).
 */
import { Router } from 'express';
import type { SigningIdentity } from '../config/signing';
import { MOBILECONFIG_CONTENT_TYPE, appleProfileRenderer, mobileconfigFileName } from '../formats/apple';
import { signCms } from '../formats/cms';
import { parseEmailAddress } from '../model/address';
import { perProvider, type Registry } from '../registry';
import { sendAnswer, type Answer } from './answer';
import { GET_AND_HEAD, otherMethods, textError, unknownDomain } from './errors';
import { viewOf, type RequestView } from './request-view';

export const MOBILECONFIG_PATHS = ['/mobileconfig', /^\/[^/]+\.mobileconfig$/i];

export function appleMobileconfigRouter(registry: () => Registry, signing: () => SigningIdentity | undefined): Router {
  const answer = appleMobileconfigHandler(registry, signing);
  const router = Router();
  router.get(MOBILECONFIG_PATHS, async (req, res) => sendAnswer(res, await answer(viewOf(req))));
  router.all(MOBILECONFIG_PATHS, otherMethods(GET_AND_HEAD));
  return router;
}

/** GET and HEAD of MOBILECONFIG_PATHS; the lean path (lean-path.ts) calls it too. */
export function appleMobileconfigHandler(
  registry: () => Registry,
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
    const found = registry().find(address.domainKey);
    if (!found) return unknownDomain();
    const render = profileRenderer(found.provider);
    if (render === undefined) return textError(404, 'No IMAP or POP3 and SMTP settings that Apple Mail can use');
    const unsigned = render(address);
    const headers: [string, string][] = [['Content-Disposition', `attachment; filename="${mobileconfigFileName(address.domainKey)}"`]];
    // A Buffer, so no charset parameter is added to Apple's media type. The profile names
    // a person: no cache may keep it.
    const answer = (body: Buffer): Answer => ({ status: 200, contentType: MOBILECONFIG_CONTENT_TYPE, headers, body, storable: false });
    const identity = signing();
    return identity ? signCms(unsigned, identity).then(answer) : answer(unsigned);
  };
}

/** Each provider's profile template (apple.ts); undefined when Apple Mail can use none of its servers. */
const profileRenderer = perProvider((provider) => appleProfileRenderer(provider.definition));
