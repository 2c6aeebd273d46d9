/**
 * POX answers spliced from a per-provider template (src/formats/outlook/pox-template.ts) are the
 * documents renderPoxSettings() builds, byte for byte, for any valid address: with XML
 * specials, `%`, placeholders written into the address, non-ASCII and IDN domains.
 */
import fc from 'fast-check';
import { loadProviderDirectory } from '../src/config/load';
import { NAMESPACES, POX_ERRORS, renderPoxError, renderPoxSettings } from '../src/formats/outlook/pox';
import { poxErrorRenderer, poxSettingsRenderer } from '../src/formats/outlook/pox-template';
import { parseEmailAddress, type EmailAddress } from '../src/model/address';
import type { ProviderDirectory } from '../src/model/provider-directory';
import { SHIPPED_CONFIG } from './support/app';

let providerDirectory: ProviderDirectory;
beforeAll(async () => {
  providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
});

const localPart = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,20}$/),
  fc.constantFrom('fred', "o'brien", 'a&b', '%EMAILDOMAIN%', '%EMAILADDRESS%', '$&', 'jörg', '%41'),
);
const domainPart = fc.constantFrom('example.com', 'EXAMPLE.com', 'example.net', 'hotmail.com', 'münchen.example', 'xn--mnchen-3ya.example');

test('spliced answers equal the rendered ones for every provider, hosted domain and valid address', () => {
  const cases = providerDirectory.providers.flatMap((provider) => provider.definition.domains.map((domain) => ({ provider, domain })));
  expect(cases.length).toBeGreaterThan(1);
  const renderers = cases.map(({ provider, domain }) => ({ definition: provider.definition, domain, render: poxSettingsRenderer(provider.definition, domain) }));
  let compared = 0;
  fc.assert(
    fc.property(fc.nat(), localPart, domainPart, (which, local, domain) => {
      const address: EmailAddress | undefined = parseEmailAddress(`${local}@${domain}`);
      if (!address) return;
      const { definition, domain: hosted, render } = renderers[which % renderers.length]!;
      expect(render?.(address).toString('utf8')).toBe(renderPoxSettings(definition, { address, domain: hosted }));
      compared += 1;
    }),
    { numRuns: 400 },
  );
  expect(compared).toBeGreaterThan(200);
});

test('spliced error answers equal the rendered ones for every error and time', () => {
  const errors = Object.values(POX_ERRORS);
  const namespaces = [NAMESPACES.response, 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006'];
  const renderers = errors.flatMap((error) => namespaces.map((namespace) => ({ error, namespace, render: poxErrorRenderer({ error, namespace, serverId: '1234' }) })));
  fc.assert(
    fc.property(fc.nat(), fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (which, time) => {
      const { error, namespace, render } = renderers[which % renderers.length]!;
      expect(render(time).toString('utf8')).toBe(renderPoxError({ error, namespace, time, serverId: '1234' }));
    }),
    { numRuns: 300 },
  );
});
