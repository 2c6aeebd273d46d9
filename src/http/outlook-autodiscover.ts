/**
 * Outlook autodiscover endpoints: POX (POST with an XML body, GET without one) and the
 * v2 JSON pointer (docs/endpoints.md). POX answers are HTTP 200 for settings and for
 * autodiscover errors alike, because any other status sends Outlook to the next
 * candidate URL; only a domain database outage is a 503, for that very reason.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseEmailAddress, type EmailAddress } from '../model/address';
import {
  AUTODISCOVER_V2_CONTENT_TYPE,
  AUTODISCOVER_V2_ERRORS,
  POX_PATH,
  isAutodiscoverV1,
  renderAutodiscoverV2Error,
  renderAutodiscoverV2Pointer,
  type AutodiscoverV2Error,
} from '../formats/autodiscover-v2';
import {
  DEFAULT_TTL_HOURS,
  NAMESPACES,
  POX_CONTENT_TYPE,
  POX_ERRORS,
  parsePoxRequest,
  renderPoxError,
  renderPoxSettings,
  type PoxError,
} from '../formats/outlook-pox';
import { poxErrorRenderer, poxSettingsRenderer, type PoxErrorRenderer } from '../formats/pox-template';
import { rememberRecent } from '../recent-results';
import { perProviderAndDomain } from '../registry';
import { PreparedBody, redirect, type Answer } from './answer';
import { domainsUnavailable, retryAfter, whenHosted, type FindHosted } from './hosted';
import type { DomainSourceUnavailable } from '../domains/database-source';
import type { Outcome } from './observe';
import { hostDomain, publicHost, type RequestView } from './request-view';

export interface OutlookAutodiscoverOptions {
  readonly findHosted: FindHosted;
  readonly httpsRedirect: boolean;
  /** `<TTL>` of the settings answers (autodiscoverTtlHours setting). */
  readonly ttlHours?: number;
}

/** MSDOC: the error Id identifies the server; a stable hash of its name, computed once. */
const SERVER_ID = String(createHash('sha256').update(hostname()).digest().readUInt32BE(0));

/** The POX handlers (routes.ts): POST with the raw body, GET without one. */
export function poxHandlers({ findHosted, httpsRedirect, ttlHours = DEFAULT_TTL_HOURS }: OutlookAutodiscoverOptions) {
  // Per provider and hosted domain, split for splicing (pox-template.ts); undefined when Outlook can use none of the servers.
  const settingsRenderer = perProviderAndDomain((provider, domain) => poxSettingsRenderer(provider.definition, domain, ttlHours));
  /** POST with the raw body, however it was read. */
  const poxPost = (request: RequestView, body: Buffer): Answer | Promise<Answer> => {
    if (httpsRedirect && request.arrivedOverPlainHttp) {
      const redirect = redirectToHttps(request);
      if (redirect) return redirect;
    }
    const pox = parsePoxRequest(body);
    if (pox.kind === 'invalid') return poxError(POX_ERRORS.invalidRequest);
    if (pox.kind === 'unsupported-schema') return poxError(POX_ERRORS.providerUnavailable, pox.namespace);
    const address = parseEmailAddress(pox.emailAddress);
    if (!address) return poxError(POX_ERRORS.invalidRequest);
    return whenHosted(findHosted(address.domainKey, hostDomain(request, 'autodiscover.')), (found) => {
      if (!found) return poxError(POX_ERRORS.unknownAddress, NAMESPACES.response, address);
      const render = settingsRenderer(found.provider, found.domain);
      if (render === undefined) return poxError(POX_ERRORS.noConfiguration, NAMESPACES.response, address);
      const settings = render(address);
      return { status: 200, contentType: POX_CONTENT_TYPE, body: settings, record: { address } };
    }, poxUnavailable);
  };

  // Delta Chat, Outlook mobile and Outlook's http redirect probe send GET without a body:
  // answer for the Host's domain, never 404/405 (docs/endpoints.md).
  const poxGet = (request: RequestView): Answer | Promise<Answer> => {
    if (httpsRedirect && request.arrivedOverPlainHttp) {
      const redirect = redirectToHttps(request);
      if (redirect) return redirect;
    }
    return whenHosted(findHosted(hostDomain(request, 'autodiscover.')), (found) => {
      if (!found) return poxError(POX_ERRORS.invalidRequest);
      const settings = renderPoxSettings(found.provider.definition, { domain: found.domain, ttlHours });
      if (settings === undefined) return poxError(POX_ERRORS.noConfiguration);
      return { status: 200, contentType: POX_CONTENT_TYPE, body: settings };
    }, poxUnavailable);
  };
  return { poxPost, poxGet };
}

