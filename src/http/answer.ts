/**
 * Answers as data, and the one writer that sends them. Endpoint handlers return an
 * Answer instead of writing to a response, so the Express app and the standalone server
 * send the very same bytes. The writer does what Express's res.send does for them (a weak
 * ETag, 304 for a matching If-None-Match, no body for HEAD), with the ETag of a
 * precomputed document computed once rather than per request, and none for a POST or an
 * answer no cache may keep.
 */
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fresh from 'fresh';
import type { AnswerKind } from './answer-kinds';
import { noteRequest, type RequestRecord } from './observe';

/** A document computed at load: its bytes and its ETag are computed once too. */
export class PreparedBody {
  readonly bytes: Buffer;
  readonly etag: string;

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    this.etag = weakEtag(this.bytes);
  }
}

/** Header fields as name and value pairs. */
export type HeaderPairs = readonly (readonly [string, string])[];

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer | PreparedBody;
  /** Further headers, set before Content-Type. */
  readonly headers?: HeaderPairs;
  /** What the access log and metrics record beyond the status (an address from a body, an error sent as 200). */
  readonly record?: RequestRecord;
  /** False for an answer no cache may keep whatever its route's kind, such as a temporary failure. */
  readonly storable?: false;
}

/**
 * A redirect as Express's res.redirect sends it to a client that accepts anything;
 * `location` is a request target already, so it is not encoded again.
 */
export function redirect(status: 301 | 302, location: string, headers: HeaderPairs = []): Answer {
  const reason = status === 301 ? 'Moved Permanently' : 'Found';
  return { status, contentType: 'text/plain; charset=utf-8', headers: [['Location', location], ...headers], body: `${reason}. Redirecting to ${location}` };
}


/** The weak ETag Express's default `etag` setting gives a body (the `etag` package's format). */
function weakEtag(bytes: Buffer): string {
  if (bytes.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${bytes.length.toString(16)}-${hash('sha1', bytes, 'base64').slice(0, 27)}"`;
}

/**
 * Header fields as one flat list of names and values, the shape res.writeHead takes: with
 * nothing set on the response before, Node writes such a list as it is, without the
 * per-header bookkeeping of res.setHeader.
 */
export type HeaderList = string[];

/**
 * Sends an answer of a kind (its header set and cache policy), with `headers` (the request
 * id, the rate limit's) first. A header set on the response earlier (shutdown's
 * Connection: close) is kept: Node then merges the list into it.
 */
export function sendAnswer(res: ServerResponse, answer: Answer, kind: AnswerKind, headers: HeaderList = []): void {
  if (answer.record) noteRequest(res, answer.record);
  for (const field of kind.headers) headers.push(field);
  if (answer.headers) for (const [name, value] of answer.headers) headers.push(name, value);
  if (answer.status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const { body } = answer;
  const bytes = body instanceof PreparedBody ? body.bytes : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const { req } = res;
  const storable = kind.storable && answer.storable !== false;
  if (!storable) headers.push('Cache-Control', 'private, no-store');
  // Only a GET or HEAD of what a cache may keep can be revalidated, so only they get an
  // ETag: nothing that may not keep an answer revalidates it, and the ETag costs a hash.
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !storable) {
    headers.push('Content-Type', answer.contentType, 'Content-Length', String(bytes.length));
    res.writeHead(answer.status, headers);
    if (req.method === 'HEAD') res.end();
    else res.end(bytes);
    return;
  }
  const etag = body instanceof PreparedBody ? body.etag : weakEtag(bytes);
  if (isFresh(req, answer.status, etag)) {
    // As Express's res.send: 304 without the body's type and length.
    headers.push('ETag', etag);
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers.push('Content-Type', answer.contentType, 'Content-Length', String(bytes.length), 'ETag', etag);
  res.writeHead(answer.status, headers);
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}

/** Express's req.fresh for a GET or HEAD: validators that match what is about to be sent. */
function isFresh(req: IncomingMessage, status: number, etag: string): boolean {
  const { headers } = req;
  if (headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined) return false;
  if (status < 200 || status >= 300) return false;
  return fresh(headers, { etag });
}
