/**
 * The access log's request ids and lines. A line names the mail domain a request was
 * about, never the address unless the admin enables it: addresses are personal data, and
 * the domain is what an operator needs to follow a problem.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { requestAddress, requestDomain, requestOutcome } from './observe';
import type { RequestView } from './request-view';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// An id set by a proxy in front is kept so its log and ours line up; anything else
// (too long, odd characters that could forge log lines) is replaced.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the proxy's X-Request-Id when well-formed, else a new one. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
}

// New ids are UUID-shaped: a random prefix drawn once per process, then a count of its
// requests. An id only has to tell requests apart (it is no secret), and this one stays
// unique across restarts and replicas without drawing random bytes for every request.
const ID_PREFIX = randomUUID().slice(0, 24);
const ID_COUNTER_LIMIT = 2 ** 48;
let requestCount = 0;

function newRequestId(): string {
  requestCount = (requestCount + 1) % ID_COUNTER_LIMIT;
  return ID_PREFIX + requestCount.toString(16).padStart(12, '0');
}

/** Writes one access log line for a finished (or abandoned) request. */
export type AccessLog = (view: RequestView, id: string, res: ServerResponse, elapsedMs: number) => void;

/**
 * One line per request when its answer is finished or the client went away: the request
 * id, method, path and Host, the status, the time taken, the outcome and the domain, in
 * the shape pino-http writes. Paths only: query strings carry email addresses, and headers
 * carry passwords (Authorization: Basic), so neither is logged.
 */
export function accessLog(logger: Logger, logEmailAddresses: boolean): AccessLog | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  // The line's fields hold no request header, so the server's redaction of headers has
  // nothing to remove here; without it pino need not walk every line for the paths.
  const log = logger.child({}, { redact: { paths: [] } });
  return (view, id, res, elapsedMs) => {
    const { req } = res;
    const status = res.statusCode;
    const errored = status >= 500;
    const domain = requestDomain(req, res);
    const address = logEmailAddresses ? requestAddress(req, res)?.address : undefined;
    const message = errored ? 'request errored' : res.writableEnded ? 'request completed' : 'request aborted';
    log.info(
      {
        req: { id, method: view.method, path: view.path, host: req.headers.host },
        res: { statusCode: status },
        // The error itself, with its stack, is logged where it happened (errors.ts).
        err: errored ? { type: 'Error', message: `failed with status code ${status}` } : undefined,
        responseTime: Math.round(elapsedMs),
        outcome: requestOutcome(res),
        domain,
        address,
      },
      message,
    );
  };
}
