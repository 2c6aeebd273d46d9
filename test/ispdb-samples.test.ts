/**
 * Fidelity of the ISPDB reader over the real sample files in test/fixtures/ispdb:
 * every file loads or is rejected for its documented reason, and what we serve means what
 * the file says (Mozilla round trip through the real app), Outlook gets the same hosts,
 * ports and security, so do the setup page and the Apple profile, and the YAML import
 * gives back the same definition.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { load } from 'cheerio';
import request from 'supertest';
import { formatProblem } from '../src/config/errors';
import { readIspdbProvider, type IspdbReadResult } from '../src/config/ispdb-reader';
import { parseProviderFile } from '../src/config/load-providers';
import type { LoadedProvider } from '../src/model/loaded-provider';
import { defaultSettings } from '../src/config/settings';
import { renderProviderYaml } from '../src/formats/admin/provider-yaml';
import { createApp } from '../src/http/app';
import { hostedProvider } from '../src/config/hosted-providers';
import { ProviderDirectory } from '../src/model/provider-directory';
import { ISPDB_FIXTURES, parseXml } from './support/app';
import { clientConfigMeaning, expectSameMeaning } from './support/client-config-meaning';
import { download, parsePlists } from './support/formats';

const ISPDB_SAMPLE = ISPDB_FIXTURES;

const FOLDERS = ['current', 'historical', 'unmerged-pr'] as const;

/**
 * Sample files we refuse, and why. Each reason is what Thunderbird itself does with the
 * file (sample README, "Thunderbird" column) or what makes the file unusable for us.
 */
const EXPECTED_REJECTIONS: Record<string, RegExp> = {
  // Emptied before deletion: a domain and nothing else. Thunderbird: "Need proper <incomingServer>".
  'historical/cloudnine-net.jp.xml': /no usable IMAP or POP3 <incomingServer>/,
  // Not well-formed (`SSL/socketType>`); Thunderbird: "Bad response content". The parser knows the line.
  'unmerged-pr/purelymail.com.xml': /:19: not well-formed XML/,
  // An Outlook autodiscover response filed in the ISPDB by mistake.
  'unmerged-pr/pspddd.pl.xml': /root element is <Autodiscover>/,
  // No <authentication> anywhere; Thunderbird: "need proper <authentication>".
  'unmerged-pr/protonmail.com.xml': /:11: .*incomingServer: no <authentication>/,
};

interface Sample {
  readonly name: string;
  readonly text: string;
  readonly result: IspdbReadResult;
}

const samples: Sample[] = FOLDERS.flatMap((folder) =>
  readdirSync(path.join(ISPDB_SAMPLE, folder))
    .filter((file) => file.endsWith('.xml'))
    .sort()
    .map((file) => {
      const name = `${folder}/${file}`;
      const text = readFileSync(path.join(ISPDB_SAMPLE, name), 'utf8');
      return { name, text, result: readIspdbProvider(name, text) };
    }),
);
const loaded = samples.filter((sample) => !('problems' in sample.result)) as (Sample & { result: LoadedProvider })[];

function problemText(result: IspdbReadResult): string {
  return 'problems' in result ? result.problems.map(formatProblem).join('\n') : '';
}

describe('every sample file loads or is rejected for its documented reason', () => {
  test('the sample is the one the README describes (61 files)', () => {
    expect(samples).toHaveLength(61);
    // petreus.net's only <domain> is %EMAILDOMAIN%: Thunderbird accepts it, and it is served for its id.
    expect(loaded).toHaveLength(57);
  });

  test.each(samples.map((sample) => [sample.name, sample] as const))('%s', (name, sample) => {
    const expected = EXPECTED_REJECTIONS[name];
    if (expected) {
      expect('problems' in sample.result).toBe(true);
      expect(problemText(sample.result)).toMatch(expected);
      return;
    }
    if (name.startsWith('unmerged-pr/') && 'problems' in sample.result) {
      // Never-merged files may be refused, but cleanly: file, line and a message.
      for (const problem of sample.result.problems) {
        expect(problem.file).toBe(name);
        expect(problem.message).not.toBe('');
      }
      return;
    }
    expect(problemText(sample.result)).toBe('');
  });
});

