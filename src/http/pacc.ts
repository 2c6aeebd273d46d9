/**
 * PACC endpoint (docs/endpoints.md): the JSON document for the domain the Host names
 * (`ua-auto-config.<domain>`, prefix stripped). The body is sent as the exact bytes whose
 * digest is published in DNS; nothing here may re-encode or compress it.
 */
import { PACC_CONTENT_TYPE, PACC_HOST_PREFIX, renderPacc } from '../formats/pacc';
import { perProviderAndDomain, type Registry } from '../registry';
import { PreparedBody, type Answer } from './answer';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { unknownDomain } from './errors';
import { hostDomain, type RequestView } from './request-view';

/** Each hosted domain's document with its bytes (what DNS publishes the digest of) and ETag, rendered once. */
const prepared = perProviderAndDomain((provider, domain) => new PreparedBody(renderPacc(provider.definition, domain)));

/** GET and HEAD of the PACC path (routes.ts). */
export function paccHandler(registry: () => Registry): (request: RequestView) => Answer {
  return (request) => {
    const found = registry().find(hostDomain(request, PACC_HOST_PREFIX));
    if (!found) return unknownDomain();
    return { status: 200, contentType: PACC_CONTENT_TYPE, headers: OPEN_TO_EVERY_ORIGIN, body: prepared(found.provider, found.domain) };
  };
}
