/**
 * Outlook autodiscover endpoints: POX (POST with an XML body, GET without one) and the
 * v2 JSON pointer (protocols.md §3). POX answers are HTTP 200 for settings and for
 * autodiscover errors alike, because any other status sends Outlook to the next
 * candidate URL (G21).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { parseEmailAddress } from '../model/address';
import {
  AUTODISCOVER_V2_CONTENT_TYPE,
  POX_PATH,
  isAutodiscoverV1,
  renderAutodiscoverV2Error,
  renderAutodiscoverV2Pointer,
  type AutodiscoverV2Error,
} from '../formats/autodiscover-v2';
import {
  NAMESPACES,
  POX_CONTENT_TYPE,
  POX_ERRORS,
  parsePoxRequest,
  renderPoxError,
  renderPoxSettings,
  type PoxError,
} from '../formats/outlook-pox';
import type { Registry } from '../registry';
import { noteRequest, type Outcome } from './observe';
import { bodyTooLarge } from './errors';
import { arrivedOverPlainHttp, hostDomain, publicHost, rawQuery } from './request';

export interface OutlookAutodiscoverOptions {
  readonly registry: () => Registry;
  readonly bodyLimitBytes: number;
  readonly httpsRedirect: boolean;
}

/** MSDOC: the error Id identifies the server; a stable hash of its name, computed once. */
const SERVER_ID = String(createHash('sha256').update(hostname()).digest().readUInt32BE(0));

const V2_PATHS = ['/autodiscover/autodiscover.json', '/autodiscover/autodiscover.json/v1.0/:email'];

export function outlookAutodiscoverRouter({ registry, bodyLimitBytes, httpsRedirect }: OutlookAutodiscoverOptions): Router {
  const router = Router();
  // The body is read raw whatever its Content-Type (one client posts it as a form), and
  // never inflated: the limit applies to the bytes on the wire.
  const rawBody = express.raw({ type: () => true, limit: bodyLimitBytes, inflate: false });

  router.post(POX_PATH, refuseDeclaredOversize(bodyLimitBytes), rawBody, (req, res) => {
    if (httpsRedirect && redirectToHttps(req, res)) return;
    const request = parsePoxRequest(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    if (request.kind === 'invalid') return sendPoxError(res, POX_ERRORS.invalidRequest);
    if (request.kind === 'unsupported-schema') return sendPoxError(res, POX_ERRORS.providerUnavailable, request.namespace);
    const address = parseEmailAddress(request.emailAddress);
    if (!address) return sendPoxError(res, POX_ERRORS.invalidRequest);
    noteRequest(res, { address });
    const found = registry().find(address.domainKey, hostDomain(req, 'autodiscover.'));
    if (!found) return sendPoxError(res, POX_ERRORS.unknownAddress);
    const settings = renderPoxSettings(found.provider.definition, { address, domain: found.domain });
    if (settings === undefined) return sendPoxError(res, POX_ERRORS.noConfiguration);
    res.status(200).set('Content-Type', POX_CONTENT_TYPE).send(settings);
  });

  // Delta Chat, Outlook mobile and Outlook's http redirect probe send GET without a body:
  // answer for the Host's domain, never 404/405 (fixtures README quirk 7).
  router.get(POX_PATH, (req, res) => {
    if (httpsRedirect && redirectToHttps(req, res)) return;
    const found = registry().find(hostDomain(req, 'autodiscover.'));
    if (!found) return sendPoxError(res, POX_ERRORS.invalidRequest);
    const settings = renderPoxSettings(found.provider.definition, { domain: found.domain });
    if (settings === undefined) return sendPoxError(res, POX_ERRORS.noConfiguration);
    res.status(200).set('Content-Type', POX_CONTENT_TYPE).send(settings);
  });

  router.get(V2_PATHS, (req, res) => {
    const query = rawQuery(req);
    const protocol = query.get('protocol');
    if (protocol === undefined || protocol === null || protocol === '') return sendV2Error(res, 400, 'MissingProtocol');
    // Anything but AutodiscoverV1 is well-formed but not ours: 200, as Exchange-style servers answer.
    if (!isAutodiscoverV1(protocol)) return sendV2Error(res, 200, 'ProtocolNotSupported');
    const email = typeof req.params.email === 'string' ? req.params.email : query.get('email');
    if (email === undefined || email === '') return sendV2Error(res, 400, 'MandatoryParameterMissing');
    const address = email === null ? undefined : parseEmailAddress(email);
    if (!address) return sendV2Error(res, 400, 'InvalidUser');
    noteRequest(res, { address });
    const found = registry().find(address.domainKey, hostDomain(req, 'autodiscover.'));
    if (!found) return sendV2Error(res, 404, 'InvalidUser');
    const host = publicHost(req) ?? `autodiscover.${found.domain}`;
    res.status(200).set('Content-Type', AUTODISCOVER_V2_CONTENT_TYPE).send(renderAutodiscoverV2Pointer(host));
  });

  return router;
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

function sendPoxError(res: Response, error: PoxError, namespace: string = NAMESPACES.response): void {
  noteRequest(res, { outcome: POX_ERROR_OUTCOMES[error.code] });
  res
    .status(200)
    .set('Content-Type', POX_CONTENT_TYPE)
    .send(renderPoxError({ error, namespace, time: new Date(), serverId: SERVER_ID }));
}

function sendV2Error(res: Response, status: number, code: AutodiscoverV2Error): void {
  // ProtocolNotSupported goes out as 200, but the client asked for something we do not serve.
  if (status === 200) noteRequest(res, { outcome: 'bad request' });
  res.status(status).set('Content-Type', AUTODISCOVER_V2_CONTENT_TYPE).send(renderAutodiscoverV2Error(code));
}

/**
 * Outlook's "HTTP redirect" step GETs http://autodiscover.<domain>/… and expects a 302 to
 * the https URL; Thunderbird POSTs there without credentials and follows it too.
 */
function redirectToHttps(req: Request, res: Response): boolean {
  const host = publicHost(req);
  if (!host || !arrivedOverPlainHttp(req)) return false;
  res.redirect(302, `https://${host}${POX_PATH}`);
  return true;
}
