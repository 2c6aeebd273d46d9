/**
 * Outlook autodiscover endpoints: POX (POST with an XML body, GET without one) and the
 * v2 JSON pointer (protocols.md §3). POX answers are HTTP 200 for settings and for
 * autodiscover errors alike, because any other status sends Outlook to the next
 * candidate URL (G21).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import express, { Router, type RequestHandler } from 'express';
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
import { poxErrorRenderer, poxSettingsRenderer, type PoxErrorRenderer, type PoxSettingsRenderer } from '../formats/pox-template';
import { rememberRecent } from '../recent-results';
import { perProviderAndDomain, type HostedProvider, type Registry } from '../registry';
import { PreparedBody, sendAnswer, type Answer } from './answer';
import type { Outcome } from './observe';
import { bodyTooLarge, GET_AND_HEAD, otherMethods } from './errors';
import { hostDomain, publicHost } from './request';
import { viewOf, type RequestView } from './request-view';

export interface OutlookAutodiscoverOptions {
  readonly registry: () => Registry;
  readonly bodyLimitBytes: number;
  readonly httpsRedirect: boolean;
  /** `<TTL>` of the settings answers (autodiscoverTtlHours setting). */
  readonly ttlHours?: number;
}

/** MSDOC: the error Id identifies the server; a stable hash of its name, computed once. */
const SERVER_ID = String(createHash('sha256').update(hostname()).digest().readUInt32BE(0));

export const V2_PATHS = ['/autodiscover/autodiscover.json', '/autodiscover/autodiscover.json/v1.0/:email'];

export function outlookAutodiscoverRouter(options: OutlookAutodiscoverOptions): Router {
  const handlers = outlookAutodiscoverHandlers(options);
  const router = Router();
  // The body is read raw whatever its Content-Type (one client posts it as a form), and
  // never inflated: the limit applies to the bytes on the wire.
  const rawBody = express.raw({ type: () => true, limit: options.bodyLimitBytes, inflate: false });
  router.post(POX_PATH, refuseDeclaredOversize(options.bodyLimitBytes), rawBody, (req, res) =>
    sendAnswer(res, handlers.poxPost(viewOf(req), Buffer.isBuffer(req.body) ? req.body : EMPTY)),
  );
  router.get(POX_PATH, (req, res) => sendAnswer(res, handlers.poxGet(viewOf(req))));
  router.get(V2_PATHS, (req, res) => {
    const email = req.params.email;
    sendAnswer(res, handlers.v2Json(viewOf(req), typeof email === 'string' ? email : undefined));
  });
  router.all(POX_PATH, otherMethods(`${GET_AND_HEAD}, POST`));
  router.all(V2_PATHS, otherMethods(GET_AND_HEAD));
  return router;
}

const EMPTY = Buffer.alloc(0);

/** One handler per endpoint, shared by the Express router and the lean path (lean-path.ts). */
export function outlookAutodiscoverHandlers({ registry, httpsRedirect, ttlHours = DEFAULT_TTL_HOURS }: OutlookAutodiscoverOptions) {
  /** POST with the raw body, however it was read. */
  const poxPost = (request: RequestView, body: Buffer): Answer => {
    if (httpsRedirect && request.arrivedOverPlainHttp) {
      const redirect = redirectToHttps(request);
      if (redirect) return redirect;
    }
    const pox = parsePoxRequest(body);
    if (pox.kind === 'invalid') return poxError(POX_ERRORS.invalidRequest);
    if (pox.kind === 'unsupported-schema') return poxError(POX_ERRORS.providerUnavailable, pox.namespace);
    const address = parseEmailAddress(pox.emailAddress);
    if (!address) return poxError(POX_ERRORS.invalidRequest);
    const found = registry().find(address.domainKey, hostDomain(request, 'autodiscover.'));
    if (!found) return poxError(POX_ERRORS.unknownAddress, NAMESPACES.response, address);
    const render = settingsRenderer(found.provider, found.domain, ttlHours);
    if (render === undefined) return poxError(POX_ERRORS.noConfiguration, NAMESPACES.response, address);
    const settings = render(address);
    return { status: 200, contentType: POX_CONTENT_TYPE, body: settings, facts: { address } };
  };

  // Delta Chat, Outlook mobile and Outlook's http redirect probe send GET without a body:
  // answer for the Host's domain, never 404/405 (fixtures README quirk 7).
  const poxGet = (request: RequestView): Answer => {
    if (httpsRedirect && request.arrivedOverPlainHttp) {
      const redirect = redirectToHttps(request);
      if (redirect) return redirect;
    }
    const found = registry().find(hostDomain(request, 'autodiscover.'));
    if (!found) return poxError(POX_ERRORS.invalidRequest);
    const settings = renderPoxSettings(found.provider.definition, { domain: found.domain, ttlHours });
    if (settings === undefined) return poxError(POX_ERRORS.noConfiguration);
    return { status: 200, contentType: POX_CONTENT_TYPE, body: settings };
  };

  /** GET of V2_PATHS; `pathEmail` is the decoded address from the /v1.0/<email> form. */
  const v2Json = (request: RequestView, pathEmail: string | undefined): Answer => {
    const query = request.query;
    const protocol = query.get('protocol');
    if (protocol === undefined || protocol === null || protocol === '') return v2Error(400, 'MissingProtocol');
    // Anything but AutodiscoverV1 is well-formed but not ours: 200, as Exchange-style servers answer.
    if (!isAutodiscoverV1(protocol)) return v2Error(200, 'ProtocolNotSupported');
    const email = pathEmail ?? query.get('email');
    if (email === undefined || email === '') return v2Error(400, 'MandatoryParameterMissing');
    const address = email === null ? undefined : parseEmailAddress(email);
    if (!address) return v2Error(400, 'InvalidUser');
    const found = registry().find(address.domainKey, hostDomain(request, 'autodiscover.'));
    if (!found) return v2Error(404, 'InvalidUser', address);
    const host = publicHost(request) ?? `autodiscover.${found.domain}`;
    return { status: 200, contentType: AUTODISCOVER_V2_CONTENT_TYPE, body: preparedV2Pointer(host), facts: { address } };
  };

  return { poxPost, poxGet, v2Json };
}

