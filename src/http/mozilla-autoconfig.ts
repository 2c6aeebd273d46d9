/**
 * Mozilla autoconfig endpoints (docs/endpoints.md): the address is optional, the Host
 * header names the domain when it is absent, and the answer is the provider's
 * precomputed document, identical for every address of the domain.
 */
import { parseEmailAddress, type EmailAddress } from '../model/address';
import { AUTOCONFIG_HOST_PREFIX } from '../model/discovery-hosts';
import { MOZILLA_CONTENT_TYPE } from '../formats/mozilla/autoconfig';
import type { HostedProvider } from '../model/provider-directory';
import { perProvider } from './per-provider';
import { PreparedBody, type Answer } from './answer';
import { OPEN_TO_EVERY_ORIGIN } from './cors';
import { textError, unknownDomain } from './errors';
import { domainsUnavailable, whenHosted, type FindHosted } from './hosted';
import { hostDomain, type RequestView } from './request-view';

/** The provider's document with its bytes and ETag, computed on first use. */
const prepared = perProvider((provider) => new PreparedBody(provider.mozillaAutoconfigXml));

/** GET and HEAD of the autoconfig paths (routes.ts). */
export function mozillaAutoconfigHandler(findHosted: FindHosted): (request: RequestView) => Answer | Promise<Answer> {
  return (request) => {
    const emailAddress = request.parameter('emailaddress');
    let address: EmailAddress | undefined;
    if (emailAddress !== undefined && emailAddress !== '') {
      address = emailAddress === null ? undefined : parseEmailAddress(emailAddress);
      if (!address) return textError(400, 'Invalid email address');
    }
    // The Host is the fallback for requests without an address, and for Thunderbird's
    // MX lookup, which asks autoconfig.<mx-domain> with the user's own address.
    const found = findHosted(address?.domainKey, hostDomain(request, AUTOCONFIG_HOST_PREFIX));
    return whenHosted(found, (hosted) => answer(hosted?.provider, address), domainsUnavailable);
  };
}

function answer(provider: HostedProvider | undefined, address: EmailAddress | undefined): Answer {
  // The address is noted so that the access log need not parse it again.
  if (!provider) return unknownDomain({ address });
  return { status: 200, contentType: MOZILLA_CONTENT_TYPE, headers: OPEN_TO_EVERY_ORIGIN, body: prepared(provider), record: { address } };
}
