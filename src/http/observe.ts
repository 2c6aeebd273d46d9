/**
 * What the access log and the metrics say about a request: which mail domain it asked
 * about, which address (logged only when the admin allows it), and how it ended. Handlers
 * note what only they know (an address read from a POST body, an error answered with
 * HTTP 200); everything else is derived here from the request and the status code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseEmailAddress, type EmailAddress } from '../model/address';
import { AUTOCONFIG_HOST_PREFIX, AUTODISCOVER_HOST_PREFIX } from '../model/discovery-hosts';
import { domainFromHost } from '../model/domain';
import { viewOf } from './request-view';

export const OUTCOMES = ['ok', 'unknown domain', 'bad request', 'error', 'rate limited'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface RequestRecord {
  readonly address?: EmailAddress;
  readonly outcome?: Outcome;
}

const RECORD = Symbol('mail-autoconfig request record');
type WithRecord = ServerResponse & { [RECORD]?: RequestRecord };

/** Records what a handler learned; later notes add to earlier ones. */
export function noteRequest(res: ServerResponse, record: RequestRecord): void {
  const target = res as WithRecord;
  const earlier = target[RECORD];
  // Records are shared (handlers note constant ones), so a merge makes a new one.
  target[RECORD] = earlier ? { address: record.address ?? earlier.address, outcome: record.outcome ?? earlier.outcome } : record;
}

/** How the request ended: what the handler noted, else what its status code says. */
export function requestOutcome(res: ServerResponse): Outcome {
  return (res as WithRecord)[RECORD]?.outcome ?? outcomeFromStatus(res.statusCode);
}

export function outcomeFromStatus(status: number): Outcome {
  if (status === 429) return 'rate limited';
  if (status === 404) return 'unknown domain';
  if (status >= 500) return 'error';
  if (status >= 400) return 'bad request';
  return 'ok';
}

// Query parameters that carry the address in the formats we serve.
const ADDRESS_PARAMETERS = ['emailaddress', 'email'];

/** The address the request asked about: noted by the handler, else from the query string. */
export function requestAddress(req: IncomingMessage, res: ServerResponse): EmailAddress | undefined {
  const noted = (res as WithRecord)[RECORD]?.address;
  if (noted) return noted;
  const query = viewOf(req).query;
  for (const name of ADDRESS_PARAMETERS) {
    const value = query.get(name);
    if (value) return parseEmailAddress(value);
  }
  return undefined;
}

/** The mail domain the request is about: its address's, else the one its Host names. */
export function requestDomain(req: IncomingMessage, res: ServerResponse): string | undefined {
  const address = requestAddress(req, res);
  if (address) return address.domainKey;
  const host = domainFromHost(viewOf(req).hostname, AUTOCONFIG_HOST_PREFIX);
  // An IP address in Host names no mail domain.
  if (host === undefined || /(^|\.)\d+$/.test(host)) return undefined;
  return host.startsWith(AUTODISCOVER_HOST_PREFIX) ? domainFromHost(host, AUTODISCOVER_HOST_PREFIX) : host;
}
