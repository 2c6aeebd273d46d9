/**
 * What every request goes through before its endpoint, on the Express path and the lean
 * path alike (lean-path.ts): its view is attached, it gets an id, the security headers and
 * the rate limit's verdict, and one listener for when it ends, which counts it in the
 * metrics and writes its access log line. Headers are collected in a list rather than set
 * on the response, so the lean path can write them with the answer's in one go.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Answer, HeaderList } from './answer';
import { REQUEST_ID_HEADER, requestId, type AccessLog } from './access-log';
import type { Metrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import { attachView, type TrustProxy } from './request-view';
import { addSecurityHeaders } from './security-headers';

/** Runs the steps; adds their headers to `headers`; returns the answer when a step refuses the request (429). */
export type RequestSteps = (req: IncomingMessage, res: ServerResponse, headers: HeaderList) => Answer | undefined;

export interface RequestStepsOptions {
  readonly trust: TrustProxy;
  readonly metrics: Metrics;
  readonly accessLog?: AccessLog;
  readonly rateLimiter?: RateLimiter;
}

export function requestSteps({ trust, metrics, accessLog, rateLimiter }: RequestStepsOptions): RequestSteps {
  return (req, res, headers) => {
    const view = attachView(req, trust);
    const id = requestId(req);
    const started = performance.now();
    // 'close' comes once per response, after it is finished or when the client went away.
    res.on('close', () => {
      const elapsedMs = performance.now() - started;
      if (res.writableFinished) metrics.record(view, res, elapsedMs);
      accessLog?.(view, id, res, elapsedMs);
    });
    headers.push(REQUEST_ID_HEADER, id);
    addSecurityHeaders(headers);
    return rateLimiter?.(req, headers);
  };
}