/** The v2 JSON pointer's handler (routes.ts). */
export function autodiscoverV2Handler(findHosted: FindHosted) {
  /** GET of the v2 paths; `pathEmail` is the decoded address from the path's `email` parameter. */
  const v2Json = (request: RequestView, pathEmail: string | undefined): Answer | Promise<Answer> => {
    const query = request.query;
    const protocol = query.get('protocol');
    if (protocol === undefined || protocol === null || protocol === '') return v2Error(400, 'MissingProtocol');
    // Anything but AutodiscoverV1 is well-formed but not ours: 200, as Exchange-style servers answer.
    if (!isAutodiscoverV1(protocol)) return v2Error(200, 'ProtocolNotSupported');
    const email = pathEmail ?? query.get('email');
    if (email === undefined || email === '') return v2Error(400, 'MandatoryParameterMissing');
    const address = email === null ? undefined : parseEmailAddress(email);
    if (!address) return v2Error(400, 'InvalidUser');
    return whenHosted(findHosted(address.domainKey, hostDomain(request, 'autodiscover.')), (found) => {
      if (!found) return v2Error(404, 'InvalidUser', address);
      const host = publicHost(request) ?? `autodiscover.${found.domain}`;
      return { status: 200, contentType: AUTODISCOVER_V2_CONTENT_TYPE, body: preparedV2Pointer(host), record: { address } };
    }, domainsUnavailable);
  };
  return v2Json;
}

/** How each POX error counts in logs and metrics: they are all sent with HTTP 200. */
const POX_ERROR_OUTCOMES: Record<PoxError['code'], Outcome> = {
  [POX_ERRORS.unknownAddress.code]: 'unknown domain',
  [POX_ERRORS.noConfiguration.code]: 'unknown domain',
  [POX_ERRORS.invalidRequest.code]: 'bad request',
  [POX_ERRORS.providerUnavailable.code]: 'bad request',
  [POX_ERRORS.serverError.code]: 'error',
};
function poxError(error: PoxError, namespace: string = NAMESPACES.response, address?: EmailAddress): Answer {
  const time = new Date();
  // A namespace other than the generic one comes from the request (601): rendered, not kept.
  const body = namespace === NAMESPACES.response ? GENERIC_POX_ERRORS[error.code](time) : renderPoxError({ error, namespace, time, serverId: SERVER_ID });
  return { status: 200, contentType: POX_CONTENT_TYPE, body, record: { address, outcome: POX_ERROR_OUTCOMES[error.code] } };
}

/**
 * While the domain database cannot tell: the POX server-error document, sent as 503 so
 * that Outlook neither takes it as the final word nor caches it, and asks again
 * (docs/endpoints.md).
 */
function poxUnavailable(error: DomainSourceUnavailable): Answer {
  const body = GENERIC_POX_ERRORS[POX_ERRORS.serverError.code](new Date());
  return { status: 503, contentType: POX_CONTENT_TYPE, headers: [retryAfter(error), ['Cache-Control', 'no-store']], body, record: { outcome: 'error' } };
}

// Error answers come from fixed sets, so they are prepared when the module loads: the POX
// ones in the generic namespace (all but their time), the v2 ones whole. The v2 pointer
// depends on the public host, an open set: each is made once, within a bound.
const GENERIC_POX_ERRORS = Object.fromEntries(
  Object.values(POX_ERRORS).map((error) => [error.code, poxErrorRenderer({ error, namespace: NAMESPACES.response, serverId: SERVER_ID })]),
) as Record<PoxError['code'], PoxErrorRenderer>;
const V2_ERROR_BODIES = Object.fromEntries(
  AUTODISCOVER_V2_ERRORS.map((code) => [code, new PreparedBody(renderAutodiscoverV2Error(code))]),
) as Record<AutodiscoverV2Error, PreparedBody>;
const preparedV2Pointer = rememberRecent((host) => new PreparedBody(renderAutodiscoverV2Pointer(host)), 1024, 255);

function v2Error(status: number, code: AutodiscoverV2Error, address?: EmailAddress): Answer {
  return {
    status,
    contentType: AUTODISCOVER_V2_CONTENT_TYPE,
    body: V2_ERROR_BODIES[code],
    // ProtocolNotSupported goes out as 200, but the client asked for something we do not serve.
    record: { address, outcome: status === 200 ? 'bad request' : undefined },
  };
}

/**
 * Outlook's "HTTP redirect" step GETs http://autodiscover.<domain>/… and expects a 302 to
 * the https URL; Thunderbird POSTs there without credentials and follows it too.
 */
function redirectToHttps(request: RequestView): Answer | undefined {
  const host = publicHost(request);
  if (!host) return undefined;
  return redirect(302, `https://${host}${POX_PATH}`);
}
