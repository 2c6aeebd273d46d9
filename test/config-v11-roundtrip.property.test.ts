/**
 * `export` then `import` keeps everything: for any provider definition, the config-v1.1
 * document we write (renderMozillaAutoconfig) read back by the ISPDB reader gives the same
 * definition, field for field, except the fields the field map declares as having no
 * config-v1.1 element (logos and contacts, PACC-only), which come back as their defaults.
 * The field map and the generator are both checked against the schema's own keys, so a
 * field added to the model fails here until it has an entry and is generated.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { readIspdbProvider } from '../src/config/ispdb-reader';
import { FIELDS_WITHOUT_ELEMENT, PROVIDER_FIELDS, SERVER_FIELDS, appliesTo, type Block } from '../src/formats/mozilla/config-v11';
import { renderMozillaAutoconfig } from '../src/formats/mozilla/autoconfig';
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

// Any one of url, owaURL, ewsURL, easURL or hostname makes a server (ISPDB Exchange entries may have no url).
const otherIncoming = fc.record(
  {
    type: fc.constantFrom(...OTHER_INCOMING_TYPES),
    url: optional(url),
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
  { requiredKeys: ['type'] },
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
    logo: fc.array(
      fc.record(
        {
          url: url,
          contentType: fc.constantFrom('image/svg+xml', 'image/png'),
          width: optional(fc.integer({ min: 1, max: 512 })),
          height: optional(fc.integer({ min: 1, max: 512 })),
        },
        { requiredKeys: ['url', 'contentType'] },
      ),
      { maxLength: 2 },
    ),
    contact: fc.array(fc.constantFrom('mailto:admin@example.test', 'tel:+15550100', 'https://help.example.test/'), { maxLength: 2 }),
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

/** What a definition read from config-v1.1 holds for the fields that have no element there: their defaults. */
const WITHOUT_ELEMENT_DEFAULTS = Object.fromEntries(
  Object.keys(FIELDS_WITHOUT_ELEMENT).map((field) => [field, providerSchema.in.shape[field as keyof typeof providerSchema.in.shape].parse(undefined)]),
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
      const differences = describeDifferences(plain(read.definition), plain({ ...definition, ...WITHOUT_ELEMENT_DEFAULTS }));
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

// ---------------------------------------------------------------------------------------
// Every model field is in the map and in the generator

/**
 * The field paths of a schema (`incoming[].pop3.checkIntervalMinutes`), read through
 * zod's public classes: optional and default wrappers, pipes (preprocess, transform),
 * arrays, unions (the server types; localised text's forms) and objects.
 */
function schemaPaths(schema: z.core.$ZodType, prefix = ''): Set<string> {
  const paths = new Set<string>();
  const add = (more: Iterable<string>) => {
    for (const path of more) paths.add(path);
  };
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) add(schemaPaths(schema.unwrap() as z.core.$ZodType, prefix));
  else if (schema instanceof z.ZodPipe) {
    add(schemaPaths(schema.in as z.core.$ZodType, prefix));
    add(schemaPaths(schema.out as z.core.$ZodType, prefix));
  } else if (schema instanceof z.ZodArray) add(schemaPaths(schema.element as z.core.$ZodType, `${prefix}[]`));
  else if (schema instanceof z.ZodUnion) for (const option of schema.options) add(schemaPaths(option as z.core.$ZodType, prefix));
  else if (schema instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(schema.shape)) {
      const path = `${prefix}${prefix ? '.' : ''}${key}`;
      paths.add(path);
      add(schemaPaths(field as z.core.$ZodType, path));
    }
  }
  return paths;
}

