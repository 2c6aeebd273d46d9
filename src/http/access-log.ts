/**
 * The access log's request ids and lines. A line names the mail domain a request was
 * about, never the address unless the admin enables it: addresses are personal data, and
 * the domain is what an operator needs to follow a problem.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
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

// New ids are UUID-shaped: a random UUID's first 24 characters, drawn once per process,
// then a 48-bit count of the process's requests. They stay unique across restarts and
// replicas (74 random bits per process) and need no random bytes per request: a fresh
// randomUUID() per request cost about 1.5 µs in the server, refilling its entropy cache
// with a system call every 128 ids. An id only has to tell requests apart; it is no secret.
const ID_PREFIX = randomUUID().slice(0, 24);
const ID_COUNTER_LIMIT = 2 ** 48;
let requestCount = 0;

function newRequestId(): string {
  requestCount = (requestCount + 1) % ID_COUNTER_LIMIT;
  return ID_PREFIX + requestCount.toString(16).padStart(12, '0');
}

/** Writes one access log line for a finished (or abandoned) request. */
export type AccessLog = (view: RequestView, id: string, res: ServerResponse, elapsedMs: number) => void;

interface PinoInternals {
  readonly [pino.symbols.streamSym]: { write(line: string): void };
  readonly [pino.symbols.chindingsSym]: string;
  [pino.symbols.timeSym](): string;
  readonly [pino.symbols.messageKeySym]: string;
}

/**
 * One line per request when its answer is finished or the client went away: the request
 * id, method, path and Host, the status, the time taken, the outcome and the domain, in
 * the shape pino-http writes. Paths only: query strings carry email addresses, and headers
 * carry passwords (Authorization: Basic, protocols.md G16), so neither is logged.
 *
 * The line is put together here and written to the logger's own stream, in pino's format
 * with the logger's time and bindings (a test checks it against pino's own line): it is
 * written for every request, and building it costs a tenth of pino's generic
 * serialisation, whose redaction and nested-object walks the fixed fields do not need.
 */
export function accessLog(logger: Logger, logEmailAddresses: boolean): AccessLog | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  const internals = logger as unknown as PinoInternals;
  const stream = internals[pino.symbols.streamSym];
  const start = `{"level":${logger.levels.values.info}`;
  const bindings = internals[pino.symbols.chindingsSym];
  const messageKey = JSON.stringify(internals[pino.symbols.messageKeySym]);
  return (view, id, res, elapsedMs) => {
    const { req } = res;
    const status = res.statusCode;
    const errored = status >= 500;
    const host = req.headers.host;
    const domain = requestDomain(req, res);
    const address = logEmailAddresses ? requestAddress(req, res)?.address : undefined;
    const message = errored ? 'request errored' : res.writableEnded ? 'request completed' : 'request aborted';
    // The id (ACCEPTABLE_REQUEST_ID or ours), the method (an HTTP token, or Node's parser
    // refuses the request) and the domain (a DNS name's A-label) need no JSON escaping.
    const request = `{"id":"${id}","method":"${view.method}","path":${jsonString(view.path)}${host === undefined ? '' : `,"host":${jsonString(host)}`}}`;
    // The error itself, with its stack, is logged where it happened (errors.ts).
    const error = errored ? `,"err":{"type":"Error","message":"failed with status code ${status}"}` : '';
    const about = `${domain ? `,"domain":"${domain}"` : ''}${address ? `,"address":${jsonString(address)}` : ''}`;
    stream.write(
      `${start}${internals[pino.symbols.timeSym]()}${bindings},"req":${request},"res":{"statusCode":${status}}${error}` +
        `,"responseTime":${Math.round(elapsedMs)},"outcome":"${requestOutcome(res)}"${about},${messageKey}:"${message}"}\n`,
    );
  };
}

// What JSON.stringify would escape in a string: quotes, backslashes, control characters
// and lone surrogates. Most values have none, and then quoting them is all it takes.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON string literal, as JSON.stringify writes it. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text) : `"${text}"`;
}
