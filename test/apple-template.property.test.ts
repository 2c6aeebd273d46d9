/**
 * Apple profiles spliced from a per-provider template (appleProfileRenderer in
 * src/formats/apple/profile.ts) are the documents renderAppleProfile() builds, byte for byte, for
 * any valid address: with XML specials, `%`, placeholders written into the address,
 * non-ASCII and IDN domains, and for providers whose two logins are the same template,
 * different templates, or different templates that some addresses make equal.
 */
import fc from 'fast-check';
import { loadProviderDirectory } from '../src/config/load';
import { parseProviderFile } from '../src/config/load-providers';
import { appleProfileRenderer, renderAppleProfile } from '../src/formats/apple/profile';
import { parseEmailAddress } from '../src/model/address';
import type { ProviderDefinition } from '../src/model/provider';
import { SHIPPED_CONFIG } from './support/app';

function provider(yaml: string): ProviderDefinition {
  const result = parseProviderFile('test.yaml', yaml);
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

const CUSTOM = [
  // Two logins from different templates that are equal for every address but the marked one.
  provider(`id: joined.example
domains: [joined.example]
incoming: [{ type: imap, hostname: "imap.%EMAILDOMAIN%", socketType: SSL, username: "%EMAILLOCALPART%@%EMAILDOMAIN%" }]
outgoing: [{ type: smtp, hostname: smtp.joined.example, socketType: STARTTLS, username: "%EMAILADDRESS%" }]
`),
  // Logins that always differ, and a server without authentication.
  provider(`id: apart.example
domains: [apart.example]
incoming: [{ type: pop3, hostname: pop.apart.example, socketType: SSL, username: "%EMAILLOCALPART%" }]
outgoing: [{ type: smtp, hostname: smtp.apart.example, socketType: SSL, authentication: none }]
`),
];

const localPart = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,20}$/),
  fc.constantFrom('fred', "o'brien", 'a&b', '%EMAILDOMAIN%', '%EMAILADDRESS%', '$&', 'jörg', '%41', '<x>'),
);
const domainPart = fc.constantFrom('example.com', 'EXAMPLE.com', 'joined.example', 'Apart.Example', 'münchen.example', 'xn--mnchen-3ya.example');

test('spliced profiles equal the rendered ones for every provider and valid address', async () => {
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  const providers = [...providerDirectory.providers.map((hosted) => hosted.definition), ...CUSTOM];
  const renderers = providers.map((definition) => ({ definition, render: appleProfileRenderer(definition) }));
  expect(renderers.every(({ render }) => render !== undefined)).toBe(true);
  let compared = 0;
  fc.assert(
    fc.property(fc.nat(), localPart, domainPart, (which, local, domain) => {
      const address = parseEmailAddress(`${local}@${domain}`);
      if (!address) return;
      const { definition, render } = renderers[which % renderers.length]!;
      expect(render!(address).toString('utf8')).toBe(renderAppleProfile(definition, address));
      compared += 1;
    }),
    { numRuns: 600 },
  );
  expect(compared).toBeGreaterThan(300);
});

test('a provider without servers Apple Mail can log in to has no template', () => {
  const oauthOnly = provider(`id: oauth.example
domains: [oauth.example]
incoming: [{ type: imap, hostname: imap.oauth.example, socketType: SSL, authentication: OAuth2 }]
outgoing: [{ type: smtp, hostname: smtp.oauth.example, socketType: SSL, authentication: OAuth2 }]
`);
  expect(appleProfileRenderer(oauthOnly)).toBeUndefined();
  expect(renderAppleProfile(oauthOnly, parseEmailAddress('fred@oauth.example')!)).toBeUndefined();
});
