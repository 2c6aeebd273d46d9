/**
 * The ISPDB reader on hand-made variants of real files: what a tolerant client accepts is
 * normalised (with a warning where the admin may want to fix something), what is broken
 * is refused with file, line and problem.
 */
import { formatProblem } from '../src/config/errors';
import { readIspdbProvider, type IspdbReadResult } from '../src/config/ispdb-reader';
import { renderMozillaAutoconfig } from '../src/formats/mozilla/autoconfig';
import { renderPoxSettings } from '../src/formats/outlook/pox';
import { parseXml } from './support/app';
import { clientConfigMeaning, expectSameMeaning } from './support/client-config-meaning';

const FILE = 'providers/example.org.xml';

function ispdb(body: string, { provider = '', root = '' } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <displayName>Example</displayName>
${body}
${provider}
  </emailProvider>
${root}
</clientConfig>
`;
}

const IMAP = `    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>`;
const SMTP = `    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>`;

function loaded(result: IspdbReadResult) {
  if ('problems' in result) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result;
}

function problems(result: IspdbReadResult): string {
  if (!('problems' in result)) throw new Error('expected the file to be refused');
  return result.problems.map(formatProblem).join('\n');
}

describe('messy but meaningful files are accepted and normalised', () => {
  test('byte-order mark, CRLF, no declaration, no version, comments, non-ASCII', () => {
    const text = `\uFEFF<clientConfig>\r\n<!-- a comment -->\r\n<emailProvider id="example.org">\r\n<domain>example.org</domain>\r\n<displayName>Exämple Möil 例</displayName>\r\n${IMAP}\r\n${SMTP}\r\n</emailProvider>\r\n</clientConfig>\r\n<!-- after the root -->\r\n`;
    const result = loaded(readIspdbProvider(FILE, text));
    expect(result.definition.displayName).toBe('Exämple Möil 例');
    expect(result.warnings).toEqual([]);
  });

  test('whitespace around values and upper-case domains are normalised', () => {
    const text = ispdb(`
    <domain>  MAIL.Example.ORG </domain>
    <incomingServer type=" imap ">
      <hostname> imap.example.org </hostname>
      <port> 993 </port>
      <socketType>
        SSL
      </socketType>
      <authentication> password-cleartext </authentication>
      <username> %EMAILADDRESS% </username>
    </incomingServer>
${SMTP}`);
    const { definition } = loaded(readIspdbProvider(FILE, text));
    expect(definition.domains).toEqual(['example.org', 'mail.example.org']);
    expect(definition.incoming[0]).toEqual({
      type: 'imap',
      hostname: 'imap.example.org',
      port: 993,
      socketType: 'SSL',
      authentication: ['password-cleartext'],
      username: '%EMAILADDRESS%',
    });
    // Served without the whitespace, which Thunderbird would not forgive (README finding 2).
    const served = renderMozillaAutoconfig(definition);
    expect(served).toContain('<socketType>SSL</socketType>');
  });

  test('deprecated plain/secure keep their meaning; other spellings are matched without case, with warnings', () => {
    const text = ispdb(`
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname>
      <port>110</port>
      <socketType>starttls</socketType>
      <authentication>secure</authentication>
      <authentication>plain</authentication>
      <authentication>ntlm</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
${SMTP}`);
    const result = loaded(readIspdbProvider(FILE, text));
    expect(result.definition.incoming[0]).toMatchObject({
      socketType: 'STARTTLS',
      authentication: ['password-encrypted', 'password-cleartext', 'NTLM'],
    });
    expect(result.warnings.map(formatProblem)).toEqual([
      `${FILE}:10: clientConfig/emailProvider/incomingServer/socketType: "starttls" read as STARTTLS`,
      `${FILE}:11: clientConfig/emailProvider/incomingServer/authentication: deprecated authentication "secure" read as password-encrypted`,
      `${FILE}:12: clientConfig/emailProvider/incomingServer/authentication[2]: deprecated authentication "plain" read as password-cleartext`,
      `${FILE}:13: clientConfig/emailProvider/incomingServer/authentication[3]: authentication "ntlm" read as NTLM`,
    ]);
  });

  test('unknown elements and attributes are ignored with a warning naming their line', () => {
    const text = ispdb(`${IMAP.replace('type="imap"', 'type="imap" colour="blue"')}\n${SMTP}`, {
      provider: '    <displayNameShort>Ex</displayNameShort>\n    <domain purpose="mx">mx.example.net</domain>',
      root: '  <presse/>',
    });
    const result = loaded(readIspdbProvider(FILE, text));
    // An MX domain is not a hosted domain: it is kept apart, for the 1.2 output.
    expect(result.definition.domains).toEqual(['example.org']);
    expect(result.definition.mxDomains).toEqual(['mx.example.net']);
    expect(result.warnings.map(formatProblem)).toEqual([
      `${FILE}:6: clientConfig/emailProvider/incomingServer: unknown attribute colour ignored`,
      `${FILE}:20: clientConfig/emailProvider/displayNameShort: unknown element <displayNameShort> ignored`,
      `${FILE}:23: clientConfig/presse: unknown element <presse> ignored`,
    ]);
  });

  test('elements in the wrong place are skipped with a warning, and the rest of the file is read', () => {
    const text = ispdb(
      `    <domain purpose="backup">backup.example.net</domain>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <socketType>SSL</socketType>
      <socketType>STARTTLS</socketType>
      <authentication system="http">Basic</authentication>
      <authentication>password-cleartext</authentication>
      <password>hunter2</password>
      <restriction>client-IP-address</restriction>
      <url>https://imap.example.org/</url>
    </incomingServer>
    <incomingServer type="jmap">
      <url>https://jmap.example.org/</url>
      <authentication system="sasl">SCRAM-SHA-256</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
${SMTP}`,
      { root: '  <webMail><loginPage/></webMail>\n  <clientConfigUpdate/>' },
    );
    const result = loaded(readIspdbProvider(FILE, text));
    expect(result.definition.domains).toEqual(['example.org']);
    expect(result.definition.mxDomains).toBeUndefined();
    expect(result.definition.incoming[0]).toMatchObject({ socketType: 'SSL', authentication: ['password-cleartext'] });
    expect(result.definition.incoming[0]).not.toHaveProperty('restriction');
    expect(result.definition.otherIncoming).toEqual([{ type: 'jmap', url: 'https://jmap.example.org/' }]);
    expect(result.definition.webMail).toEqual({});
    expect(result.definition.clientConfigUpdate).toBeUndefined();
    expect(result.warnings.map(formatProblem)).toEqual([
      `${FILE}:6: clientConfig/emailProvider/domain[2]: <domain purpose="backup"> is not supported here (only purpose="mx" is); skipped`,
      `${FILE}:10: clientConfig/emailProvider/incomingServer/socketType[2]: <socketType> appears more than once; the first is used`,
      `${FILE}:11: clientConfig/emailProvider/incomingServer/authentication: <authentication system="http"> is not supported here (only system="sasl" is); skipped`,
      `${FILE}:13: clientConfig/emailProvider/incomingServer/password: <password> is ignored: passwords are never served`,
      `${FILE}:14: clientConfig/emailProvider/incomingServer/restriction: <restriction> applies to outgoing servers only; ignored`,
      `${FILE}:15: clientConfig/emailProvider/incomingServer/url: <url> on a imap server is ignored`,
      `${FILE}:7: clientConfig/emailProvider/incomingServer: no <username>; %EMAILADDRESS% is assumed`,
      `${FILE}:19: clientConfig/emailProvider/incomingServer[2]/authentication: <authentication system="sasl"> is not supported here (only system="http" is); skipped`,
      `${FILE}:20: clientConfig/emailProvider/incomingServer[2]/pop3: <pop3> on a jmap server is ignored`,
      `${FILE}:31: clientConfig/webMail/loginPage: <loginPage> without url="..." ignored`,
      `${FILE}:32: clientConfig/clientConfigUpdate: <clientConfigUpdate> without url="..." ignored`,
    ]);
  });

  test('every element the model holds survives into the Mozilla output', () => {
    const text = ispdb(
      `    <displayShortName>Ex</displayShortName>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
      <pop3>
        <leaveMessagesOnServer>true</leaveMessagesOnServer>
        <downloadOnBiff>false</downloadOnBiff>
        <daysToLeaveMessagesOnServer>14</daysToLeaveMessagesOnServer>
        <checkInterval minutes="15"/>
      </pop3>
      <useGlobalPreferredServer>false</useGlobalPreferredServer>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>outlook.example.org</hostname>
      <port>443</port>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <username>%EMAILADDRESS%</username>
      <owaURL>https://outlook.example.org/owa/</owaURL>
      <ewsURL>https://outlook.example.org/ews/exchange.asmx</ewsURL>
      <easURL>https://outlook.example.org/Microsoft-Server-ActiveSync</easURL>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>25</port>
      <socketType>plain</socketType>
      <authentication>client-IP-address</authentication>
      <username>%EMAILADDRESS%</username>
      <restriction>client-IP-address</restriction>
      <addThisServer>true</addThisServer>
      <useGlobalPreferredServer>true</useGlobalPreferredServer>
    </outgoingServer>
    <documentation url="https://example.org/help?a=1&amp;b=2">
      <descr>No language</descr>
      <descr lang="de">Hilfe</descr>
    </documentation>
    <documentation url="http://example.org/old"/>
    <inputField key="USERNAME" label="User name">jdoe</inputField>`,
      {
        root: `  <enable visiturl="https://example.org/enable">
    <instruction lang="en">Turn IMAP on</instruction>
  </enable>
  <webMail>
    <loginPage url="https://webmail.%EMAILDOMAIN%/"/>
    <loginPageInfo url="https://webmail.example.org/login" waitForRedirectionURLPrefix="https://sso.example.org/">
      <username>%EMAILADDRESS%</username>
      <usernameField id="user" name="u"/>
      <passwordField name="p"/>
      <loginButton id="go"/>
    </loginPageInfo>
  </webMail>
  <oAuth2>
    <issuer>auth.example.org</issuer>
    <scope>mail offline_access</scope>
    <authURL>https://auth.example.org/authorize</authURL>
    <tokenURL>https://auth.example.org/token</tokenURL>
  </oAuth2>
  <clientConfigUpdate url="https://example.org/config.xml"/>`,
      },
    );
    const result = loaded(readIspdbProvider(FILE, text));
    expect(result.warnings).toEqual([]);
    expect(result.definition.otherIncoming).toHaveLength(1);
    const served = renderMozillaAutoconfig(result.definition);
    parseXml(served);
    expectSameMeaning(clientConfigMeaning(served), clientConfigMeaning(text), 'every element');
    // The Exchange server is never offered to Outlook as a mail server.
    const pox = parseXml(renderPoxSettings(result.definition, { domain: 'example.org' }) ?? '');
    expect((pox.Autodiscover.Response.Account.Protocol as any[]).map((protocol) => protocol.Type)).toEqual(['POP3', 'SMTP']);
  });
});

describe('broken files are refused with file, line and problem', () => {
  test.each([
    ['not well-formed', ispdb(`${IMAP}\n${SMTP}`).replace('<port>465</port>', '<port>465</prt>'), /^providers\/example\.org\.xml:15: not well-formed XML: /],
    ['no domain', ispdb(`${IMAP}\n${SMTP}`).replace('<domain>example.org</domain>', ''), /:3: clientConfig\/emailProvider: no usable <domain>/],
    ['no incoming server', ispdb(SMTP), /:3: clientConfig\/emailProvider: no usable IMAP or POP3 <incomingServer>/],
    ['only an unknown server type', ispdb(`${IMAP.replace('"imap"', '"nntp"')}\n${SMTP}`), /no usable IMAP or POP3 <incomingServer>/],
    ['no outgoing server', ispdb(IMAP), /no usable SMTP <outgoingServer>/],
    ['a port that is not a number', ispdb(`${IMAP.replace('993', 'nine')}\n${SMTP}`), /:8: clientConfig\/emailProvider\/incomingServer\/port: must be a whole number, got "nine"/],
    ['a port out of range', ispdb(`${IMAP.replace('993', '99300')}\n${SMTP}`), /:8: clientConfig\/emailProvider\/incomingServer\/port \(incoming\[0\]\.port\): must be 1\.\.65535/],
    ['an unknown socketType', ispdb(`${IMAP.replace('>SSL<', '>TLS<')}\n${SMTP}`), /:9: .*socketType: must be one of SSL, STARTTLS, plain, got "TLS"/],
    ['a bad hostname', ispdb(`${IMAP.replace('imap.example.org', 'imap example')}\n${SMTP}`), /:7: .*hostname \(incoming\[0\]\.hostname\): must be a host name/],
    ['an id Thunderbird rejects', ispdb(`${IMAP}\n${SMTP}`).replace('id="example.org"', 'id="Example Mail"'), /:3: clientConfig\/emailProvider \(id\): must be hostname-shaped/],
    ['no authentication', ispdb(`${IMAP.replace('<authentication>password-cleartext</authentication>', '')}\n${SMTP}`), /:6: .*incomingServer: no <authentication>/],
    ['a boolean that is not one', ispdb(`${IMAP}\n${SMTP.replace('</outgoingServer>', '<addThisServer>yes</addThisServer></outgoingServer>')}`), /addThisServer: must be true or false, got "yes"/],
    ['an unknown entity', ispdb(`${IMAP}\n${SMTP}`).replace('<displayName>Example', '<displayName>Example &nbsp;'), /:5: clientConfig\/emailProvider\/displayName: unknown entity/],
    ['a DTD', `<!DOCTYPE x [<!ENTITY a "b">]>\n${ispdb(`${IMAP}\n${SMTP}`)}`, /:1: DTDs and entity declarations are not accepted/],
    ['another root element', '<Autodiscover><Response/></Autodiscover>', /:1: root element is <Autodiscover>, expected <clientConfig> \(this is an Outlook autodiscover response/],
    ['no emailProvider', '<clientConfig version="1.1"/>', /no <emailProvider> element/],
    ['an empty file', '', /no root element|not well-formed/],
    ['a huge file', `<clientConfig>${' '.repeat(1024 * 1024)}</clientConfig>`, /larger than 1048576 bytes/],
  ])('%s', (_name, text, expected) => {
    expect(problems(readIspdbProvider(FILE, text))).toMatch(expected);
  });
});
