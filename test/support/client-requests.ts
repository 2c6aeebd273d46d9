/**
 * The recorded client requests of test/fixtures/client-requests: one JSON file per request,
 * holding the request as the client sends it and the answer it must get. Replayed byte for
 * byte against a listening server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { FIXTURES } from './app';

export const CLIENT_REQUESTS_DIR = path.join(FIXTURES, 'client-requests');

const RECORDING_EXTENSION = '.json';

const headerSchema = z.tuple([z.string().min(1), z.string()]);

const requestSchema = z
  .object({
    method: z.string().regex(/^[A-Z]+$/),
    /** The request target exactly as sent (raw `@`, `+`, percent escapes). */
    target: z.string().startsWith('/'),
    headers: z.array(headerSchema),
    /** The body as text, every byte kept (LF or CRLF, final newline or not). */
    body: z.string().optional(),
    /** The body of a request that is not text. */
    bodyBase64: z.base64().optional(),
  })
  .strict()
  .refine((request) => request.body === undefined || request.bodyBase64 === undefined, 'give body or bodyBase64, not both');

const statusSchema = z.number().int().min(100).max(599);
const xmlOrJsonAnswer = { status: statusSchema, contentType: z.string().min(1) };

/** The answer a recording must get; `format` says how the client reads it. */
const expectSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('mozilla-autoconfig'), ...xmlOrJsonAnswer, username: z.string() }).strict(),
  z.object({ format: z.literal('pox-settings'), ...xmlOrJsonAnswer, loginName: z.string().nullable() }).strict(),
  z.object({ format: z.literal('pox-error'), ...xmlOrJsonAnswer, errorCode: z.string(), responseSchema: z.url() }).strict(),
  z.object({ format: z.literal('redirect'), status: statusSchema, location: z.url() }).strict(),
  z.object({ format: z.literal('autodiscover-v2-url'), ...xmlOrJsonAnswer, json: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ format: z.literal('autodiscover-v2-error'), ...xmlOrJsonAnswer, errorCode: z.string() }).strict(),
  z
    .object({
      format: z.literal('apple-profile'),
      ...xmlOrJsonAnswer,
      contentDisposition: z.string(),
      mailPayload: z.record(z.string(), z.string()),
    })
    .strict(),
]);

const recordingSchema = z
  .object({
    client: z.string().min(1),
    clientVersion: z.string().min(1),
    evidence: z.enum(['client-source', 'vendor-documentation', 'observed']),
    source: z.string().min(1),
    assumed: z.array(z.string()),
    notes: z.string(),
    /** How the request reached the server; the replay passes it on as X-Forwarded-Proto. */
    scheme: z.enum(['http', 'https']),
    request: requestSchema,
    expect: expectSchema,
  })
  .strict();

export type Recording = z.infer<typeof recordingSchema>;
export type ExpectedAnswer = Recording['expect'];

export interface RecordedRequest {
  method: string;
  /** The request target exactly as sent (raw `@`, `+`, percent escapes). */
  target: string;
  headers: [name: string, value: string][];
  body: Buffer;
}

/** The names of all recordings (file names without extension), sorted. */
export function recordingNames(): string[] {
  return readdirSync(CLIENT_REQUESTS_DIR)
    .filter((file) => file.endsWith(RECORDING_EXTENSION))
    .map((file) => file.slice(0, -RECORDING_EXTENSION.length))
    .sort();
}

/** Reads and validates one recording; throws naming the file and the broken field. */
export function readRecording(name: string): Recording {
  const file = path.join(CLIENT_REQUESTS_DIR, `${name.replace(/\.json$/, '')}${RECORDING_EXTENSION}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = recordingSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function recordedBody(request: Recording['request']): Buffer {
  return request.bodyBase64 === undefined ? Buffer.from(request.body ?? '', 'utf8') : Buffer.from(request.bodyBase64, 'base64');
}

/** The request of a recording, ready to send. */
export function readRecordedRequest(name: string): RecordedRequest {
  const { request } = readRecording(name);
  return { method: request.method, target: request.target, headers: request.headers, body: recordedBody(request) };
}

/**
 * Why the declared Content-Length and the body disagree, or undefined when they match. A
 * request without the header must have no body: Node would send it chunked, which no
 * recorded client does.
 */
export function contentLengthMismatch(request: RecordedRequest): string | undefined {
  const declared = request.headers.filter(([name]) => name.toLowerCase() === 'content-length').map(([, value]) => value);
  if (declared.length === 0 && request.body.length === 0) return undefined;
  if (declared.length === 1 && declared[0] === String(request.body.length)) return undefined;
  return `Content-Length ${declared.join(', ') || 'missing'}, body ${request.body.length} bytes`;
}

export interface ReplayResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a recorded request to `server`. `scheme` becomes X-Forwarded-Proto, as the
 * TLS-terminating proxy in front of a real deployment would add it. A request whose body
 * disagrees with its Content-Length is refused: the server would wait for bytes that never come.
 */
export async function replay(server: http.Server, request: RecordedRequest, scheme: 'http' | 'https'): Promise<ReplayResponse> {
  const mismatch = contentLengthMismatch(request);
  if (mismatch) throw new Error(`broken recording: ${mismatch}`);
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.target,
        setHost: false,
        headers: [...request.headers.flat(), 'X-Forwarded-Proto', scheme, 'Connection', 'close'],
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
