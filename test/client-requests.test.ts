/**
 * Replays every recorded client request (test/fixtures/client-requests) against the real
 * server on the shipped config and checks the answer the recording says the client must
 * get, read the way that client reads it.
 */
import type { Server } from 'node:http';
import { shippedApp } from './support/app';
import { expectValidMailProfile, poxError, poxProtocols, readAsThunderbird, thunderbirdAcceptsContentType } from './support/client-rules';
import { parsePlist } from './support/formats';
import {
  contentLengthMismatch,
  readRecordedRequest,
  readRecording,
  recordingNames,
  replay,
  type ExpectedAnswer,
  type Recording,
  type ReplayResponse,
} from './support/client-requests';

/** Adding or removing a recording changes this number, so a lost file cannot go unnoticed. */
const RECORDING_COUNT = 48;

const recordings = recordingNames().map((name) => [name, readRecording(name)] as const);

type AnswerOf<Format extends ExpectedAnswer['format']> = Extract<ExpectedAnswer, { format: Format }>;

// Local parts that some recording puts into its query: a template answer must echo neither.
const QUERY_LOCAL_PARTS = /fred|EVOLUTIONUSER/;

function expectMozillaDocument(response: ReplayResponse, expected: AnswerOf<'mozilla-autoconfig'>): void {
  expect(thunderbirdAcceptsContentType(response.headers['content-type'])).toBe(true);
  const config = readAsThunderbird(response.body);
  expect(config.id).toBe('example.com');
  expect(config.domains).toContain('example.com');
  expect(config.dropped).toEqual([]);
  expect(config.incoming.map((s) => `${s.type} ${s.hostname}:${s.port} ${s.socketType}`)).toEqual([
    'imap imap.example.com:993 SSL',
    'pop3 pop.example.com:995 SSL',
  ]);
  expect(config.outgoing.map((s) => `${s.hostname}:${s.port} ${s.socketType}`)).toEqual([
    'smtp.example.com:465 SSL',
    'smtp.example.com:587 STARTTLS',
  ]);
  // The address only selects the domain: placeholders stay, nothing from the query is echoed.
  for (const server of [...config.incoming, ...config.outgoing]) expect(server.username).toBe(expected.username);
  expect(response.body).not.toMatch(QUERY_LOCAL_PARTS);
}

function expectPoxSettings(response: ReplayResponse, expected: AnswerOf<'pox-settings'>): void {
  const protocols = poxProtocols(response.body);
  expect(protocols.map((p) => `${p.Type} ${p.Server}:${p.Port} ${p.Encryption}`)).toEqual([
    'IMAP imap.example.com:993 SSL',
    'POP3 pop.example.com:995 SSL',
    // One Protocol per Type: the definition's first SMTP choice only.
    'SMTP smtp.example.com:465 SSL',
  ]);
  for (const protocol of protocols) {
    expect(protocol.LoginName).toBe(expected.loginName ?? undefined);
    expect(protocol.SPA).toBe('off');
  }
}

function expectRedirect(response: ReplayResponse, expected: AnswerOf<'redirect'>): void {
  expect(response.headers.location).toBe(expected.location);
}

function expectPoxError(response: ReplayResponse, expected: AnswerOf<'pox-error'>): void {
  expect(poxError(response.body)).toMatchObject({ code: expected.errorCode, namespace: expected.responseSchema });
  expect(response.body).not.toMatch(/MobileSync|Microsoft-Server-ActiveSync/);
}

function expectV2Url(response: ReplayResponse, expected: AnswerOf<'autodiscover-v2-url'>): void {
  expect(JSON.parse(response.body)).toEqual(expected.json);
}

function expectV2Error(response: ReplayResponse, expected: AnswerOf<'autodiscover-v2-error'>): void {
  expect(JSON.parse(response.body)).toMatchObject({ ErrorCode: expected.errorCode, ErrorMessage: expect.any(String) });
}

function expectAppleProfile(response: ReplayResponse, expected: AnswerOf<'apple-profile'>): void {
  expect(response.headers['content-disposition']).toBe(expected.contentDisposition);
  const mail = expectValidMailProfile(parsePlist(response.body));
  expect(mail).toMatchObject(expected.mailPayload);
}

/** Status and Content-Type as recorded, then the body read the way the client reads it. */
function expectAnswer(response: ReplayResponse, expected: ExpectedAnswer): void {
  expect(response.status).toBe(expected.status);
  if ('contentType' in expected) expect(response.headers['content-type']).toBe(expected.contentType);
  switch (expected.format) {
    case 'mozilla-autoconfig':
      return expectMozillaDocument(response, expected);
    case 'pox-settings':
      return expectPoxSettings(response, expected);
    case 'pox-error':
      return expectPoxError(response, expected);
    case 'redirect':
      return expectRedirect(response, expected);
    case 'autodiscover-v2-url':
      return expectV2Url(response, expected);
    case 'autodiscover-v2-error':
      return expectV2Error(response, expected);
    case 'apple-profile':
      return expectAppleProfile(response, expected);
  }
}

let server: Server;
beforeAll(async () => {
  // Behind the TLS-terminating proxy of a real deployment: the proxy on loopback is trusted.
  const app = await shippedApp({ trustProxy: 'loopback' });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(
  () =>
    new Promise((resolve) => {
      server.close(resolve);
      // A replay that failed half-way must not keep the suite open.
      server.closeAllConnections();
    }),
);

test.each(recordings)('%s', async (name, recording: Recording) => {
  const response = await replay(server, readRecordedRequest(name), recording.scheme);
  expectAnswer(response, recording.expect);
});

describe('the recordings themselves', () => {
  test(`the folder holds ${RECORDING_COUNT} recordings`, () => {
    expect(recordings).toHaveLength(RECORDING_COUNT);
  });

  test('every declared Content-Length counts the body bytes, and every body is declared', () => {
    const mismatches = recordings.flatMap(([name]) => {
      const mismatch = contentLengthMismatch(readRecordedRequest(name));
      return mismatch ? [`${name}: ${mismatch}`] : [];
    });
    expect(mismatches).toEqual([]);
  });

  test('every request names its Host, as every HTTP/1.1 client must', () => {
    const withoutHost = recordings.filter(([, { request }]) => request.headers.filter(([header]) => header.toLowerCase() === 'host').length !== 1);
    expect(withoutHost.map(([name]) => name)).toEqual([]);
  });
});
