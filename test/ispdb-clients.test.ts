/**
 * Every client gets the truth, over every ISPDB sample in test/fixtures/ispdb: each file
 * Thunderbird accepts loads (long names are warnings, not refusals); the autoconfig
 * answer gives Thunderbird the same settings as the original file; POX answers carry one
 * Protocol per Type with SPA on only for NTLM; no human-readable field of any format
 * shows a %…% placeholder; PACC never answers an empty `protocols`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { load } from 'cheerio';
import request from 'supertest';
import { formatProblem } from '../src/config/errors';
import { readIspdbProvider } from '../src/config/ispdb-reader';
import type { LoadedProvider } from '../src/model/loaded-provider';
import { defaultSettings } from '../src/config/settings';
import { providerWarnings } from '../src/config/warnings';
import { createApp } from '../src/http/app';
import { hostedProvider } from '../src/config/hosted-providers';
import { ProviderDirectory } from '../src/model/provider-directory';
import { ISPDB_FIXTURES } from './support/app';
import { poxProtocols, readAsThunderbird } from './support/client-rules';
import { download } from './support/formats';
import { parsePlist as readPlist } from './support/formats';

const PLACEHOLDER = /%[A-Z]+%/;
const SPELLINGS: Record<string, string> = { plain: 'password-cleartext', secure: 'password-encrypted' };

const samples = ['current', 'historical', 'unmerged-pr'].flatMap((folder) =>
  readdirSync(path.join(ISPDB_FIXTURES, folder))
    .filter((file) => file.endsWith('.xml'))
    .sort()
    .map((file) => {
      const name = `${folder}/${file}`;
      return { name, text: readFileSync(path.join(ISPDB_FIXTURES, name), 'utf8') };
    }),
);

/** What Thunderbird keeps of a file, or undefined when it rejects the whole file. */
function thunderbirdReading(text: string) {
  try {
    return readAsThunderbird(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

const accepted = samples.filter((sample) => thunderbirdReading(sample.text) !== undefined);

function loadedOrThrow(name: string, text: string): LoadedProvider & { warnings: readonly unknown[] } {
  const result = readIspdbProvider(name, text);
  if ('problems' in result) throw new Error(`${name} is accepted by Thunderbird but refused:\n${result.problems.map(formatProblem).join('\n')}`);
  return result as LoadedProvider & { warnings: readonly unknown[] };
}

function appFor(provider: LoadedProvider) {
  return createApp({ providerDirectory: new ProviderDirectory([hostedProvider(provider)]), settings: defaultSettings() });
}

test('most samples are accepted by Thunderbird (the check below is not vacuous)', () => {
  expect(accepted.length).toBeGreaterThan(50);
});

describe.each(accepted.map((sample) => [sample.name, sample] as const))('%s', (name, sample) => {
  const provider = loadedOrThrow(name, sample.text);
  const domain = provider.definition.domains[0]!;
  const address = `test.user@${domain}`;
  const app = appFor(provider);

  test('loads, and the autoconfig answer gives Thunderbird the same settings as the file', async () => {
    const res = await request(app).get('/mail/config-v1.1.xml').query({ emailaddress: address }).expect(200);
    // Thunderbird 3.0's spellings mean the same to it as the current ones.
    const settings = (reading: ReturnType<typeof readAsThunderbird>) =>
      [...reading.incoming, ...reading.outgoing].map((server) => ({ ...server, authentication: SPELLINGS[server.authentication] ?? server.authentication }));
    expect(settings(readAsThunderbird(res.text))).toEqual(settings(thunderbirdReading(sample.text)!));
  });

  test('POX: one Protocol per Type, SPA only for NTLM', async () => {
    const res = await request(app)
      .post('/autodiscover/autodiscover.xml')
      .set('Content-Type', 'text/xml')
      .send(
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
          `<EMailAddress>${address}</EMailAddress>` +
          '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
          '</Request></Autodiscover>',
      )
      .expect(200);
    if (res.text.includes('<Error')) return;
    const protocols = poxProtocols(res.text);
    const types = protocols.map((protocol) => protocol.Type);
    expect(new Set(types).size).toBe(types.length);
    const { incoming, outgoing } = provider.definition;
    for (const protocol of protocols) {
      const server = [...incoming, ...outgoing].find((candidate) => candidate.type.toUpperCase() === protocol.Type && candidate.port === Number(protocol.Port))!;
      const firstOutlookMethod = server.authentication.find((method) => method !== 'OAuth2' && method !== 'GSSAPI' && method !== 'TLS-client-cert');
      expect({ type: protocol.Type, spa: protocol.SPA }).toEqual({ type: protocol.Type, spa: firstOutlookMethod === 'NTLM' ? 'on' : 'off' });
      expect(protocol.TTL).toBe('1');
    }
  });

  test('no placeholder in what a person reads: Apple profile, PACC, setup page', async () => {
    const profile = await download(app, `/mobileconfig?emailaddress=${encodeURIComponent(address)}`, `autoconfig.${domain}`);
    if (profile.status === 200) {
      const plist = readPlist(profile.body);
      const mail = plist.PayloadContent[0];
      for (const text of [plist.PayloadDisplayName, plist.PayloadOrganization, plist.PayloadDescription, mail.PayloadDisplayName, mail.EmailAccountDescription]) {
        expect(text).not.toMatch(PLACEHOLDER);
      }
    }
    const pacc = await request(app).get('/.well-known/user-agent-configuration.json').set('Host', `ua-auto-config.${domain}`);
    if (pacc.status === 200) {
      const document = JSON.parse(pacc.text);
      expect(`${document.info.provider.name} ${document.info.provider.shortName ?? ''}`).not.toMatch(PLACEHOLDER);
      // An empty `protocols` is never served: a domain PACC cannot describe is answered 404.
      expect(Object.keys(document.protocols).length).toBeGreaterThan(0);
      // SMTP is missing only when no submission server is what PACC implies (docs/endpoints.md, PACC):
      // implicit TLS on 465, the address as login, a password (or OAuth2 with an https issuer).
      const oauthIssuer = /^https:\/\//.test(provider.definition.oAuth2?.issuer ?? '');
      const carriable = provider.definition.outgoing.filter(
        (server) =>
          server.socketType === 'SSL' &&
          server.port === 465 &&
          server.username === '%EMAILADDRESS%' &&
          server.authentication.some((method) => method === 'password-cleartext' || method === 'password-encrypted' || (method === 'OAuth2' && oauthIssuer)),
      );
      expect({ smtp: document.protocols.smtp !== undefined }).toEqual({ smtp: carriable.length > 0 });
    } else {
      expect(pacc.status).toBe(404);
    }
    const page = await request(app).get('/setup').query({ email: address }).expect(200);
    expect(load(page.text)('main').text()).not.toMatch(PLACEHOLDER);
  });
});

describe('names as the ISPDB writes them', () => {
  const posteo = samples.find((sample) => sample.name === 'current/posteo.de.xml')!;

  test('a displayShortName of 25 characters (no cap in Thunderbird) loads, with a warning naming the guideline', () => {
    const long = 'Posteo Mail for Everybody';
    expect(long).toHaveLength(25);
    const text = posteo.text.replace(/<displayShortName>[^<]*<\/displayShortName>/, `<displayShortName>${long}</displayShortName>`);
    expect(thunderbirdReading(text)).toBeDefined();
    const result = readIspdbProvider('posteo.xml', text);
    if ('problems' in result) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.definition.displayShortName).toBe(long);
    // A warning (what `mail-autoconfig check` prints), never a refusal.
    expect(providerWarnings(result.definition, 'posteo.xml').map(formatProblem)).toContain(
      'posteo.xml: displayShortName: displayShortName has 25 characters; the autoconfig draft asks for at most 20 (PACC clients get it shortened or not at all)',
    );
  });

  test('a 25-character short name is left out of PACC, which caps it at 20', async () => {
    const text = posteo.text.replace(/<displayShortName>[^<]*<\/displayShortName>/, '<displayShortName>Posteo Mail for Everybody</displayShortName>');
    const app = appFor(loadedOrThrow('posteo.xml', text));
    const res = await request(app).get('/.well-known/user-agent-configuration.json').set('Host', 'ua-auto-config.posteo.de').expect(200);
    expect(JSON.parse(res.text).info.provider).not.toHaveProperty('shortName');
  });

  test.each(['current/inbox.lv.xml', 'current/mail.ee.xml'])('%s: display name %%EMAILDOMAIN%% becomes the domain everywhere a person reads it', async (name) => {
    const sample = samples.find((candidate) => candidate.name === name)!;
    expect(sample.text).toContain('<displayName>%EMAILDOMAIN%</displayName>');
    const provider = loadedOrThrow(name, sample.text);
    const domain = provider.definition.domains[0]!;
    const app = appFor(provider);
    const plist = readPlist((await download(app, `/mobileconfig?emailaddress=anna%40${domain}`, `autoconfig.${domain}`).expect(200)).body);
    expect([plist.PayloadDisplayName, plist.PayloadOrganization, plist.PayloadContent[0].PayloadDisplayName]).toEqual([domain, domain, domain]);
    const page = load((await request(app).get('/setup').query({ email: `anna@${domain}` }).expect(200)).text);
    expect(page('main').text()).toContain(`Provider: ${domain}.`);
  });

  test('an outgoing server without <username> takes the incoming login (%EMAILLOCALPART%), as Thunderbird does', async () => {
    const sample = samples.find((candidate) => candidate.name === 'current/kokuyou.ne.jp.xml')!;
    const provider = loadedOrThrow(sample.name, sample.text);
    expect(provider.definition.incoming[0]!.username).toBe('%EMAILLOCALPART%');
    expect(provider.definition.outgoing[0]!.username).toBe('%EMAILLOCALPART%');
    const res = await request(appFor(provider))
      .post('/autodiscover/autodiscover.xml')
      .send(
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
          '<EMailAddress>taro@kokuyou.ne.jp</EMailAddress>' +
          '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
          '</Request></Autodiscover>',
      )
      .expect(200);
    expect(poxProtocols(res.text).map((protocol) => protocol.LoginName)).toEqual(['taro', 'taro']);
  });
});
