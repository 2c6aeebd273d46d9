/**
 * Plain-text error answers for the GET endpoints, and the last-resort handler that turns
 * anything unexpected into a 500 without leaking internals or crashing the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { rememberRecent } from '../recent-results';
import { PreparedBody, sendAnswer, type Answer } from './answer';
import { openPreflight } from './cors';

// Error texts come from a short fixed list, and bots get unknown-domain 404s by the
// thousand: each text's bytes and ETag are made once.
const preparedText = rememberRecent((message) => new PreparedBody(`${message}\n`), 64, 256);

/**
 * A plain-text error answer, with the facts and headers a caller adds. It is built here in
 * one object literal rather than spread into another by the caller: V8 gives a spread copy
 * with an added property a shape of its own each time, and sendAnswer then missed its
 * inline caches on every unknown-domain 404, about 8 µs of CPU per request (issue 7).
 */
export function textError(status: number, message: string, { facts, headers }: Pick<Answer, 'facts' | 'headers'> = {}): Answer {
  return { status, contentType: 'text/plain; charset=utf-8', headers, body: preparedText(message), facts };
}

/** The 404 of every GET endpoint for a domain no provider hosts. */
export function unknownDomain(facts?: Answer['facts']): Answer {
  return textError(404, 'No configuration for this domain', { facts });
}

/** The methods a GET route serves: Express answers HEAD with the GET handler. */
export const GET_AND_HEAD = 'GET, HEAD';

/**
 * What a path answers to the methods it does not serve, after its own routes: OPTIONS gets
 * 204 with the methods it serves (RFC 9110 §9.3.7), anything else 405 with the same list.
 * Every router ends its paths with one, so all paths answer alike: Express would answer
 * OPTIONS itself for some (200, the list as text) and let others fall through to 405 or 404.
 * Paths open to every origin (cors.ts) also grant a browser's preflight there.
 */
export function otherMethods(allow: string, { openToEveryOrigin = false } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const preflight = openToEveryOrigin ? openPreflight(allow) : [];
  return (req, res) => {
    res.setHeader('Allow', allow);
    if (req.method !== 'OPTIONS') return sendTextError(res, 405, 'Method not allowed');
    for (const [name, value] of preflight) res.setHeader(name, value);
    res.statusCode = 204;
    res.end();
  };
}

/** A path we do not serve (not a domain we do not host): the app's last answer, on both paths. */
export const PATH_NOT_FOUND: Answer = textError(404, 'Not found', { facts: { outcome: 'bad request' } });

export function sendTextError(res: ServerResponse, status: number, message: string): void {
  sendAnswer(res, textError(status, message));
}

/** Errors raised by body parsing carry an HTTP status and a type; keep their status. */
interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

const BODY_TOO_LARGE = 'entity.too.large';

/** The error the body parser raises for an oversized body, for refusing one before reading it. */
export function bodyTooLarge(): Error & HttpError {
  return Object.assign(new Error('Request body too large'), { status: 413, type: BODY_TOO_LARGE, expose: true });
}

/** Express's error middleware shape, on raw node:http objects so the lean path can call it too. */
export type ErrorHandler = (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export function errorHandler(logger: Logger): ErrorHandler {
  return (error, req, res, _next) => {
    const httpError = (typeof error === 'object' && error !== null ? error : {}) as HttpError;
    const status = httpError.status ?? httpError.statusCode ?? 500;
    if (status >= 500) logger.error({ err: error, path: req.url?.split('?')[0] }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const tooLarge = httpError.type === BODY_TOO_LARGE;
    // The rest of an oversized body is not worth reading: close the connection instead.
    if (tooLarge) res.setHeader('Connection', 'close');
    const message = tooLarge
      ? 'Request body too large'
      : status < 500 && httpError.expose
        ? (error as Error).message
        : 'Internal server error';
    sendTextError(res, status, message);
  };
}
