/**
 * Per-client rate limiting. A client is `req.ip`, which Express derives from
 * X-Forwarded-For only when the peer is in the `trustProxy` list; from anyone else the
 * header is ignored, so it cannot be used to dodge the limit. IPv6 clients are counted
 * per /56, the usual size of one customer's allocation.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { sendTextError } from './errors';

export interface RateLimitOptions {
  /** Requests allowed per client and window; 0 turns limiting off. */
  readonly requests: number;
  readonly windowMs: number;
}

/** Paths that monitors poll and that cost nothing: never limited. */
const UNLIMITED_PATHS = new Set(['/healthz']);

export function rateLimiter({ requests, windowMs }: RateLimitOptions, logger: Logger): RequestHandler | undefined {
  if (requests === 0) return undefined;
  return rateLimit({
    windowMs,
    limit: requests,
    // Standard RateLimit headers; they also make the library send Retry-After with 429.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => UNLIMITED_PATHS.has(req.path),
    handler: (_req, res) => sendTextError(res, 429, 'Too many requests'),
    // An X-Forwarded-For from an untrusted peer is expected (scanners send it) and ignored by design.
    validate: { xForwardedForHeader: false },
    logger,
  });
}