/**
 * Each provider's answer per hosted domain and TTL (a setting, so one per app at most),
 * split for splicing (pox-template.ts); undefined when Outlook can use none of the servers.
 */
const renderersByTtl = perProviderAndDomain(() => new Map<number, PoxSettingsRenderer | undefined>());
function settingsRenderer(provider: HostedProvider, domain: string, ttlHours: number): PoxSettingsRenderer | undefined {
  const renderers = renderersByTtl(provider, domain);
  if (!renderers.has(ttlHours)) renderers.set(ttlHours, poxSettingsRenderer(provider.definition, domain, ttlHours));
  return renderers.get(ttlHours);
}

/** How each POX error counts in logs and metrics: they are all sent with HTTP 200 (G21). */
const POX_ERROR_OUTCOMES: Record<PoxError['code'], Outcome> = {
  [POX_ERRORS.unknownAddress.code]: 'unknown domain',
  [POX_ERRORS.noConfiguration.code]: 'unknown domain',
  [POX_ERRORS.invalidRequest.code]: 'bad request',
  [POX_ERRORS.providerUnavailable.code]: 'bad request',
  [POX_ERRORS.serverError.code]: 'error',
};
/**
 * Refuses a body whose declared Content-Length is over the limit at once. The body parser
 * would refuse it too, but only after reading (and discarding) all of it, so a client
 * announcing 10 MB could hold the connection until the request timeout.
 */
function refuseDeclaredOversize(limit: number): RequestHandler {
  return (req, _res, next) => {
    const declared = Number(req.headers['content-length']);
    next(declared > limit ? bodyTooLarge() : undefined);
  };
}

// Answers and their facts are written out as literals, never spread into new objects:
// see textError (errors.ts) for what a spread cost per request.
function poxError(error: PoxError, namespace: string = NAMESPACES.response, address?: EmailAddress): Answer {
  const time = new Date();
  // A namespace other than the generic one comes from the request (601): rendered, not kept.
  const body = namespace === NAMESPACES.response ? GENERIC_POX_ERRORS[error.code](time) : renderPoxError({ error, namespace, time, serverId: SERVER_ID });
  return { status: 200, contentType: POX_CONTENT_TYPE, body, facts: { address, outcome: POX_ERROR_OUTCOMES[error.code] } };
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
    facts: { address, outcome: status === 200 ? 'bad request' : undefined },
  };
}

/**
 * Outlook's "HTTP redirect" step GETs http://autodiscover.<domain>/… and expects a 302 to
 * the https URL; Thunderbird POSTs there without credentials and follows it too.
 */
function redirectToHttps(request: RequestView): Answer | undefined {
  const host = publicHost(request);
  if (!host) return undefined;
  const location = `https://${host}${POX_PATH}`;
  return { status: 302, contentType: 'text/plain; charset=utf-8', headers: [['Location', location]], body: `Found. Redirecting to ${location}` };
}
