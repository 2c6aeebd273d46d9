/**
 * The access log's request ids and per-request fields. A line names the mail domain a
 * request was about, never the address unless the admin enables it: addresses are
 * personal data, and the domain is what an operator needs to follow a problem.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestAddress, requestDomain, requestOutcome } from './observe';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// An id set by a proxy in front is kept so its log and ours line up; anything else
// (too long, odd characters that could forge log lines) is replaced.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the proxy's X-Request-Id when well-formed, else a new UUID; echoed in the answer. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Fields added to the access log line when the answer is finished. */
export function accessLogFields(req: IncomingMessage, res: ServerResponse, logEmailAddresses: boolean): Record<string, string> {
  const fields: Record<string, string> = { outcome: requestOutcome(res) };
  const domain = requestDomain(req, res);
  if (domain) fields.domain = domain;
  if (logEmailAddresses) {
    const address = requestAddress(req, res);
    if (address) fields.address = address.address;
  }
  return fields;
}
