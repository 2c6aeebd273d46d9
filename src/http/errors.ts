/**
 * Plain-text error answers, and the last-resort handler that turns anything unexpected
 * into a 500 without leaking internals or crashing the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { rememberRecent } from '../model/recent-results';
import { PreparedBody, sendAnswer, type Answer, type HeaderList } from './answer';
import { DOCUMENT } from './answer-kinds';

// Error texts come from a short fixed list, and bots get unknown-domain 404s by the
// thousand: each text's bytes and ETag are made once.
const preparedText = rememberRecent((message) => new PreparedBody(`${message}\n`), 64, 256);

/**
 * A plain-text error answer, with the record and headers a caller adds, built as one
 * object literal, as the lint rule against spreads in src/http requires (eslint.config.mjs):
 * answers of one shape keep the writer fast (docs/performance.md#choices-in-the-code).
 */
export function textError(status: number, message: string, { record, headers, storable }: Pick<Answer, 'record' | 'headers' | 'storable'> = {}): Answer {
  return { status, contentType: 'text/plain; charset=utf-8', headers, body: preparedText(message), record, storable };
}

/** The 404 of every GET endpoint for a domain no provider hosts. */
export function unknownDomain(record?: Answer['record']): Answer {
  return textError(404, 'No configuration for this domain', { record });
}

/** A path we do not serve (not a domain we do not host). */
export const PATH_NOT_FOUND: Answer = textError(404, 'Not found', { record: { outcome: 'bad request' } });

export const METHOD_NOT_ALLOWED = 'Method not allowed';

/** Errors raised by body parsing carry an HTTP status and a type; keep their status. */
interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

const BODY_TOO_LARGE = 'entity.too.large';

/** The error the body parser raises for an oversized body, for refusing one before reading it. */
export function bodyTooLarge(): Error & HttpError {
  return Object.assign(new Error('Request body too large'), { status: 413, type: BODY_TOO_LARGE, expose: true });
}

/** Answers a request whose handler or body failed; `headers` are the ones gathered before. */
export type ErrorHandler = (error: unknown, req: IncomingMessage, res: ServerResponse, headers: HeaderList) => void;

export function errorHandler(logger: Logger): ErrorHandler {
  return (error, req, res, headers) => {
    const httpError = (typeof error === 'object' && error !== null ? error : {}) as HttpError;
    const status = httpError.status ?? httpError.statusCode ?? 500;
    if (status >= 500) logger.error({ err: error, path: req.url?.split('?')[0] }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const tooLarge = httpError.type === BODY_TOO_LARGE;
    // The rest of an oversized body is not worth reading: close the connection instead.
    if (tooLarge) headers.push('Connection', 'close');
    const message = tooLarge
      ? 'Request body too large'
      : status < 500 && httpError.expose
        ? (error as Error).message
        : 'Internal server error';
    sendAnswer(res, textError(status, message), DOCUMENT, headers);
  };
}
