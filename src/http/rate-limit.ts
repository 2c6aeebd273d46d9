/**
 * Per-client rate limiting, in fixed windows per client. A client is Express's `req.ip`
 * (request-view.ts), which comes from X-Forwarded-For only when the peer is in the
 * `trustProxy` list; from anyone else the header is ignored, so it cannot be used to dodge
 * the limit. IPv6 clients are counted per /56, the usual size of one customer's
 * allocation. Once a client has used half its budget, answers carry the draft-7
 * RateLimit headers; a 429 has them and Retry-After.
 *
 * The mail protocols and the setup page (with its assets) have budgets of their own, so a
 * person loading the page does not use up what their mail client needs, nor the other way
 * round (docs/operations.md, "Rate limits"). Each budget tracks at most `maxClients`
 * clients: past that the oldest window is forgotten, so rotating forwarded addresses
 * cannot grow memory without bound.
 *
 * Synchronous, and kept per app: the standalone server and an Express host each have one.
 */
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import { DEFAULT_MAX_TRACKED_CLIENTS, type Settings } from '../config/settings';
import type { Answer, HeaderList } from './answer';
import { textError } from './errors';
import type { RequestView } from './request-view';

/** Which budget a route counts against (routes.ts): the mail protocols, or the setup page and its assets. */
export type RateBudget = 'protocol' | 'page';

export interface RateLimitOptions {
  /** Protocol requests allowed per client and window; 0 turns limiting off. */
  readonly requests: number;
  /** Setup page requests (page, stylesheet, icon) allowed per client and window; 0: not limited. Default: `requests`. */
  readonly pageRequests?: number;
  readonly windowMs: number;
  /** Clients tracked per budget at most. */
  readonly maxClients?: number;
}

const IPV6_SUBNET = 56;

interface Window {
  hits: number;
  readonly resetTime: number;
}

/** Counts a request against a budget and adds the RateLimit headers; the 429 answer when it is refused. */
export interface RateLimiter {
  (req: IncomingMessage, view: RequestView, headers: HeaderList, budget?: RateBudget): Answer | undefined;
  /** How many clients the budgets track now, together. */
  trackedClients(): number;
}

type BudgetCounter = (key: string, headers: HeaderList) => Answer | undefined;

export function rateLimiter({ requests, pageRequests = requests, windowMs, maxClients = DEFAULT_MAX_TRACKED_CLIENTS }: RateLimitOptions): RateLimiter | undefined {
  if (requests === 0) return undefined;
  const tracked: Map<string, Window>[] = [];
  const budget = (limit: number): BudgetCounter | undefined => {
    if (limit === 0) return undefined;
    const windows = new Map<string, Window>();
    tracked.push(windows);
    return budgetCounter(windows, limit, windowMs, maxClients);
  };
  const counters: Record<RateBudget, BudgetCounter | undefined> = { protocol: budget(requests), page: budget(pageRequests) };
  // Ended windows are dropped once per window, so a map holds at most two windows' clients.
  setInterval(() => {
    const now = Date.now();
    for (const windows of tracked) for (const [key, window] of windows) if (window.resetTime <= now) windows.delete(key);
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

  const limiter = (req: IncomingMessage, view: RequestView, headers: HeaderList, budget: RateBudget = 'protocol') => {
    const count = counters[budget];
    return count && count(clientKey(req, view), headers);
  };
  return Object.assign(limiter, { trackedClients: () => tracked.reduce((sum, windows) => sum + windows.size, 0) });
}

/** The limiter's options as the settings give them. */
export function rateLimitOptions(settings: Pick<Settings, 'rateLimitRequests' | 'pageRateLimitRequests' | 'rateLimitWindowMs' | 'rateLimitMaxClients'>): RateLimitOptions {
  return {
    requests: settings.rateLimitRequests,
    pageRequests: settings.pageRateLimitRequests,
    windowMs: settings.rateLimitWindowMs,
    maxClients: settings.rateLimitMaxClients,
  };
}

function budgetCounter(windows: Map<string, Window>, requests: number, windowMs: number, maxClients: number): BudgetCounter {
  const windowSeconds = Math.ceil(windowMs / 1000);
  const policy = `${requests};w=${windowSeconds}`;
  return (key, headers) => {
    const now = Date.now();
    let window = windows.get(key);
    if (!window || window.resetTime <= now) {
      // Re-inserted, so the map's first key is always the oldest window: the one to forget when full.
      windows.delete(key);
      if (windows.size >= maxClients) windows.delete(windows.keys().next().value as string);
      window = { hits: 0, resetTime: now + windowMs };
      windows.set(key, window);
    }
    window.hits += 1;
    // Only a client that has used half its budget is told about it: mail clients read none
    // of these fields, so on every other answer they would only lengthen the head.
    if (window.hits * 2 <= requests) return undefined;
    const resetSeconds = Math.max(0, Math.ceil((window.resetTime - now) / 1000));
    headers.push('RateLimit-Policy', policy, 'RateLimit', `limit=${requests}, remaining=${Math.max(requests - window.hits, 0)}, reset=${resetSeconds}`);
    if (window.hits <= requests) return undefined;
    return textError(429, 'Too many requests', { headers: [['Retry-After', String(resetSeconds)]] });
  };
}