describe('the normaliser sees each feature the sample README lists', () => {
  const meaningOf = (name: string): any => {
    const sample = samples.find((candidate) => candidate.name === name);
    if (!sample) throw new Error(`no sample ${name}`);
    return clientConfigMeaning(sample.text);
  };

  test('oAuth2, enable at clientConfig level, webMail with loginPageInfo, several auth methods', () => {
    const gmail = meaningOf('current/googlemail.com.xml');
    expect(gmail.oAuth2.issuer).toBe('accounts.google.com');
    expect(gmail.enable.instruction).toEqual([{ lang: undefined, text: 'You need to enable IMAP access' }]);
    expect(gmail.webMail.loginPageInfo.usernameField).toEqual({ id: 'Email', name: undefined });
    expect(gmail.incoming[0].authentication).toEqual(['OAuth2', 'password-cleartext']);
    expect(gmail.enable.visitUrl).toBe('https://mail.google.com/mail/?ui=2&shva=1#settings/fwdandpop');
  });

  test('pop3 options, deprecated spellings, legacy outgoing flags', () => {
    expect(meaningOf('historical/ewetel.de.xml').incoming[0].pop3).toEqual({
      leaveMessagesOnServer: true,
      daysToLeaveMessagesOnServer: 7,
      checkIntervalMinutes: 15,
    });
    const plala = meaningOf('historical/abc.plala.or.jp.xml');
    expect(plala.incoming[0].authentication).toEqual(['password-cleartext']);
    expect(plala.outgoing[0]).toMatchObject({ addThisServer: true, useGlobalPreferredServer: false });
    expect(meaningOf('historical/upcmail.nl.xml').outgoing[0].authentication).toEqual(['client-IP-address']);
    expect(meaningOf('current/o2.pl.xml').outgoing.some((server: any) => server.restriction === 'client-IP-address')).toBe(true);
  });

  test('Exchange-family servers in order, documentation in several forms, enable inside emailProvider', () => {
    const office = meaningOf('current/office365.com.xml');
    expect(office.incoming.map((server: any) => server.type)).toEqual(['imap', 'pop3', 'ews', 'owa', 'graph', 'exchange']);
    expect(office.incoming[5]).toMatchObject({ owaURL: 'https://outlook.office365.com/owa/', useGlobalPreferredServer: true });
    expect(meaningOf('unmerged-pr/tugraz.at.xml').documentation[0].descr.map((descr: any) => descr.lang)).toEqual(['en', 'de']);
    expect(meaningOf('unmerged-pr/test_bom.xml').documentation[0].descr[0].lang).toBeUndefined();
    expect(meaningOf('current/gmx.net.xml').documentation[0].descr).toBeUndefined();
    expect(meaningOf('current/gmx.net.xml').enable.instruction).toHaveLength(2);
    expect(meaningOf('current/messagingengine.com.xml').documentation).toHaveLength(2);
    expect(meaningOf('current/t-online.de.xml').webMail.loginPageInfo.waitForRedirectionURLPrefix).toBe(
      'https://accounts.login.idm.telekom.com/',
    );
  });

  test('a changed value shows up as a readable, per-field difference', () => {
    const sample = samples.find((candidate) => candidate.name === 'current/posteo.de.xml')!;
    const changed = sample.text.replace('<port>993</port>', '<port>994</port>').replace('<domain>posteo.de</domain>', '');
    expect(() => expectSameMeaning(clientConfigMeaning(changed), clientConfigMeaning(sample.text), 'posteo')).toThrow(
      /posteo: meaning differs\n {2}domains: \d+ entries, expected \d+\n[^]*incoming\[0\]\.port: got 994, expected 993/,
    );
  });
});

/** An app serving exactly one provider, and an address at its first domain. */
function appFor(provider: LoadedProvider) {
  const app = createApp({ providerDirectory: new ProviderDirectory([hostedProvider(provider)]), settings: defaultSettings() });
  return { app, address: `test.user@${provider.definition.domains[0]}` };
}

