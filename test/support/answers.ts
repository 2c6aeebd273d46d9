/**
 * What each endpoint may answer, checked the way its clients read it: the documented
 * statuses, the Content-Type the client requires, and a body of the documented shape.
 * Used by the property tests and the attack tests alike.
 */
import { POX_ERRORS } from '../../src/formats/outlook/pox';
import type { RawResponse } from './raw-http';
import { parseXml } from './app';

/**
 * Answers Node's HTTP parser gives before the app sees a request: 400 for a malformed
 * request line or header (CR/LF, NUL, unknown method, bad Content-Length), 431 for headers
 * over 16 KB, 413 for an oversized body. None has a body worth reading.
 */
export const TRANSPORT_STATUSES = new Set([400, 413, 431]);

function isTransportRefusal(res: RawResponse): boolean {
  return TRANSPORT_STATUSES.has(res.status) && !(res.headers['content-type'] ?? '').includes('xml');
}

/** Mozilla config-v1.1: 200 with a config Thunderbird accepts, 400 bad address, 404 unknown domain. */
export function expectMozillaAnswer(res: RawResponse): void {
  if (res.status === 200) {
    // Thunderbird parses the body only for these types (docs/endpoints.md#common-rules).
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    const provider = parseXml(res.body).clientConfig.emailProvider;
    expect(provider['@id']).toMatch(/^[A-Za-z0-9.-]+$/);
    expect(provider.incomingServer.length).toBeGreaterThan(0);
    expect(provider.outgoingServer.length).toBeGreaterThan(0);
    return;
  }
  if (isTransportRefusal(res)) return;
  expect([400, 404]).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
}

const POX_ERROR_CODES = new Set<string>(Object.values(POX_ERRORS).map((error) => String(error.code)));

/**
 * Outlook POX: always 200 and XML (any other status sends Outlook to the next URL, docs/endpoints.md#pox-errors),
 * either settings or an Error with an MS-OXDSCLI code; 413 for oversized bodies.
 */
export function expectPoxAnswer(res: RawResponse): 'settings' | 'error' {
  if (isTransportRefusal(res)) return 'error';
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/xml/);
  const response = parseXml(res.body).Autodiscover.Response;
  if (response.Account) {
    expect(response.Account.Action).toBe('settings');
    expect(response.Account.Protocol.length).toBeGreaterThan(0);
    return 'settings';
  }
  expect(POX_ERROR_CODES).toContain(String(response.Error.ErrorCode));
  return 'error';
}

/** Autodiscover v2: JSON with either the POX pointer or an ErrorCode/ErrorMessage pair. */
export function expectV2Answer(res: RawResponse): void {
  if (isTransportRefusal(res)) return;
  expect([200, 400, 404]).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  if (res.status === 200 && body.Url !== undefined) {
    expect(body).toEqual({ Protocol: 'AutodiscoverV1', Url: expect.stringMatching(/^https:\/\/[a-z0-9.-]+\/autodiscover\/autodiscover\.xml$/) });
  } else {
    expect(body).toEqual({ ErrorCode: expect.any(String), ErrorMessage: expect.any(String) });
  }
}
