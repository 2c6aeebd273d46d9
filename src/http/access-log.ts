/**
 * The access log's request ids and per-request fields. A line names the mail domain a
 * request was about, never the address unless the admin enables it: addresses are
 * personal data, and the domain is what an operator needs to follow a problem.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { requestAddress, requestDomain, requestOutcome } from './observe';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// An id set by a proxy in front is kept so its log and ours line up; anything else
// (too long, odd characters that could forge log lines) is replaced.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the proxy's X-Request-Id when well-formed, else a new UUID; echoed in the answer. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Fields added to the access log line when the answer is finished. */
export function accessLogFields(req: IncomingMessage, res: ServerResponse, logEmailAddresses: boolean): Record<string, string> {
  const fields: Record<string, string> = { outcome: requestOutcome(res) };
  const domain = requestDomain(req, res);
  if (domain) fields.domain = domain;
  if (logEmailAddresses) {
    const address = requestAddress(req, res);
    if (address) fields.address = address.address;
  }
  return fields;
}

/**
 * The access log: one line per request when its answer is finished (or the client went
 * away), with the request id, method, path and Host, the status, the time taken and the
 * fields above; the format pino-http wrote before (a request logger of its own per
 * request cost more than the rest of answering a request). Paths only: query strings
 * carry email addresses, and headers carry passwords (Authorization: Basic,
 * protocols.md G16), so neither is logged.
 */
export function accessLog(logger: Logger, logEmailAddresses: boolean): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const id = requestId(req, res);
    if (!logger.isLevelEnabled('info')) return;
    const started = Date.now();
    const request = { id, method: req.method, path: req.url?.split('?')[0], host: req.headers.host };
    const done = (error?: Error) => {
      res.off('close', done);
      res.off('finish', done);
      res.off('error', done);
      const fields = accessLogFields(req, res, logEmailAddresses);
      const responseTime = Date.now() - started;
      const response = { statusCode: res.statusCode };
      if (error || res.statusCode >= 500) {
        const err = error ?? new Error(`failed with status code ${res.statusCode}`);
        logger.info({ req: request, res: response, err, responseTime, ...fields }, 'request errored');
      } else {
        logger.info({ req: request, res: response, responseTime, ...fields }, res.writableEnded ? 'request completed' : 'request aborted');
      }
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
  };
}
