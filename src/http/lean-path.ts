/**
 * The lean path: answers the hot protocol requests (autoconfig, POX, v2 JSON, Apple
 * profiles) on the raw node:http request and response, before Express sees them, and
 * hands everything else to Express untouched.
 *
 * Express's per-request cost is not its routing alone: giving every request and response
 * Express's prototypes (Object.setPrototypeOf) makes V8 treat them as objects of an
 * unknown shape from then on, and res.send recomputes an ETag for each answer. The lean
 * path therefore runs the same steps as the Express app (request view, metrics, access
 * log, security headers, rate limit: request-steps.ts) and the same endpoint handler,
 * whose Answer the same writer sends (answer.ts); only the dispatch differs, and that the
 * steps' headers are written with the answer's in one list instead of set one by one.
 * Anything the fast match is not sure about (another method, a trailing slash, an
 * undecodable path parameter, an absolute-form target, a compressed, chunked, unannounced
 * or oversized body) goes to Express, which answers it the way it always did. A path that
 * no route of the app matches at all (unrouted.ts, from the app's own routes) gets the
 * app's 404 here: scanners send those by the thousand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { POX_PATH } from '../formats/autodiscover-v2';
import { sendAnswer, setHeaders, type Answer, type HeaderList } from './answer';
import { PATH_NOT_FOUND, type ErrorHandler } from './errors';
import { MOZILLA_PATHS } from './mozilla-autoconfig';
import type { RequestSteps } from './request-steps';
import { viewOf, type RequestView } from './request-view';
import type { Unrouted } from './unrouted';

/** The handlers of the hot endpoints, as the Express routers call them. */
export interface HotHandlers {
  readonly mozilla: (request: RequestView) => Answer;
  readonly apple: (request: RequestView) => Answer | Promise<Answer>;
  readonly poxPost: (request: RequestView, body: Buffer) => Answer;
  readonly poxGet: (request: RequestView) => Answer;
  readonly v2Json: (request: RequestView, pathEmail: string | undefined) => Answer;
}

export interface LeanPathOptions {
  readonly handlers: HotHandlers;
  readonly steps: RequestSteps;
  readonly errorHandler: ErrorHandler;
  readonly bodyLimitBytes: number;
  /** Paths no route of the app serves (unrouted.ts): answered the app's 404 here. */
  readonly unrouted: Unrouted;
}

/** Tries to answer a request; false when Express must (nothing has been read or written then). */
export type LeanPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Answers a request; `headers` are the steps' own, to be sent with the answer. */
type Route = (request: RequestView, req: IncomingMessage, res: ServerResponse, headers: HeaderList) => void;

const V2_PATH = '/autodiscover/autodiscover.json';
const V2_EMAIL_PREFIX = `${V2_PATH}/v1.0/`;
const APPLE_SUFFIX = '.mobileconfig';
const EMPTY = Buffer.alloc(0);

export function leanPath({ handlers, steps, errorHandler, bodyLimitBytes, unrouted }: LeanPathOptions): LeanPath {
  const fail = (error: unknown, req: IncomingMessage, res: ServerResponse, headers: HeaderList) => {
    setHeaders(res, headers);
    errorHandler(error, req, res, () => undefined);
  };
  const answerWith = (req: IncomingMessage, res: ServerResponse, headers: HeaderList, produce: () => Answer | Promise<Answer>) => {
    let answer: Answer | Promise<Answer>;
    try {
      answer = produce();
    } catch (error) {
      return fail(error, req, res, headers);
    }
    // Only a signed profile is made asynchronously; its failure goes to the error handler,
    // as Express 5 sends a rejected handler's. Everything else is answered before this returns.
    if (answer instanceof Promise) {
      answer.then(
        (ready) => sendAnswer(res, ready, headers),
        (error: unknown) => fail(error, req, res, headers),
      );
    } else sendAnswer(res, answer, headers);
  };
  const mozilla: Route = (request, req, res, headers) => answerWith(req, res, headers, () => handlers.mozilla(request));
  const poxGet: Route = (request, req, res, headers) => answerWith(req, res, headers, () => handlers.poxGet(request));
  const v2Json =
    (email: string | undefined): Route =>
    (request, req, res, headers) =>
      answerWith(req, res, headers, () => handlers.v2Json(request, email));
  const v2JsonWithoutEmail = v2Json(undefined);
  const poxPost: Route = (request, req, res, headers) =>
    readDeclaredBody(req, (body) => answerWith(req, res, headers, () => handlers.poxPost(request, body)));
  const notFound: Route = (_request, _req, res, headers) => sendAnswer(res, PATH_NOT_FOUND, headers);
  const apple: Route = (request, req, res, headers) => answerWith(req, res, headers, () => handlers.apple(request));

  // Lower-cased exact paths, since Express routes case-insensitively (protocols.md G22).
  const getRoutes = new Map<string, Route>([
    ...MOZILLA_PATHS.map((path) => [path.toLowerCase(), mozilla] as const),
    [POX_PATH, poxGet],
    [V2_PATH, v2JsonWithoutEmail],
    ['/mobileconfig', apple],
  ]);

  function route(req: IncomingMessage, rawPath: string): Route | undefined {
    const path = rawPath.toLowerCase();
    const { method } = req;
    if (method === 'POST') return path === POX_PATH && acceptsBody(req) ? poxPost : undefined;
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    const found = getRoutes.get(path);
    if (found) return found;
    if (path.startsWith(V2_EMAIL_PREFIX)) {
      const email = decodeParameter(rawPath.slice(V2_EMAIL_PREFIX.length));
      return email === undefined ? undefined : v2Json(email);
    }
    // `/<name>.mobileconfig`: one segment, as the router's pattern says.
    if (path.endsWith(APPLE_SUFFIX) && path.length > APPLE_SUFFIX.length + 1 && path.indexOf('/', 1) === -1) return apple;
    return undefined;
  }

  /** Whether the body can be read here: announced, within the limit, not encoded (else Express refuses it its own way). */
  function acceptsBody(req: IncomingMessage): boolean {
    const { headers } = req;
    if (headers['transfer-encoding'] !== undefined) return false;
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const declared = headers['content-length'];
    return declared !== undefined && /^\d{1,9}$/.test(declared) && Number(declared) <= bodyLimitBytes;
  }

  return (req, res) => {
    const url = req.url ?? '';
    if (url.charCodeAt(0) !== 47 /* / */) return false;
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const found = route(req, path) ?? (unrouted(path) ? notFound : undefined);
    if (!found) return false;
    const headers: HeaderList = [];
    const refusal = steps(req, res, headers);
    if (refusal) sendAnswer(res, refusal, headers);
    else found(viewOf(req), req, res, headers);
    return true;
  };
}

/**
 * Reads a body whose Content-Length is announced and within the limit (checked before)
 * into one buffer; a body that ends early (the client went away) is not answered.
 */
function readDeclaredBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const length = Number(req.headers['content-length']);
  if (length === 0) return done(EMPTY);
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    // The HTTP parser never delivers more than Content-Length bytes.
    chunk.copy(body, received);
    received += chunk.length;
  });
  req.on('end', () => {
    if (received === length) done(body);
  });
  // A client that goes away mid-body gets no answer; its error must not go unhandled.
  req.on('error', () => undefined);
}

function decodeParameter(value: string): string | undefined {
  if (value === '' || value.includes('/')) return undefined;
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
