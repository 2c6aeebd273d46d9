/**
 * PACC endpoint (protocols.md §9.4): the JSON document for the domain the Host names
 * (`ua-auto-config.<domain>`, prefix stripped). The body is sent as the exact bytes whose
 * digest is published in DNS; nothing here may re-encode or compress it.
 */
import { Router } from 'express';
import { PACC_CONTENT_TYPE, PACC_HOST_PREFIX, PACC_PATH, renderPacc } from '../formats/pacc';
import { perProviderAndDomain, type Registry } from '../registry';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { GET_AND_HEAD, otherMethods, sendTextError } from './errors';
import { hostDomain } from './request';

/** Each hosted domain's document, rendered once: its bytes are what DNS publishes the digest of. */
const paccBytes = perProviderAndDomain((provider, domain) => Buffer.from(renderPacc(provider.definition, domain), 'utf8'));

export function paccRouter(registry: () => Registry): Router {
  const router = Router();
  router.get(PACC_PATH, (req, res) => {
    const found = registry().find(hostDomain(req, PACC_HOST_PREFIX));
    if (!found) return sendTextError(res, 404, 'No configuration for this domain');
    res.status(200).set('Content-Type', PACC_CONTENT_TYPE).set(Object.fromEntries(OPEN_TO_EVERY_ORIGIN)).send(paccBytes(found.provider, found.domain));
  });
  router.all(PACC_PATH, otherMethods(GET_AND_HEAD, { openToEveryOrigin: true }));
  return router;
}
