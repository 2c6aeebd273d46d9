/**
 * Outlook autodiscover endpoints: POX (POST with an XML body, GET without one) and the
 * v2 JSON pointer (docs/endpoints.md). POX answers are HTTP 200 for settings and for
 * autodiscover errors alike, because any other status sends Outlook to the next
 * candidate URL; only a domain database outage is a 503, for that very reason.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseEmailAddress, type EmailAddress } from '../model/address';
import { AUTODISCOVER_HOST_PREFIX } from '../model/discovery-hosts';
import {
  AUTODISCOVER_V2_CONTENT_TYPE,
  AUTODISCOVER_V2_ERRORS,
  isAutodiscoverV1,
  renderAutodiscoverV2Error,
  renderAutodiscoverV2Pointer,
  type AutodiscoverV2Error,
} from '../formats/outlook/autodiscover-v2';
import {
  DEFAULT_TTL_HOURS,
  NAMESPACES,
  POX_CONTENT_TYPE,
  POX_ERRORS,
  parsePoxRequest,
  renderPoxError,
  renderPoxSettings,
  type PoxError,
} from '../formats/outlook/pox';
import { poxErrorRenderer, poxSettingsRenderer, type PoxErrorRenderer } from '../formats/outlook/pox-template';
import { rememberRecent } from '../model/recent-results';
import { perProviderAndDomain } from './per-provider';
import { PreparedBody, redirect, type Answer } from './answer';
import { domainsUnavailable, retryAfter, whenHosted, type FindHosted } from './hosted';
import type { DomainSourceUnavailable } from '../domains/database-source';
import type { Outcome } from './observe';
import { hostDomain, type RequestView } from './request-view';

export interface OutlookAutodiscoverOptions {
  readonly findHosted: FindHosted;
  readonly httpsRedirect: boolean;
  /** `<TTL>` of the settings answers (autodiscoverTtlHours setting). */
  readonly ttlHours?: number;
  /** The POX endpoint's path (routes.ts), where plain-http requests are redirected. */
  readonly poxPath: string;
}

/** MSDOC: the error Id identifies the server; a stable hash of its name, computed once. */
const SERVER_ID = String(createHash('sha256').update(hostname()).digest().readUInt32BE(0));

/** The POX handlers (routes.ts): POST with the raw body, GET without one. */
export function poxHandlers({ findHosted, httpsRedirect, ttlHours = DEFAULT_TTL_HOURS, poxPath }: OutlookAutodiscoverOptions) {
  // Per provider and hosted domain, split for splicing (formats/outlook/pox-template.ts); undefined when Outlook can use none of the servers.
  const settingsRenderer = perProviderAndDomain((provider, domain) => poxSettingsRenderer(provider.definition, domain, ttlHours));
  /** POST with the raw body, however it was read. */
  const poxPost = (request: RequestView, body: Buffer): Answer | Promise<Answer> =>
    httpsRedirect && request.arrivedOverPlainHttp ? redirectToHttps(request, () => answerPost(request, body)) : answerPost(request, body);
  const answerPost = (request: RequestView, body: Buffer): Answer | Promise<Answer> => {
    const pox = parsePoxRequest(body);
    if (pox.kind === 'invalid') return poxError(POX_ERRORS.invalidRequest);
    if (pox.kind === 'unsupported-schema') return poxError(POX_ERRORS.providerUnavailable, pox.namespace);
    const address = parseEmailAddress(pox.emailAddress);
    if (!address) return poxError(POX_ERRORS.invalidRequest);
    return whenHosted(findHosted(address.domainKey, hostDomain(request, AUTODISCOVER_HOST_PREFIX)), (found) => {
      if (!found) return poxError(POX_ERRORS.unknownAddress, NAMESPACES.response, address);
      const render = settingsRenderer(found.provider, found.domain);
      if (render === undefined) return poxError(POX_ERRORS.noConfiguration, NAMESPACES.response, address);
      const settings = render(address);
      return { status: 200, contentType: POX_CONTENT_TYPE, body: settings, record: { address } };
    }, poxUnavailable);
  };

  // Delta Chat, Outlook mobile and Outlook's http redirect probe send GET without a body:
  // answer for the Host's domain, never 404/405 (docs/endpoints.md).
  const poxGet = (request: RequestView): Answer | Promise<Answer> =>
    httpsRedirect && request.arrivedOverPlainHttp ? redirectToHttps(request, () => answerGet(request)) : answerGet(request);
  const answerGet = (request: RequestView): Answer | Promise<Answer> =>
    whenHosted(findHosted(hostDomain(request, AUTODISCOVER_HOST_PREFIX)), (found) => {
      if (!found) return poxError(POX_ERRORS.invalidRequest);
      const settings = renderPoxSettings(found.provider.definition, { domain: found.domain, ttlHours });
      if (settings === undefined) return poxError(POX_ERRORS.noConfiguration);
      return { status: 200, contentType: POX_CONTENT_TYPE, body: settings };
    }, poxUnavailable);

  /**
   * Outlook's "HTTP redirect" step GETs http://autodiscover.<domain>/… and expects a 302 to
   * the https URL; Thunderbird POSTs there without credentials and follows it too. The
   * target is the hosted domain's autodiscover name, so a Host or X-Forwarded-Host that
   * names no hosted domain gets the ordinary answer, never a redirect to where it says. No
   * cache keeps it: whether to redirect depends on X-Forwarded-Proto.
   */
  const redirectToHttps = (request: RequestView, otherwise: () => Answer | Promise<Answer>): Answer | Promise<Answer> =>
    whenHosted(
      findHosted(hostDomain(request, AUTODISCOVER_HOST_PREFIX)),
      (found) =>
        found
          ? redirect(302, `https://${AUTODISCOVER_HOST_PREFIX}${found.domain}${poxPath}`, [['Cache-Control', 'no-store'], ['Vary', varyOnHost(request)]])
          : otherwise(),
      poxUnavailable,
    );
  return { poxPost, poxGet };
}

