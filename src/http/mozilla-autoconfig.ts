/**
 * Mozilla autoconfig endpoints (protocols.md §1.1): the address is optional, the Host
 * header names the domain when it is absent, and the answer is the provider's
 * precomputed document, identical for every address of the domain.
 */
import { Router } from 'express';
import { parseEmailAddress } from '../model/address';
import { MOZILLA_CONTENT_TYPE } from '../formats/mozilla';
import type { Registry } from '../registry';
import { sendTextError } from './errors';
import { hostDomain, rawQuery } from './request';

export const MOZILLA_PATHS = [
  '/mail/config-v1.1.xml',
  '/.well-known/autoconfig/mail/config-v1.1.xml',
  // Nine asks for this prefixed variant (fixtures README quirk 6).
  '/v1.1/mail/config-v1.1.xml',
  // Autoconfig draft -01's URL, since dropped; Stalwart and others still serve it (protocols.md §9.1).
  '/.well-known/mail-v1.xml',
];

export function mozillaAutoconfigRouter(registry: () => Registry): Router {
  const router = Router();
  router.get(MOZILLA_PATHS, (req, res) => {
    const emailAddress = rawQuery(req).get('emailaddress');
    let addressDomain: string | undefined;
    if (emailAddress !== undefined && emailAddress !== '') {
      const address = emailAddress === null ? undefined : parseEmailAddress(emailAddress);
      if (!address) return sendTextError(res, 400, 'Invalid email address');
      addressDomain = address.domainKey;
    }
    // The Host is the fallback for requests without an address, and for Thunderbird's
    // MX lookup, which asks autoconfig.<mx-domain> with the user's own address.
    const found = registry().find(addressDomain, hostDomain(req, 'autoconfig.'));
    if (!found) return sendTextError(res, 404, 'No configuration for this domain');
    res.status(200).set('Content-Type', MOZILLA_CONTENT_TYPE).set('Access-Control-Allow-Origin', '*');
    res.send(found.provider.mozillaAutoconfigXml);
  });
  return router;
}
