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
 * Where the standalone server writes its log lines, and the fields pino puts in each of
 * them (pid, hostname): its access log lines go straight there, bypassing the logger.
 */
export interface AccessLogLines {
  readonly sink: { write(line: string): unknown };
  readonly base: Readonly<Record<string, string | number>>;
}

/** What one access log line says, in the shape pino-http writes. */
export interface AccessLogFields {
  readonly req: { readonly id: string; readonly method: string; readonly path: string; readonly host: string | undefined };
  readonly res: { readonly statusCode: number };
  readonly err: { readonly type: 'Error'; readonly message: string } | undefined;
  readonly responseTime: number;
  readonly outcome: string;
  readonly domain: string | undefined;
  readonly address: string | undefined;
}

/**
 * One line per request when its answer is finished or the client went away: the request
 * id, method, path and Host, the status, the time taken, the outcome and the domain, in
 * the shape pino-http writes. Paths only: query strings carry email addresses, and headers
 * carry passwords (Authorization: Basic), so neither is logged. With `lines` (the
 * standalone server), the line is written to the logger's own destination directly, the
 * same JSON pino would write, since building it through pino is the largest cost of a
 * request after the socket write (docs/performance.md); embedders' lines go through
 * their logger and whatever it is configured to do.
 */
export function accessLog(logger: Logger, logEmailAddresses: boolean, lines?: AccessLogLines): AccessLog | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  const write = lines ? jsonLineWriter(lines, logger.levels.values.info!) : loggerWriter(logger);
  return (view, id, res, elapsedMs) => {
    const { req } = res;
    const status = res.statusCode;
    const errored = status >= 500;
    const message = errored ? 'request errored' : res.writableEnded ? 'request completed' : 'request aborted';
    write(
      {
        req: { id, method: view.method, path: view.path, host: req.headers.host },
        res: { statusCode: status },
        // The error itself, with its stack, is logged where it happened (errors.ts).
        err: errored ? { type: 'Error', message: `failed with status code ${status}` } : undefined,
        responseTime: Math.round(elapsedMs),
        outcome: requestOutcome(res),
        domain: requestDomain(req, res),
        address: logEmailAddresses ? requestAddress(req, res)?.address : undefined,
      },
      message,
    );
  };
}

function loggerWriter(logger: Logger): (fields: AccessLogFields, message: string) => void {
  // The line's fields hold no request header, so the server's redaction of headers has
  // nothing to remove here; without it pino need not walk every line for the paths. The
  // err field is written as it is: pino's error serialiser would call it an "Object" with
  // an empty stack.
  const log = logger.child({}, { redact: { paths: [] }, serializers: { err: (err: unknown) => err } });
  return (fields, message) => log.info(fields, message);
}

function jsonLineWriter({ sink, base }: AccessLogLines, level: number): (fields: AccessLogFields, message: string) => void {
  const baseFields = Object.entries(base)
    .map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join('');
  return (fields, message) => sink.write(pinoJsonLine(`{"level":${level},"time":${Date.now()}${baseFields}`, fields, message));
}

// Anything but what JSON writes as it is: the quote, the backslash, control characters and
// surrogates (a lone one is escaped by JSON.stringify) fall outside these ranges.
const ESCAPED_IN_JSON = /[^\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]/;

/** A JSON string; most values need no escaping, and a plain pair of quotes is cheaper than JSON.stringify. */
const quoted = (value: string) => (ESCAPED_IN_JSON.test(value) ? JSON.stringify(value) : `"${value}"`);

const optional = (name: string, value: string | undefined) => (value === undefined ? '' : `,"${name}":${quoted(value)}`);

/**
 * The line pino writes for these fields after `start` (its level, time and base fields):
 * the fields in order, undefined ones left out, then the message.
 */
export function pinoJsonLine(start: string, { req, res, err, responseTime, outcome, domain, address }: AccessLogFields, message: string): string {
  return (
    `${start},"req":{"id":${quoted(req.id)},"method":${quoted(req.method)},"path":${quoted(req.path)}${optional('host', req.host)}}` +
    `,"res":{"statusCode":${res.statusCode}}` +
    (err ? `,"err":{"type":"Error","message":${quoted(err.message)}}` : '') +
    `,"responseTime":${responseTime},"outcome":${quoted(outcome)}${optional('domain', domain)}${optional('address', address)}` +
    `,"msg":${quoted(message)}}\n`
  );
}