/** The field paths the map describes; a server list holds the entries of its server types. */
function mapPaths(block: Block, prefix = '', serverTypes?: readonly string[]): Set<string> {
  const paths = new Set<string>();
  for (const entry of block) {
    if (serverTypes && !serverTypes.some((type) => appliesTo(entry, type))) continue;
    const path = `${prefix}${prefix ? '.' : ''}${entry.field}`;
    paths.add(path);
    const serverList = entry.block === SERVER_FIELDS ? entry.servers : undefined;
    if (entry.block) for (const nested of mapPaths(entry.block, `${path}${entry.many ? '[]' : ''}`, serverList)) paths.add(nested);
  }
  return paths;
}

/** The field paths a generated value fills, with list items as `[]`. */
function valuePaths(value: unknown, prefix = '', paths = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) valuePaths(item, `${prefix}[]`, paths);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined) continue;
      const path = `${prefix}${prefix ? '.' : ''}${key}`;
      paths.add(path);
      valuePaths(field, path, paths);
    }
  }
  return paths;
}

const sorted = (paths: Iterable<string>) => [...paths].sort();
const isUnder = (path: string, fields: readonly string[]) => fields.some((field) => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[]`));

test('every field of the model has an entry in the config-v1.1 map, and every entry is a field of the model', () => {
  const modelPaths = schemaPaths(providerSchema);
  const withoutElement = Object.keys(FIELDS_WITHOUT_ELEMENT);
  expect(withoutElement.every((field) => modelPaths.has(field))).toBe(true);
  expect(sorted(mapPaths(PROVIDER_FIELDS))).toEqual(sorted([...modelPaths].filter((path) => !isUnder(path, withoutElement))));
});

test('the generator fills every field of the model, so the round trip covers them all', () => {
  const generated = new Set<string>();
  for (const sample of fc.sample(provider, { numRuns: 300, seed: 1 })) valuePaths(sample, '', generated);
  expect(sorted(generated)).toEqual(sorted(schemaPaths(providerSchema)));
});

describe('the version says 1.2 exactly when the document carries something only 1.2 defines', () => {
  const base: ProviderInput = {
    id: 'v.example',
    domains: ['v.example'],
    incoming: [{ type: 'imap', hostname: 'imap.v.example', socketType: 'SSL' }],
    outgoing: [{ type: 'smtp', hostname: 'smtp.v.example', socketType: 'SSL' }],
  };
  const oAuth2 = { issuer: 'id.v.example', scope: 'mail', authURL: 'https://id.v.example/a', tokenURL: 'https://id.v.example/t' };
  const versionOf = (changes: Partial<ProviderInput>) =>
    /<clientConfig version="([\d.]+)">/.exec(renderMozillaAutoconfig(providerSchema.parse({ ...base, ...changes })))?.[1];

  test.each<[string, Partial<ProviderInput>, string]>([
    ['nothing new', {}, '1.1'],
    ['an Exchange server with OAuth2', { otherIncoming: [{ type: 'ews', url: 'https://ews.v.example/', authentication: ['OAuth2'] }] }, '1.1'],
    ['OAuth2 without a client', { oAuth2 }, '1.1'],
    ['an MX domain', { mxDomains: ['mx.v.example'] }, '1.2'],
    ['a SASL mechanism', { incoming: [{ type: 'imap', hostname: 'imap.v.example', socketType: 'SSL', saslMechanisms: ['SCRAM-SHA-256'] }] }, '1.2'],
    ['an OAuth2 client id', { oAuth2: { ...oAuth2, clientID: 'tb' } }, '1.2'],
    ['an OAuth2 client secret', { oAuth2: { ...oAuth2, clientSecret: 's' } }, '1.2'],
    ['a JMAP server', { otherIncoming: [{ type: 'jmap', url: 'https://jmap.v.example/' }] }, '1.2'],
    ['an ActiveSync server', { otherIncoming: [{ type: 'activeSync', url: 'https://eas.v.example/' }] }, '1.2'],
    ['HTTP authentication', { otherIncoming: [{ type: 'ews', url: 'https://ews.v.example/', authentication: ['OAuth2', 'Basic'] }] }, '1.2'],
  ])('%s', (_name, changes, version) => {
    expect(versionOf(changes)).toBe(version);
  });
});
