/**
 * Names a person reads (profile names, account descriptions, the provider's name in PACC
 * and on the setup page). ISPDB files may write the provider's name as `%EMAILDOMAIN%`;
 * those placeholders are filled here, and a name that still holds one falls back to the
 * domain, so no reader ever sees a `%…%` placeholder.
 */
import { hasPlaceholder, substitutePlaceholders, type EmailAddress } from './address';

/** `name` with the address's parts (or the domain alone) filled in; the domain when that is not enough. */
export function readableName(name: string, address: EmailAddress | undefined, domain: string): string {
  const substituted = substitutePlaceholders(name, address, domain);
  return hasPlaceholder(substituted) ? (address?.domain ?? domain) : substituted;
}
