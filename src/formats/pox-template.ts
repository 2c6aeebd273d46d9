/**
 * POX settings answers by splicing (splice-template.ts): for one provider and hosted
 * domain the answer differs between addresses only where the address's parts are
 * substituted. An address that substitutePlaceholders would not put in literally
 * (substitutesLiterally, address.ts) is rendered in full instead.
 * test/pox-template.property.test.ts checks the result equals renderPoxSettings().
 */
import { ADDRESS_PARTS, substitutesLiterally, type EmailAddress } from '../model/address';
import type { ProviderDefinition } from '../model/provider';
import { renderPoxSettings } from './outlook-pox';
import { spliceTemplate } from './splice-template';

/** The answer's bytes (UTF-8) for an address. */
export type PoxSettingsRenderer = (address: EmailAddress) => Buffer;

/** The settings answer of `provider` for addresses at `domain`, or undefined when Outlook can use none of its servers. */
export function poxSettingsRenderer(provider: ProviderDefinition, domain: string): PoxSettingsRenderer | undefined {
  const splice = spliceTemplate(ADDRESS_PARTS, (marked) => renderPoxSettings(provider, { address: { ...marked, domainKey: domain }, domain }));
  if (splice === undefined) return undefined;
  return (address) => (substitutesLiterally(address) ? splice(address) : Buffer.from(renderPoxSettings(provider, { address, domain })!, 'utf8'));
}
