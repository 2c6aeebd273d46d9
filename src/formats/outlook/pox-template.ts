/**
 * POX answers by splicing (shared/splice-template.ts). For one provider and hosted domain the
 * settings answer differs between addresses only where the address's parts are
 * substituted (substitutePlaceholders, address.ts, puts them in literally, in one pass).
 * An error answer differs between requests only in its time. test/pox-template.property.test.ts checks the
 * results equal renderPoxSettings() and renderPoxError().
 */
import { ADDRESS_PARTS, type EmailAddress } from '../../model/address';
import type { ProviderDefinition } from '../../model/provider';
import { poxErrorTime, renderPoxErrorAt, renderPoxSettings, type PoxErrorDetails } from './pox';
import { spliceTemplate } from '../common/splice-template';

/** The answer's bytes (UTF-8) for an address. */
export type PoxSettingsRenderer = (address: EmailAddress) => Buffer;

/** The settings answer of `provider` for addresses at `domain`, or undefined when Outlook can use none of its servers. */
export function poxSettingsRenderer(provider: ProviderDefinition, domain: string, ttlHours?: number): PoxSettingsRenderer | undefined {
  return spliceTemplate(ADDRESS_PARTS, (marked) => renderPoxSettings(provider, { address: { ...marked, domainKey: domain }, domain, ttlHours }));
}

/** An error answer's bytes (UTF-8) at a time. */
export type PoxErrorRenderer = (time: Date) => Buffer;

/**
 * The error answer for `details` at any time, spliced from a template: bots ask for
 * domains nobody hosts by the thousand, and building an XML tree for each would cost
 * more than all the rest of answering it.
 */
export function poxErrorRenderer(details: Omit<PoxErrorDetails, 'time'>): PoxErrorRenderer {
  // The time is digits, `:` and `.`: nothing in it needs escaping, in an attribute or not.
  const splice = spliceTemplate(['time'], (marked) => renderPoxErrorAt(details, marked.time))!;
  return (time) => splice({ time: poxErrorTime(time) });
}
