/**
 * The header set of each kind of answer, computed once: what a client of that kind needs,
 * and no more.
 *
 * Mail clients read XML, JSON and profiles; no browser renders them, so they carry only
 * `X-Content-Type-Options: nosniff`, which stops a browser from treating one as HTML when
 * someone opens its URL. The setup page is the one real page: it carries helmet's full
 * set, with a policy stricter than helmet's default (no script at all, styles only from
 * our own file, forms only to ourselves; no upgrade-insecure-requests, so the page keeps
 * working over plain http). HSTS is the TLS-terminating proxy's to send, since this
 * server speaks plain HTTP behind it.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';

export interface AnswerKind {
  /** Header fields as a flat list of names and values. */
  readonly headers: readonly string[];
  /** False for answers no cache may keep: sent with `Cache-Control: private, no-store` and no ETag. */
  readonly storable: boolean;
}

const NOSNIFF = ['X-Content-Type-Options', 'nosniff'];

/** XML, JSON and plain text for programs: revalidated by their ETag. */
export const DOCUMENT: AnswerKind = { headers: NOSNIFF, storable: true };

/** A document about one person (a profile names them) or about this instant (health, metrics). */
export const UNCACHED_DOCUMENT: AnswerKind = { headers: NOSNIFF, storable: false };

/** The page's stylesheet and icon: the same for everyone, kept an hour. */
export const PAGE_ASSET: AnswerKind = { headers: [...NOSNIFF, 'Cache-Control', 'public, max-age=3600'], storable: true };

/** The setup page: it shows a person's address, so no cache keeps it. */
export const PAGE: AnswerKind = {
  headers: headersOf(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  ),
  storable: false,
};

/** The headers a middleware sets, collected once by running it on a response that is never sent. */
function headersOf(middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void): string[] {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  middleware(req, res, () => undefined);
  return Object.entries(res.getHeaders()).flatMap(([name, value]) => [name, String(value)]);
}