describe('round trip: /mail/config-v1.1.xml means what the ISPDB file says', () => {
  test.each(loaded.map((sample) => [sample.name, sample] as const))('%s', async (name, sample) => {
    const { app, address } = appFor(sample.result);
    const res = await request(app).get('/mail/config-v1.1.xml').query({ emailaddress: address }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    parseXml(res.text);
    // petreus.net's only domain is a placeholder no lookup can match; it is served for its id.
    const source = name === 'unmerged-pr/petreus.net.xml' ? sample.text.replace('<domain>%EMAILDOMAIN%</domain>', '<domain>mail.petreus.net</domain>') : sample.text;
    expectSameMeaning(clientConfigMeaning(res.text), clientConfigMeaning(source), name);
  });
});

/** The Outlook flags for a socketType (docs/endpoints.md#pox-settings). */
const OUTLOOK_SECURITY: Record<string, { SSL: string; Encryption: string }> = {
  SSL: { SSL: 'on', Encryption: 'SSL' },
  STARTTLS: { SSL: 'on', Encryption: 'TLS' },
  plain: { SSL: 'off', Encryption: 'None' },
};
/** Methods a POX Protocol can express; a server offering none of them is left out (docs/endpoints.md#pox-settings). */
const OUTLOOK_METHODS = ['password-cleartext', 'password-encrypted', 'NTLM', 'none', 'client-IP-address', 'smtp-after-pop'];

describe('Outlook autodiscover carries the same hosts, ports and security as the source', () => {
  test.each(loaded.map((sample) => [sample.name, sample] as const))('%s', async (name, sample) => {
    const { app, address } = appFor(sample.result);
    const meaning = clientConfigMeaning(sample.text) as { incoming: any[]; outgoing: any[] };
    const [localPart, domain] = address.split('@') as [string, string];
    const expectedProtocol = (server: any) => ({
      Type: server.type.toUpperCase(),
      Server: server.hostname.replaceAll('%emaildomain%', domain).replaceAll('%emaillocalpart%', localPart.toLowerCase()),
      Port: String(server.port),
      ...OUTLOOK_SECURITY[server.socketType],
    });
    const usable = (server: any) =>
      ['imap', 'pop3', 'smtp'].includes(server.type) && server.authentication.some((method: string) => OUTLOOK_METHODS.includes(method));
    // One Protocol per Type, the file's first choice (Outlook keeps one server per Type).
    const firstPerType = (servers: any[]) => servers.filter((server, index) => servers.findIndex((other) => other.type === server.type) === index);
    const incoming = firstPerType(meaning.incoming.filter(usable)).map(expectedProtocol);
    const outgoing = firstPerType(meaning.outgoing.filter(usable)).map(expectedProtocol);

    const res = await request(app)
      .post('/autodiscover/autodiscover.xml')
      .set('Content-Type', 'text/xml')
      .send(
        `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>` +
          `<EMailAddress>${address}</EMailAddress>` +
          `<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>` +
          `</Request></Autodiscover>`,
      )
      .expect(200);
    const response = parseXml(res.text).Autodiscover.Response;
    if (incoming.length === 0 || outgoing.length === 0) {
      // Only OAuth2 (or nothing Outlook can express): POX must say "no configuration", not invent one.
      expect(response.Error.ErrorCode).toBe('501');
      return;
    }
    const protocols = (response.Account.Protocol as any[]).map((protocol) => ({
      Type: protocol.Type,
      Server: protocol.Server.toLowerCase(),
      Port: protocol.Port,
      SSL: protocol.SSL,
      Encryption: protocol.Encryption,
    }));
    expectSameMeaning(protocols, [...incoming, ...outgoing], `${name} (Outlook)`);
  });
});

describe('import: the YAML provider file loads back to the same definition', () => {
  test.each(loaded.map((sample) => [sample.name, sample] as const))('%s', (name, sample) => {
    const yaml = renderProviderYaml(sample.result.definition, `Imported from ${name}`);
    const again = parseProviderFile(`${name}.yaml`, yaml);
    if ('problems' in again) throw new Error(`${name}: the imported YAML does not load:\n${JSON.stringify(again.problems, null, 2)}\n${yaml}`);
    expectSameMeaning(again.definition, sample.result.definition, `${name} (YAML import)`);
  });
});

/** Methods an Apple mail payload can express (docs/endpoints.md#what-each-client-is-told); others have no profile key. */
const APPLE_METHODS = ['password-cleartext', 'password-encrypted', 'NTLM', 'none', 'client-IP-address', 'smtp-after-pop'];

describe('the setup page and the Apple profile carry the same hosts, ports and security as the source', () => {
  const substitute = (hostname: string, address: string) => hostname.replaceAll('%emaildomain%', address.split('@')[1]!);

  test.each(loaded.map((sample) => [sample.name, sample] as const))('%s: setup page', async (name, sample) => {
    const { app, address } = appFor(sample.result);
    const meaning = clientConfigMeaning(sample.text) as { incoming: any[]; outgoing: any[] };
    const res = await request(app).get(`/setup?email=${encodeURIComponent(address)}`).expect(200);
    const $ = load(res.text);
    const rows = $('table tr')
      .toArray()
      .map((row) => $(row).text().toLowerCase());
    for (const server of [...meaning.incoming, ...meaning.outgoing].filter((s) => ['imap', 'pop3', 'smtp'].includes(s.type))) {
      const host = substitute(server.hostname, address);
      expect({ name, server: `${host}:${server.port}`, row: rows.some((row) => row.includes(host) && row.includes(String(server.port))) }).toEqual({
        name,
        server: `${host}:${server.port}`,
        row: true,
      });
    }
    // Exchange-family servers are not mail servers a person could type in.
    for (const url of (sample.result.definition.otherIncoming ?? []).flatMap((s) => [s.url, s.owaURL, s.ewsURL].filter(Boolean))) {
      expect(res.text).not.toContain(url);
    }
  });

  test('Apple profiles: the first usable IMAP/POP3 and SMTP server of every sample, or 404 when there is none', async () => {
    const profiles: { name: string; body: Buffer; incoming: any; outgoing: any }[] = [];
    for (const sample of loaded) {
      const { app, address } = appFor(sample.result);
      const meaning = clientConfigMeaning(sample.text) as { incoming: any[]; outgoing: any[] };
      const usable = (server: any) => server.authentication.some((method: string) => APPLE_METHODS.includes(method));
      const incoming = meaning.incoming.find((server) => ['imap', 'pop3'].includes(server.type) && usable(server));
      const outgoing = meaning.outgoing.find(usable);
      const res = await download(app, `/mobileconfig?emailaddress=${encodeURIComponent(address)}`, `autoconfig.${address.split('@')[1]}`);
      if (!incoming || !outgoing) {
        expect({ name: sample.name, status: res.status }).toEqual({ name: sample.name, status: 404 });
        continue;
      }
      expect({ name: sample.name, status: res.status }).toEqual({ name: sample.name, status: 200 });
      profiles.push({ name: sample.name, body: res.body as Buffer, incoming: { ...incoming, hostname: substitute(incoming.hostname, address) }, outgoing: { ...outgoing, hostname: substitute(outgoing.hostname, address) } });
    }
    expect(profiles.length).toBeGreaterThan(40);
    // One Python run parses them all (starting it dominates the cost).
    const parsed = parsePlists(profiles.map((profile) => profile.body));
    profiles.forEach(({ name, incoming, outgoing }, index) => {
      const mail = parsed[index].PayloadContent[0];
      expect({
        name,
        incoming: [mail.IncomingMailServerHostName.toLowerCase(), mail.IncomingMailServerPortNumber, mail.IncomingMailServerUseSSL],
        outgoing: [mail.OutgoingMailServerHostName.toLowerCase(), mail.OutgoingMailServerPortNumber, mail.OutgoingMailServerUseSSL],
      }).toEqual({
        name,
        // UseSSL is on for SSL and STARTTLS: Mail negotiates STARTTLS with it on.
        incoming: [incoming.hostname, incoming.port, incoming.socketType !== 'plain'],
        outgoing: [outgoing.hostname, outgoing.port, outgoing.socketType !== 'plain'],
      });
    });
  }, 60_000);
});