/** The v2 JSON pointer's handler (routes.ts); Outlook may keep a pointer as long as POX settings (`ttlHours`). */
export function autodiscoverV2Handler(findHosted: FindHosted, poxPath: string, ttlHours: number = DEFAULT_TTL_HOURS) {
  const cacheControl = `private, max-age=${ttlHours * 3600}`;
  // The pointer depends on the hosted domain, a set as large as the configuration: each is made once, within a bound.
  const preparedV2Pointer = rememberRecent((host) => new PreparedBody(renderAutodiscoverV2Pointer(`https://${host}${poxPath}`)), 1024, 255);
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
    return whenHosted(findHosted(address.domainKey, hostDomain(request, AUTODISCOVER_HOST_PREFIX)), (found) => {
      if (!found) return v2Error(404, 'InvalidUser', address);
      // The Url names the hosted domain, never the Host the request came with: a pointer
      // built from headers would send Outlook, or a cache, wherever a request said.
      return {
        status: 200,
        contentType: AUTODISCOVER_V2_CONTENT_TYPE,
        body: preparedV2Pointer(`${AUTODISCOVER_HOST_PREFIX}${found.domain}`),
        headers: [['Cache-Control', cacheControl], ['Vary', varyOnHost(request)]],
        record: { address },
      };
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
  return { status: 503, contentType: POX_CONTENT_TYPE, headers: [retryAfter(error)], body, record: { outcome: 'error' }, storable: false };
}

// Error answers come from fixed sets, so they are prepared when the module loads: the POX
// ones in the generic namespace (all but their time), the v2 ones whole.
const GENERIC_POX_ERRORS = Object.fromEntries(
  Object.values(POX_ERRORS).map((error) => [error.code, poxErrorRenderer({ error, namespace: NAMESPACES.response, serverId: SERVER_ID })]),
) as Record<PoxError['code'], PoxErrorRenderer>;
const V2_ERROR_BODIES = Object.fromEntries(
  AUTODISCOVER_V2_ERRORS.map((code) => [code, new PreparedBody(renderAutodiscoverV2Error(code))]),
) as Record<AutodiscoverV2Error, PreparedBody>;

function v2Error(status: number, code: AutodiscoverV2Error, address?: EmailAddress): Answer {
  return {
    status,
    contentType: AUTODISCOVER_V2_CONTENT_TYPE,
    body: V2_ERROR_BODIES[code],
    // ProtocolNotSupported goes out as 200, but the client asked for something we do not serve.
    record: { address, outcome: status === 200 ? 'bad request' : undefined },
  };
}

/** The request headers that chose the hosted domain: Host, and X-Forwarded-Host where a trusted proxy may set it. */
function varyOnHost(request: RequestView): string {
  return request.peerIsTrustedProxy ? 'Host, X-Forwarded-Host' : 'Host';
}
