/**
 * `export` then `import` keeps everything: for any provider definition, the config-v1.1
 * document we write (renderMozillaAutoconfig) read back by the ISPDB reader gives the same
 * definition, field for field. Logos and contacts are PACC-only and have no config-v1.1
 * element, so the generated definitions leave them out.
 */
import fc from 'fast-check';
import { readIspdbProvider } from '../src/config/ispdb-reader';
import { renderMozillaAutoconfig } from '../src/formats/mozilla';
import {
  AUTHENTICATION_METHODS,
  HTTP_AUTHENTICATION_METHODS,
  OTHER_INCOMING_TYPES,
  SOCKET_TYPES,
  providerSchema,
  type ProviderInput,
} from '../src/model/provider';
import { describeDifferences } from './support/client-config-meaning';

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const domain = fc.tuple(label, fc.constantFrom('example', 'test', 'invalid')).map(([name, tld]) => `${name}.${tld}`);
const host = fc.oneof(domain, label.map((name) => `${name}.%EMAILDOMAIN%`));
/** Text with the characters XML must escape, never blank at either end (the reader trims). */
const text = fc
  .array(fc.constantFrom('a', 'Z', 'ü', '&', '<', '>', '"', "'", ' ', '%', '1'), { minLength: 1, maxLength: 12 })
  .map((chars) => chars.join('').trim())
  .filter((value) => value.length > 0);
const url = fc.tuple(domain, label).map(([name, path]) => `https://${name}/${path}?a=1&b=2`);
const username = fc.constantFrom('%EMAILADDRESS%', '%EMAILLOCALPART%', 'user-%EMAILLOCALPART%@%EMAILDOMAIN%', 'fixed');
const methods = fc.uniqueArray(fc.constantFrom(...AUTHENTICATION_METHODS), { minLength: 1, maxLength: 3 });
const sasl = fc.uniqueArray(fc.constantFrom('SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1', 'CRAM-MD5'), { minLength: 1, maxLength: 2 });
const localised = fc.array(fc.record({ lang: fc.option(fc.constantFrom('en', 'de', 'fr'), { nil: undefined }), text }, { requiredKeys: ['text'] }), {
  minLength: 1,
  maxLength: 2,
});
const field = fc.record({ id: fc.option(label, { nil: undefined }), name: fc.option(label, { nil: undefined }) });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const mailServerFields = {
  hostname: host,
  port: optional(fc.integer({ min: 1, max: 65535 })),
  socketType: fc.constantFrom(...SOCKET_TYPES),
  username: optional(username),
  authentication: methods,
  saslMechanisms: optional(sasl),
  useGlobalPreferredServer: optional(fc.boolean()),
};

