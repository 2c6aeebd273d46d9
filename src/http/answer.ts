/**
 * Answers as data, and the one writer that sends them. Endpoint handlers return an
 * Answer instead of writing to an Express response, so the Express path and the lean path
 * send the very same bytes. The writer does what Express's res.send does for them (a weak
 * ETag, 304 for a matching If-None-Match, no body for HEAD), with the ETag of a
 * precomputed document computed once rather than per request.
 */
import { hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import fresh from 'fresh';
import { noteRequest, type RequestFacts } from './observe';

/** A document computed at load: its bytes and its ETag are computed once too. */
export class PreparedBody {
  readonly bytes: Buffer;
  readonly etag: string;

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    this.etag = weakEtag(this.bytes);
  }
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer | PreparedBody;
  /** Further headers, set before Content-Type. */
  readonly headers?: readonly (readonly [string, string])[];
  /** What the access log and metrics should know (an address from a body, an error sent as 200). */
  readonly facts?: RequestFacts;
}

/** The weak ETag Express's default `etag` setting gives a body (the `etag` package's format). */
function weakEtag(bytes: Buffer): string {
  if (bytes.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${bytes.length.toString(16)}-${hash('sha1', bytes, 'base64').slice(0, 27)}"`;
}

export function sendAnswer(res: ServerResponse, answer: Answer): void {
  if (answer.facts) noteRequest(res, answer.facts);
  const { body } = answer;
  const bytes = body instanceof PreparedBody ? body.bytes : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const etag = body instanceof PreparedBody ? body.etag : weakEtag(bytes);
  res.statusCode = answer.status;
  if (answer.headers) for (const [name, value] of answer.headers) res.setHeader(name, value);
  res.setHeader('Content-Type', answer.contentType);
  res.setHeader('Content-Length', bytes.length);
  res.setHeader('ETag', etag);
  const { req } = res;
  const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  if (conditional && isFresh(res)) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.end();
    return;
  }
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}

/** Express's req.fresh: a GET or HEAD whose validators match what is about to be sent. */
function isFresh(res: ServerResponse): boolean {
  const { req } = res;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if ((res.statusCode < 200 || res.statusCode >= 300) && res.statusCode !== 304) return false;
  return fresh(req.headers, { etag: res.getHeader('ETag') as string, 'last-modified': res.getHeader('Last-Modified') as string | undefined });
}
