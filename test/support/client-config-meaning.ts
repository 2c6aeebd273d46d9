/**
 * The one normaliser for config-v1.1 round trips: what a document means to a client,
 * independent of how it is written, and a per-field difference report. It has its own
 * parser and its own statement of the spec's rules, so tests check our reader and writer
 * against the meaning of a file rather than against themselves.
 */
import { XMLParser } from 'fast-xml-parser';

const meaningParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: false,
  isArray: (name) => MEANING_ARRAYS.has(name),
});
const MEANING_ARRAYS = new Set([
  'emailProvider', 'domain', 'incomingServer', 'outgoingServer', 'authentication', 'socketType',
  'documentation', 'descr', 'instruction', 'inputField', 'enable',
]);

/**
 * Deprecated authentication spellings and their meaning (docs/configuration.md#authentication-methods), written out
 * here rather than imported so the reader is checked against the spec, not against itself.
 */
const AUTHENTICATION_SPELLINGS: Record<string, string> = { plain: 'password-cleartext', secure: 'password-encrypted' };

/**
 * What a config-v1.1 document means to a client, independent of how it is written:
 * values trimmed; domains lower-cased, deduplicated and sorted (their order is
 * meaningless, docs/configuration.md#provider-files); deprecated auth spellings replaced; a missing
 * incoming <username> read as %EMAILADDRESS% (our documented default), a missing outgoing
 * one as the first incoming server's (Thunderbird's rule); <enable> and <inputField>
 * taken from either level; the non-standard <instruction url> under <emailProvider> read as
 * documentation; elements outside the schema ignored. Server order, auth order and text
 * order are kept: they carry preference.
 */
export function clientConfigMeaning(xml: string): Record<string, unknown> {
  const document = meaningParser.parse(xml.replace(/^\uFEFF/, '')) as Record<string, any>;
  const config = document.clientConfig;
  if (!config) throw new Error('not a clientConfig document');
  const provider = config.emailProvider?.[0] ?? {};
  const text = (value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value.trim();
    return typeof value === 'object' && value !== null ? String((value as any)['#text'] ?? '').trim() : String(value);
  };
  const bool = (value: unknown) => (value === undefined ? undefined : text(value)?.toLowerCase() === 'true');
  const int = (value: unknown) => (value === undefined ? undefined : Number(text(value)));
  const localised = (list: any[] | undefined) =>
    list?.map((entry) => ({ lang: typeof entry === 'object' ? entry['@lang'] : undefined, text: text(entry) }));
  const ref = (value: any) => value && { id: value['@id'], name: value['@name'] };

  // Thunderbird gives an outgoing server without <username> the incoming server's login;
  // an incoming one without it gets our documented default, %EMAILADDRESS%.
  const firstIncoming = (provider.incomingServer ?? []).find((raw: any) => ['imap', 'pop3'].includes(raw['@type'].trim()));
  const defaultIncomingUsername = '%EMAILADDRESS%';
  const defaultOutgoingUsername = (firstIncoming && text(firstIncoming.username)) ?? defaultIncomingUsername;
  const server = (raw: any) => ({
    type: raw['@type'].trim(),
    hostname: text(raw.hostname)?.toLowerCase(),
    port: int(raw.port),
    socketType: text(raw.socketType?.[0]),
    username:
      raw.username === undefined && ['imap', 'pop3', 'smtp'].includes(raw['@type'].trim())
        ? raw['@type'].trim() === 'smtp'
          ? defaultOutgoingUsername
          : defaultIncomingUsername
        : text(raw.username),
    authentication: raw.authentication?.map((entry: unknown) => {
      const value = text(entry) ?? '';
      return AUTHENTICATION_SPELLINGS[value] ?? value;
    }),
    pop3: raw.pop3 && {
      leaveMessagesOnServer: bool(raw.pop3.leaveMessagesOnServer),
      downloadOnBiff: bool(raw.pop3.downloadOnBiff),
      daysToLeaveMessagesOnServer: int(raw.pop3.daysToLeaveMessagesOnServer),
      checkIntervalMinutes: int(raw.pop3.checkInterval?.['@minutes']),
    },
    url: text(raw.url),
    owaURL: text(raw.owaURL),
    ewsURL: text(raw.ewsURL),
    easURL: text(raw.easURL),
    restriction: text(raw.restriction),
    addThisServer: bool(raw.addThisServer),
    useGlobalPreferredServer: bool(raw.useGlobalPreferredServer),
  });
  const documentation = [...(provider.documentation ?? []), ...(provider.instruction ?? []).filter((entry: any) => entry['@url'])];
  const enable = provider.enable?.[0] ?? config.enable?.[0];
  const webMail = config.webMail ?? provider.webMail;
  const loginPageInfo = webMail?.loginPageInfo;

  return {
    displayName: text(provider.displayName) ?? provider['@id'],
    displayShortName: text(provider.displayShortName),
    domains: [...new Set((provider.domain ?? []).map((domain: unknown) => text(domain)?.toLowerCase()))].sort(),
    incoming: (provider.incomingServer ?? []).map(server),
    outgoing: (provider.outgoingServer ?? []).map(server),
    documentation: documentation.map((doc: any) => ({ url: doc['@url'].trim(), descr: localised(doc.descr) })),
    enable: enable && { visitUrl: enable['@visiturl'], instruction: localised(enable.instruction) },
    webMail: webMail && {
      loginPage: webMail.loginPage?.['@url'],
      loginPageInfo: loginPageInfo && {
        url: loginPageInfo['@url'],
        waitForRedirectionURLPrefix: loginPageInfo['@waitForRedirectionURLPrefix'],
        username: text(loginPageInfo.username),
        usernameField: ref(loginPageInfo.usernameField),
        passwordField: ref(loginPageInfo.passwordField),
        loginButton: ref(loginPageInfo.loginButton),
      },
    },
    inputFields: [...(provider.inputField ?? []), ...(config.inputField ?? [])].map((field: any) => ({
      key: field['@key'],
      label: field['@label'],
      value: text(field) || undefined,
    })),
    oAuth2: config.oAuth2 && Object.fromEntries(Object.entries(config.oAuth2).map(([key, value]) => [key, text(value)])),
    clientConfigUpdate: config.clientConfigUpdate?.['@url'],
  };
}

/**
 * One line per difference between two plain values, by path (`incoming[1].port: 993 ≠ 995`),
 * empty when they are equal. Undefined and absent are the same.
 */
export function describeDifferences(actual: unknown, expected: unknown, at = ''): string[] {
  if (Object.is(actual, expected)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const lines = actual.length === expected.length ? [] : [`${at || '(root)'}: ${actual.length} entries, expected ${expected.length}`];
    for (let i = 0; i < Math.max(actual.length, expected.length); i += 1) lines.push(...describeDifferences(actual[i], expected[i], `${at}[${i}]`));
    return lines;
  }
  if (isObject(actual) && isObject(expected) && !Array.isArray(actual) && !Array.isArray(expected)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])];
    return keys.flatMap((key) => describeDifferences(actual[key], expected[key], at ? `${at}.${key}` : key));
  }
  return [`${at || '(root)'}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
}

/** Fails with a readable, per-field list of differences when two documents' meanings differ. */
export function expectSameMeaning(actual: unknown, expected: unknown, label: string): void {
  const differences = describeDifferences(actual, expected);
  if (differences.length > 0) throw new Error(`${label}: meaning differs\n  ${differences.join('\n  ')}`);
}
