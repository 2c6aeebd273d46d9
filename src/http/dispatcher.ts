/**
 * The dispatcher: serves the route table (routes.ts) on a node:http request and response.
 * The standalone server runs it as its request listener, and the Express app (app.ts) runs
 * it as its one middleware, so both answer every request with the same bytes.
 *
 * For each request it attaches the request's view, matches its path, gives it an id, the
 * rate limit's verdict and one listener for when it ends (metrics and access log), checks
 * the method against the route's (405 and OPTIONS with the route's Allow list), reads a
 * POST body up to the limit, and sends the handler's Answer with the route's header set.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { sendAnswer, type Answer, type HeaderList } from './answer';
import { DOCUMENT } from './answer-kinds';
import { REQUEST_ID_HEADER, requestId, type AccessLog } from './access-log';
import { openPreflight } from './cors';
import { bodyTooLarge, METHOD_NOT_ALLOWED, PATH_NOT_FOUND, textError, type ErrorHandler } from './errors';
import type { Metrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import { pathMatcher } from './route-match';
import type { Handler, Route, RouteContext, RouteRequest } from './route';
import { attachView, type RequestView, type TrustProxy } from './request-view';

export interface DispatcherOptions {
  readonly routes: readonly Route[];
  readonly context: RouteContext;
  readonly trust: TrustProxy;
  readonly bodyLimitBytes: number;
  readonly errorHandler: ErrorHandler;
  /** Counts each request; left out where requests are not counted (the metrics port). */
  readonly metrics?: Metrics;
  readonly accessLog?: AccessLog;
  readonly rateLimiter?: RateLimiter;
}

/** Answers a request; with `next` (inside an Express host), a path no route serves is passed on instead. */
export type Dispatcher = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** A route with its handler built and its method answers made once. */
interface ServedRoute {
  readonly route: Route;
  readonly handle: Handler;
  readonly methodNotAllowed: Answer;
  readonly options: Answer;
}

const EMPTY = Buffer.alloc(0);
const BAD_PATH = textError(400, 'Bad request: the path does not decode');

export function createDispatcher({ routes, context, trust, bodyLimitBytes, errorHandler, metrics, accessLog, rateLimiter }: DispatcherOptions): Dispatcher {
  const match = pathMatcher(routes);
  const served = new Map(routes.map((route) => [route, serve(route, context)]));
  // The body is read raw whatever its Content-Type (one client posts it as a form), and
  // never inflated: the limit applies to the bytes on the wire.
  const rawBody = express.raw({ type: () => true, limit: bodyLimitBytes, inflate: false });

  const answerWith = ({ route, handle }: ServedRoute, request: RouteRequest, req: IncomingMessage, res: ServerResponse, headers: HeaderList) => {
    let answer: Answer | Promise<Answer>;
    try {
      answer = handle(request);
    } catch (error) {
      return errorHandler(error, req, res, headers);
    }
    // Only a signed profile, the metrics text and a domain the database must be asked about are made asynchronously.
    if (answer instanceof Promise) {
      answer.then(
        (ready) => sendAnswer(res, ready, route.kind, headers),
        (error: unknown) => errorHandler(error, req, res, headers),
      );
    } else sendAnswer(res, answer, route.kind, headers);
  };

  /** Reads the body: at once when its length is announced, through Express's raw parser otherwise. */
  const readBody = (req: IncomingMessage, res: ServerResponse, done: (error: unknown, body: Buffer) => void) => {
    const given = (req as { body?: unknown }).body;
    // A host app's body parser got there first.
    if (Buffer.isBuffer(given)) return done(undefined, given);
    const { headers } = req;
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > bodyLimitBytes) return done(bodyTooLarge(), EMPTY);
    const encoding = headers['content-encoding'];
    if (declared !== undefined && headers['transfer-encoding'] === undefined && (encoding === undefined || encoding.toLowerCase() === 'identity') && /^\d{1,9}$/.test(declared)) {
      return readDeclaredBody(req, Number(declared), (body) => done(undefined, body));
    }
    rawBody(req as express.Request, res as express.Response, (error?: unknown) => {
      const read = (req as { body?: unknown }).body;
      done(error, Buffer.isBuffer(read) ? read : EMPTY);
    });
  };

  return (req, res, next) => {
    const view = attachView(req, trust);
    const found = match(view.path);
    if (!found && next) return next();
    const headers: HeaderList = [];
    begin(view, req, res, headers);
    const route = found?.route;
    if (route) view.endpoint = route.label;
    if (rateLimiter && !route?.unlimited) {
      const refusal = rateLimiter(req, view, headers, route?.rateBudget);
      if (refusal) return sendAnswer(res, refusal, DOCUMENT, headers);
    }
    if (!found || !route) return sendAnswer(res, PATH_NOT_FOUND, DOCUMENT, headers);
    const serving = served.get(route)!;
    const { method } = req;
    const allowed = method === 'GET' || method === 'HEAD' ? route.methods.includes('GET') : method === 'POST' && route.methods.includes('POST');
    if (!allowed) return sendAnswer(res, method === 'OPTIONS' ? serving.options : serving.methodNotAllowed, DOCUMENT, headers);
    const { params } = found;
    if (!params) return sendAnswer(res, BAD_PATH, DOCUMENT, headers);
    if (method !== 'POST' || !route.readsBody) return answerWith(serving, { view, params, body: EMPTY }, req, res, headers);
    readBody(req, res, (error, body) => {
      if (error) errorHandler(error, req, res, headers);
      else answerWith(serving, { view, params, body }, req, res, headers);
    });
  };

  /** Gives the request its id, and counts and logs it once its answer is finished or abandoned. */
  function begin(view: RequestView, req: IncomingMessage, res: ServerResponse, headers: HeaderList): void {
    const id = requestId(req);
    const started = performance.now();
    if (metrics || accessLog) {
      // 'close' comes once per response, after it is finished or when the client went away.
      res.on('close', () => {
        const elapsedMs = performance.now() - started;
        if (res.writableFinished) metrics?.record(view, res, elapsedMs);
        accessLog?.(view, id, res, elapsedMs);
      });
    }
    headers.push(REQUEST_ID_HEADER, id);
  }
}

function serve(route: Route, context: RouteContext): ServedRoute {
  const allow = route.methods.includes('POST') ? 'GET, HEAD, POST' : 'GET, HEAD';
  const preflight = route.openToEveryOrigin ? openPreflight(allow) : [];
  return {
    route,
    handle: route.handler(context),
    methodNotAllowed: textError(405, METHOD_NOT_ALLOWED, { headers: [['Allow', allow]] }),
    // OPTIONS: 204 with the methods the path serves (RFC 9110 §9.3.7), and a browser's preflight granted where any origin may read.
    options: { status: 204, contentType: '', body: '', headers: [['Allow', allow], ...preflight] },
  };
}

/**
 * Reads a body whose Content-Length is announced and within the limit into one buffer;
 * a body that ends early (the client went away) is not answered.
 */
function readDeclaredBody(req: IncomingMessage, length: number, done: (body: Buffer) => void): void {
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
