/**
 * Replays every recorded client request (../shared/fixtures/client-requests) against the
 * real server on the shipped config and checks the answer each client must get, read the
 * way that client reads it.
 */
import type { Server } from 'node:http';
import { shippedApp } from './support/app';
import { expectValidMailProfile, poxError, poxProtocols, readAsThunderbird, thunderbirdAcceptsContentType } from './support/client-rules';
import { parsePlist } from './support/formats';
import { fixtureIndex, readRecordedRequest, replay, type FixtureEntry, type ReplayResponse } from './support/client-requests';

const { address, fixtures } = fixtureIndex();

type Check = (response: ReplayResponse, fixture: FixtureEntry) => void;

function expectMozillaDocument(response: ReplayResponse, fixture: FixtureEntry): void {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
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
  for (const server of [...config.incoming, ...config.outgoing]) expect(server.username).toBe('%EMAILADDRESS%');
  expect(response.body).not.toMatch(/fred|EVOLUTIONUSER/);
  expect(fixture.expect.contentType.startsWith(response.headers['content-type'] ?? '-')).toBe(true);
}

function expectPoxSettings(withLoginName: boolean): Check {
  return (response) => {
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    const protocols = poxProtocols(response.body);
    expect(protocols.map((p) => `${p.Type} ${p.Server}:${p.Port} ${p.Encryption}`)).toEqual([
      'IMAP imap.example.com:993 SSL',
      'POP3 pop.example.com:995 SSL',
      // One Protocol per Type: the definition's first SMTP choice only.
      'SMTP smtp.example.com:465 SSL',
    ]);
    for (const protocol of protocols) {
      expect(protocol.LoginName).toBe(withLoginName ? address : undefined);
      expect(protocol.SPA).toBe('off');
    }
  };
}

const expectRedirectToHttps: Check = (response) => {
  expect(response.status).toBe(302);
  expect(response.headers.location).toBe('https://autodiscover.example.com/autodiscover/autodiscover.xml');
};

const expectMobilesyncError: Check = (response) => {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(poxError(response.body)).toMatchObject({
    code: '601',
    namespace: 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006',
  });
  expect(response.body).not.toMatch(/MobileSync|Microsoft-Server-ActiveSync/);
};

const expectV2Pointer: Check = (response, fixture) => {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual(JSON.parse(fixture.expect.format));
};

const expectV2ProtocolNotSupported: Check = (response) => {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toMatchObject({ ErrorCode: 'ProtocolNotSupported', ErrorMessage: expect.any(String) });
};

const expectAppleProfile: Check = (response) => {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('application/x-apple-aspen-config');
  expect(response.headers['content-disposition']).toBe('attachment; filename="example.com.mobileconfig"');
  const mail = expectValidMailProfile(parsePlist(response.body));
  expect(mail).toMatchObject({ EmailAddress: address, IncomingMailServerHostName: 'imap.example.com', IncomingMailServerUsername: address });
};

/** The checker for each answer the fixtures name, chosen by the wording of `expect.format`. */
function checkFor(fixture: FixtureEntry): Check | undefined {
  const format = fixture.expect.format;
  if (format.startsWith('Mozilla autoconfig 1.1')) return expectMozillaDocument;
  if (format.startsWith('POX outlook 2006a response (Account/Protocol')) return expectPoxSettings(true);
  if (format.startsWith("POX outlook 2006a response for the Host's domain")) return expectPoxSettings(false);
  if (format.startsWith('Location: https://')) return expectRedirectToHttps;
  if (format.startsWith('POX Error 601')) return expectMobilesyncError;
  if (format.startsWith('{"Protocol":"AutodiscoverV1"')) return expectV2Pointer;
  if (format.startsWith('{"ErrorCode":"ProtocolNotSupported"')) return expectV2ProtocolNotSupported;
  if (format.startsWith('Apple configuration profile')) return expectAppleProfile;
  return undefined;
}

let server: Server;
beforeAll(async () => {
  // Behind the TLS-terminating proxy of a real deployment: the proxy on loopback is trusted.
  const app = await shippedApp({ trustProxy: 'loopback' });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const covered = fixtures.filter((fixture) => checkFor(fixture));

test.each(covered.map((fixture) => [fixture.file, fixture] as const))('%s', async (_file, fixture) => {
  const response = await replay(server, readRecordedRequest(fixture.file), fixture.scheme);
  checkFor(fixture)?.(response, fixture);
});

test('every recorded request has a checker', () => {
  expect(fixtures.filter((fixture) => !checkFor(fixture)).map((fixture) => fixture.file)).toEqual([]);
});
