/**
 * Per-client rate limiting, in fixed windows per client. A client is Express's `req.ip`
 * (request-view.ts), which comes from X-Forwarded-For only when the peer is in the
 * `trustProxy` list; from anyone else the header is ignored, so it cannot be used to dodge
 * the limit. IPv6 clients are counted per /56, the usual size of one customer's
 * allocation. Once a client has used half its budget, answers carry the draft-7
 * RateLimit headers; a 429 has them and Retry-After.
 *
 * Synchronous, and kept per app: the standalone server and an Express host each have one.
 */
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Answer, HeaderList } from './answer';
import { textError } from './errors';
import type { RequestView } from './request-view';

export interface RateLimitOptions {
  /** Requests allowed per client and window; 0 turns limiting off. */
  readonly requests: number;
  readonly windowMs: number;
}

const IPV6_SUBNET = 56;

interface Window {
  hits: number;
  readonly resetTime: number;
}

/** Counts a request and adds the RateLimit headers; the 429 answer when it is refused. */
export type RateLimiter = (req: IncomingMessage, view: RequestView, headers: HeaderList) => Answer | undefined;

export function rateLimiter({ requests, windowMs }: RateLimitOptions): RateLimiter | undefined {
  if (requests === 0) return undefined;
  const windows = new Map<string, Window>();
  const windowSeconds = Math.ceil(windowMs / 1000);
  const policy = `${requests};w=${windowSeconds}`;
  // Ended windows are dropped once per window, so the map holds at most two windows' clients.
  setInterval(() => {
    const now = Date.now();
    for (const [key, window] of windows) if (window.resetTime <= now) windows.delete(key);
  }, windowMs).unref();

  // A client's key, per connection while it comes without X-Forwarded-For: a keep-alive
  // connection's peer does not change, and the IPv6 subnet is worth computing once.
  const keysByPeer = new WeakMap<object, string>();
  const clientKey = (req: IncomingMessage, view: RequestView): string => {
    if (req.headers['x-forwarded-for'] !== undefined) return ipKeyGenerator(view.ip, IPV6_SUBNET);
    let key = keysByPeer.get(req.socket);
    if (key === undefined) keysByPeer.set(req.socket, (key = ipKeyGenerator(view.ip, IPV6_SUBNET)));
    return key;
  };

  return (req, view, headers) => {
    const key = clientKey(req, view);
    const now = Date.now();
    let window = windows.get(key);
    if (!window || window.resetTime <= now) {
      window = { hits: 0, resetTime: now + windowMs };
      windows.set(key, window);
    }
    window.hits += 1;
    // Only a client that has used half its budget is told about it: mail clients read none
    // of these fields, and on every other answer they were 75 bytes of head for nothing.
    if (window.hits * 2 <= requests) return undefined;
    const resetSeconds = Math.max(0, Math.ceil((window.resetTime - now) / 1000));
    headers.push('RateLimit-Policy', policy, 'RateLimit', `limit=${requests}, remaining=${Math.max(requests - window.hits, 0)}, reset=${resetSeconds}`);
    if (window.hits <= requests) return undefined;
    return textError(429, 'Too many requests', { headers: [['Retry-After', String(resetSeconds)]] });
  };
}
