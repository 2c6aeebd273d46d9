/**
 * Mozilla autoconfig endpoints (protocols.md §1.1): the address is optional, the Host
 * header names the domain when it is absent, and the answer is the provider's
 * precomputed document, identical for every address of the domain.
 */
import { Router } from 'express';
import { parseEmailAddress, type EmailAddress } from '../model/address';
import { MOZILLA_CONTENT_TYPE } from '../formats/mozilla';
import { perProvider, type Registry } from '../registry';
import { PreparedBody, sendAnswer, type Answer } from './answer';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { GET_AND_HEAD, otherMethods, textError, unknownDomain } from './errors';
import { hostDomain } from './request';
import { viewOf, type RequestView } from './request-view';

export const MOZILLA_PATHS = [
  '/mail/config-v1.1.xml',
  '/.well-known/autoconfig/mail/config-v1.1.xml',
  // Nine asks for this prefixed variant (fixtures README quirk 6).
  '/v1.1/mail/config-v1.1.xml',
  // Autoconfig draft -01's URL, since dropped; Stalwart and others still serve it (protocols.md §9.1).
  '/.well-known/mail-v1.xml',
];

/** The provider's document with its bytes and ETag, computed on first use. */
const prepared = perProvider((provider) => new PreparedBody(provider.mozillaAutoconfigXml));

export function mozillaAutoconfigRouter(registry: () => Registry): Router {
  const answer = mozillaAutoconfigHandler(registry);
  return Router()
    .get(MOZILLA_PATHS, (req, res) => sendAnswer(res, answer(viewOf(req))))
    .all(MOZILLA_PATHS, otherMethods(GET_AND_HEAD, { openToEveryOrigin: true }));
}

/** GET and HEAD of any of MOZILLA_PATHS; the lean path (lean-path.ts) calls it too. */
export function mozillaAutoconfigHandler(registry: () => Registry): (request: RequestView) => Answer {
  return (request) => {
    const emailAddress = request.parameter('emailaddress');
    let address: EmailAddress | undefined;
    if (emailAddress !== undefined && emailAddress !== '') {
      address = emailAddress === null ? undefined : parseEmailAddress(emailAddress);
      if (!address) return textError(400, 'Invalid email address');
    }
    // The Host is the fallback for requests without an address, and for Thunderbird's
    // MX lookup, which asks autoconfig.<mx-domain> with the user's own address.
    const found = registry().find(address?.domainKey, hostDomain(request, 'autoconfig.'));
    // The address is noted so that the access log need not parse it again.
    if (!found) return unknownDomain({ address });
    return { status: 200, contentType: MOZILLA_CONTENT_TYPE, headers: OPEN_TO_EVERY_ORIGIN, body: prepared(found.provider), facts: { address } };
  };
}
