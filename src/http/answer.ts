/**
 * Answers as data, and the one writer that sends them. Endpoint handlers return an
 * Answer instead of writing to an Express response, so the Express path and the lean path
 * send the very same bytes. The writer does what Express's res.send does for them (a weak
 * ETag, 304 for a matching If-None-Match, no body for HEAD), with the ETag of a
 * precomputed document computed once rather than per request, and none for a POST or an
 * answer no cache may keep.
 */
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Header fields as name and value pairs. */
export type HeaderPairs = readonly (readonly [string, string])[];

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer | PreparedBody;
  /** Further headers, set before Content-Type. */
  readonly headers?: HeaderPairs;
  /** What the access log and metrics should know (an address from a body, an error sent as 200). */
  readonly facts?: RequestFacts;
  /**
   * `false` for an answer no cache may keep (a profile naming a person): it is sent with
   * `Cache-Control: private, no-store` and without an ETag, since nothing that may not
   * keep it will revalidate it, and the ETag would cost a hash of every such answer.
   */
  readonly storable?: false;
}

/** The weak ETag Express's default `etag` setting gives a body (the `etag` package's format). */
function weakEtag(bytes: Buffer): string {
  if (bytes.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${bytes.length.toString(16)}-${hash('sha1', bytes, 'base64').slice(0, 27)}"`;
}

/**
 * Header fields as one flat list of names and values, the shape res.writeHead takes. The
 * request steps (request-steps.ts) add theirs to one, and sendAnswer adds the answer's own
 * and writes them all at once: with nothing set on the response before, Node writes such a
 * list as it is, without the per-header bookkeeping of res.setHeader.
 */
export type HeaderList = string[];

/** Sets a header list on a response that is answered by other means (Express's res.send, res.json). */
export function setHeaders(res: ServerResponse, headers: HeaderList): void {
  for (let index = 0; index < headers.length; index += 2) res.setHeader(headers[index]!, headers[index + 1]!);
}

/**
 * Sends an answer, with `headers` (the request steps' own) before the answer's. A header
 * set on the response earlier (Express path, shutdown's Connection: close) is kept: Node
 * then merges the list into it.
 */
export function sendAnswer(res: ServerResponse, answer: Answer, headers: HeaderList = []): void {
  if (answer.facts) noteRequest(res, answer.facts);
  const { body } = answer;
  const bytes = body instanceof PreparedBody ? body.bytes : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (answer.headers) for (const [name, value] of answer.headers) headers.push(name, value);
  const { req } = res;
  if (answer.storable === false) headers.push('Cache-Control', 'private, no-store');
  // Only a GET or HEAD of what a cache may keep can be revalidated, so only they get an
  // ETag (Express gives every answer one, which costs a hash of each POX answer).
  if ((req.method !== 'GET' && req.method !== 'HEAD') || answer.storable === false) {
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