const incoming = fc.oneof(
  fc.record({ type: fc.constant('imap' as const), ...mailServerFields }, { requiredKeys: ['type', 'hostname', 'socketType', 'authentication'] }),
  fc.record(
    {
      type: fc.constant('pop3' as const),
      ...mailServerFields,
      pop3: optional(
        fc.record(
          {
            leaveMessagesOnServer: fc.boolean(),
            downloadOnBiff: fc.boolean(),
            daysToLeaveMessagesOnServer: fc.integer({ min: 0, max: 999 }),
            checkIntervalMinutes: fc.integer({ min: 1, max: 999 }),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['type', 'hostname', 'socketType', 'authentication'] },
  ),
);

const outgoing = fc.record(
  {
    type: fc.constant('smtp' as const),
    ...mailServerFields,
    restriction: optional(fc.constant('client-IP-address' as const)),
    addThisServer: optional(fc.boolean()),
  },
  { requiredKeys: ['type', 'hostname', 'socketType', 'authentication'] },
);

const otherIncoming = fc.record(
  {
    type: fc.constantFrom(...OTHER_INCOMING_TYPES),
    url,
    owaURL: optional(url),
    ewsURL: optional(url),
    easURL: optional(url),
    hostname: optional(domain),
    port: optional(fc.integer({ min: 1, max: 65535 })),
    socketType: optional(fc.constantFrom(...SOCKET_TYPES)),
    username: optional(username),
    authentication: optional(
      fc.uniqueArray(fc.constantFrom(...AUTHENTICATION_METHODS, ...HTTP_AUTHENTICATION_METHODS), { minLength: 1, maxLength: 3 }),
    ),
    useGlobalPreferredServer: optional(fc.boolean()),
  },
  { requiredKeys: ['type', 'url'] },
);

const provider: fc.Arbitrary<ProviderInput> = fc.record(
  {
    id: domain,
    displayName: text,
    displayShortName: text,
    domains: fc.uniqueArray(domain, { minLength: 1, maxLength: 3 }),
    mxDomains: fc.uniqueArray(domain, { minLength: 1, maxLength: 2 }),
    incoming: fc.array(incoming, { minLength: 1, maxLength: 3 }),
    outgoing: fc.array(outgoing, { minLength: 1, maxLength: 2 }),
    otherIncoming: fc.array(otherIncoming, { maxLength: 2 }),
    documentation: fc.array(fc.record({ url, descr: optional(localised) }, { requiredKeys: ['url'] }), { maxLength: 2 }),
    enable: fc.record({ visitUrl: optional(url), instruction: optional(localised) }, { requiredKeys: [] }),
    webMail: fc.record(
      {
        loginPage: optional(url),
        loginPageInfo: optional(
          fc.record(
            {
              url,
              waitForRedirectionURLPrefix: optional(url),
              username: optional(text),
              usernameField: optional(field),
              passwordField: optional(field),
              loginButton: optional(field),
            },
            { requiredKeys: ['url'] },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    inputFields: fc.array(fc.record({ key: label, label: text, value: optional(text) }, { requiredKeys: ['key', 'label'] }), { maxLength: 2 }),
    oAuth2: fc.record(
      { issuer: text, scope: text, authURL: url, tokenURL: url, clientID: optional(text), clientSecret: optional(text) },
      { requiredKeys: ['issuer', 'scope', 'authURL', 'tokenURL'] },
    ),
    clientConfigUpdate: url,
  },
  { requiredKeys: ['id', 'domains', 'incoming', 'outgoing'] },
);

/** Undefined members left out, as a model parsed from a file has them. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

test('model → config-v1.1 → ISPDB reader → model is the identity', () => {
  fc.assert(
    fc.property(provider, (input) => {
      const parsed = providerSchema.safeParse(input);
      fc.pre(parsed.success);
      const definition = parsed.data!;
      const xml = renderMozillaAutoconfig(definition);
      const read = readIspdbProvider('roundtrip.xml', xml);
      if ('problems' in read) throw new Error(`the reader refuses our own output: ${JSON.stringify(read.problems)}\n${xml}`);
      const differences = describeDifferences(plain(read.definition), plain(definition));
      if (differences.length > 0) throw new Error(`${differences.join('\n')}\n${xml}`);
    }),
    { numRuns: 300 },
  );
});

test('the two fields export used to drop come back: MX domains and SASL mechanisms', () => {
  const definition = providerSchema.parse({
    id: 'mx.example',
    domains: ['mx.example'],
    mxDomains: ['mail.protection.example'],
    incoming: [{ type: 'imap', hostname: 'imap.mx.example', socketType: 'SSL', saslMechanisms: ['SCRAM-SHA-256-PLUS'] }],
    outgoing: [{ type: 'smtp', hostname: 'smtp.mx.example', socketType: 'SSL', saslMechanisms: ['SCRAM-SHA-256'] }],
  });
  const read = readIspdbProvider('mx.xml', renderMozillaAutoconfig(definition));
  if ('problems' in read) throw new Error(JSON.stringify(read.problems));
  expect(read.definition.mxDomains).toEqual(['mail.protection.example']);
  expect(read.definition.domains).toEqual(['mx.example']);
  expect(read.definition.incoming[0]!.saslMechanisms).toEqual(['SCRAM-SHA-256-PLUS']);
  expect(read.definition.outgoing[0]!.saslMechanisms).toEqual(['SCRAM-SHA-256']);
  expect(read.warnings).toEqual([]);
});
