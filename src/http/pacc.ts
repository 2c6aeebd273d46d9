/**
 * PACC endpoint (protocols.md §9.4): the JSON document for the domain the Host names
 * (`ua-auto-config.<domain>`, prefix stripped). The body is sent as the exact bytes whose
 * digest is published in DNS; nothing here may re-encode or compress it.
 */
import { Router } from 'express';
import { PACC_CONTENT_TYPE, PACC_HOST_PREFIX, PACC_PATH, renderPacc } from '../formats/pacc';
import { perProviderAndDomain, type Registry } from '../registry';
import { PreparedBody, sendAnswer } from './answer';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { GET_AND_HEAD, otherMethods, unknownDomain } from './errors';
import { hostDomain } from './request';

/** Each hosted domain's document with its bytes (what DNS publishes the digest of) and ETag, rendered once. */
const prepared = perProviderAndDomain((provider, domain) => {
  const document = renderPacc(provider.definition, domain);
  return document === undefined ? undefined : new PreparedBody(document);
});

export function paccRouter(registry: () => Registry): Router {
  const router = Router();
  router.get(PACC_PATH, (req, res) => {
    const found = registry().find(hostDomain(req, PACC_HOST_PREFIX));
    // A domain whose servers PACC cannot describe gets the unknown-domain answer too.
    const body = found && prepared(found.provider, found.domain);
    sendAnswer(res, body ? { status: 200, contentType: PACC_CONTENT_TYPE, headers: OPEN_TO_EVERY_ORIGIN, body } : unknownDomain());
  });
  router.all(PACC_PATH, otherMethods(GET_AND_HEAD, { openToEveryOrigin: true }));
  return router;
}
