/**
 * PACC endpoint (docs/endpoints.md#pacc): the JSON document for the domain the Host names
 * (`ua-auto-config.<domain>`, prefix stripped). The body is sent as the exact bytes whose
 * digest is published in DNS; nothing here may re-encode or compress it (test/pacc.test.ts
 * checks the served bytes against the published digest).
 */
import { PACC_CONTENT_TYPE, renderPacc } from '../formats/pacc/pacc';
import { PACC_HOST_PREFIX } from '../model/discovery-hosts';
import { perProviderAndDomain } from './per-provider';
import { PreparedBody, type Answer } from './answer';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { unknownDomain } from './errors';
import { domainsUnavailable, whenHosted, type FindHosted, type HostedDomain } from './hosted';
import { hostDomain, type RequestView } from './request-view';

/** Each hosted domain's document with its bytes (what DNS publishes the digest of) and ETag, rendered once. */
const prepared = perProviderAndDomain((provider, domain) => {
  const document = renderPacc(provider.definition, domain);
  return document === undefined ? undefined : new PreparedBody(document);
});

/** GET and HEAD of the PACC path (routes.ts). */
export function paccHandler(findHosted: FindHosted): (request: RequestView) => Answer | Promise<Answer> {
  return (request) => whenHosted(findHosted(hostDomain(request, PACC_HOST_PREFIX)), answer, domainsUnavailable);
}

/** Whether the PACC path has a document for `found`, so its `ua-auto-config.` name leads somewhere. */
export function hasPaccDocument(found: NonNullable<HostedDomain>): boolean {
  return prepared(found.provider, found.domain) !== undefined;
}

function answer(found: HostedDomain): Answer {
  // A domain whose servers PACC cannot describe gets the unknown-domain answer too.
  const body = found && prepared(found.provider, found.domain);
  return body ? { status: 200, contentType: PACC_CONTENT_TYPE, headers: OPEN_TO_EVERY_ORIGIN, body } : unknownDomain();
}
