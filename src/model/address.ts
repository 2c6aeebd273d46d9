/**
 * Email addresses as clients send them, and the placeholders of the Mozilla format
 * (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%) that stand for their parts.
 */
import { toDomainKey } from './domain';

export interface EmailAddress {
  /** The address as the person typed it (local part untouched, domain as given). */
  readonly address: string;
  readonly localPart: string;
  /** The domain as given, for substitution into login names. */
  readonly domain: string;
  /** The domain's lower-case A-label form, for lookups. */
  readonly domainKey: string;
}

const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 320;
// Characters that cannot appear unquoted in a local part, plus controls and white space.
// Non-ASCII is allowed (SMTPUTF8 addresses exist); quoted local parts are not supported.
const FORBIDDEN_IN_LOCAL_PART = /[\s\p{Cc}()<>[\]\\,;:@"]/u;

/** Parses `input` as an address, or returns undefined when it is not a syntactically valid one. */
export function parseEmailAddress(input: string): EmailAddress | undefined {
  const address = input.trim();
  if (address.length === 0 || address.length > MAX_ADDRESS) return undefined;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const localPart = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (localPart.length > MAX_LOCAL_PART || FORBIDDEN_IN_LOCAL_PART.test(localPart)) return undefined;
  if (localPart.startsWith('.') || localPart.endsWith('.') || localPart.includes('..')) return undefined;
  const domainKey = toDomainKey(domain);
  if (!domainKey) return undefined;
  return { address, localPart, domain, domainKey };
}

export const PLACEHOLDERS = {
  address: '%EMAILADDRESS%',
  localPart: '%EMAILLOCALPART%',
  domain: '%EMAILDOMAIN%',
} as const;

/** The parts of an address that placeholders stand for. */
export const ADDRESS_PARTS = Object.keys(PLACEHOLDERS) as readonly (keyof typeof PLACEHOLDERS)[];

// Any %NAME% placeholder, also ones this server never fills (inputField keys, %REALNAME%).
const ANY_PLACEHOLDER = /%[A-Z]+%/;

/** Whether `text` still holds a placeholder, so it cannot be used as it is. */
export function hasPlaceholder(text: string): boolean {
  return ANY_PLACEHOLDER.test(text);
}

/** `text` with every placeholder replaced by `sample`: to check the shape of a template. */
export function withSamplePlaceholders(text: string, sample: string): string {
  return text.replaceAll(new RegExp(ANY_PLACEHOLDER.source, 'g'), sample);
}

/**
 * Whether substitutePlaceholders puts the parts of `address` in as they are. It replaces
 * one placeholder after another, so a part holding `%` could be read as a placeholder by a
 * later replacement (`fred%EMAILDOMAIN%@…`); a document spliced from a template
 * (splice-template.ts) equals the rendered one only for addresses where it does not.
 */
export function substitutesLiterally(address: EmailAddress): boolean {
  return !address.address.includes('%');
}

/**
 * Replaces every placeholder in `template` with the parts of `address`. Without an
 * address only %EMAILDOMAIN% can be filled (from `domain`), the rest stay as they are.
 */
export function substitutePlaceholders(template: string, address: EmailAddress | undefined, domain?: string): string {
  let result = template;
  if (address) {
    result = result
      .replaceAll(PLACEHOLDERS.address, () => address.address)
      .replaceAll(PLACEHOLDERS.localPart, () => address.localPart);
  }
  const domainValue = address?.domain ?? domain;
  // A function replacement, so that `$&` and friends in an address stay literal.
  return domainValue === undefined ? result : result.replaceAll(PLACEHOLDERS.domain, () => domainValue);
}
