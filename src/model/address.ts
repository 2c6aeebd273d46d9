/**
 * Email addresses as clients send them, and the placeholders of the Mozilla format
 * (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%) that stand for their parts.
 */
import { domainToUnicode } from 'node:url';
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

// The address grammar of RFC 5321 §4.1.2 with RFC 6531's UTF-8 extension. Non-ASCII is
// limited to visible characters (letters, marks, digits, punctuation, symbols): no
// controls, format characters, separators, surrogates or non-characters such as U+FFFF,
// which no document we write (XML, plist, HTML) could carry.
const VISIBLE_NON_ASCII = String.raw`(?![\x00-\x7F])[\p{L}\p{M}\p{N}\p{P}\p{S}]`;
const ATEXT = String.raw`(?:[A-Za-z0-9!#$%&'*+\-/=?^_\x60{|}~]|${VISIBLE_NON_ASCII})`;
const DOT_ATOM = String.raw`${ATEXT}+(?:\.${ATEXT}+)*`;
// qtextSMTP (printable ASCII but `"` and `\`) or a quoted pair (`\` and printable ASCII).
const QUOTED_STRING = String.raw`"(?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\[\x20-\x7E]|${VISIBLE_NON_ASCII})*"`;
const LOCAL_PART = new RegExp(String.raw`^(?:${DOT_ATOM}|${QUOTED_STRING})$`, 'u');
// A domain as typed: LDH labels, or an internationalised name in U-labels; an optional
// final dot (the root) is tolerated, as in DNS.
const ASCII_DOMAIN = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?$/;
const UNICODE_DOMAIN = /^[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*\.?$/u;

/**
 * Parses `input` as an address, or returns undefined when it is not one by the grammar
 * above. The whole address is checked, since every part of it is copied into documents,
 * login names and the page: nothing outside the grammar may come through.
 */
export function parseEmailAddress(input: string): EmailAddress | undefined {
  const address = input.trim();
  if (address.length === 0 || address.length > MAX_ADDRESS) return undefined;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const localPart = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (localPart.length > MAX_LOCAL_PART || !LOCAL_PART.test(localPart)) return undefined;
  const domainKey = checkedDomainKey(domain);
  return domainKey === undefined ? undefined : { address, localPart, domain, domainKey };
}

/**
 * The lookup key of an address's domain, when the domain is LDH labels or an IDN whose
 * A-label form turns back into the same name: domainToASCII alone stops at characters such
 * as `/` and `?`, maps look-alikes (full-width letters) and would let the rest through.
 */
function checkedDomainKey(domain: string): string | undefined {
  if (ASCII_DOMAIN.test(domain)) return toDomainKey(domain);
  if (!UNICODE_DOMAIN.test(domain)) return undefined;
  const domainKey = toDomainKey(domain);
  if (domainKey === undefined) return undefined;
  const typed = domain.replace(/\.$/, '').normalize('NFC').toLowerCase();
  return domainToUnicode(domainKey) === typed ? domainKey : undefined;
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

// Every placeholder, the ones this server fills first: substitution is one pass over this.
const PART_OF_PLACEHOLDER = new Map<string, (typeof ADDRESS_PARTS)[number]>(ADDRESS_PARTS.map((part) => [PLACEHOLDERS[part], part]));
const PLACEHOLDER_SCAN = new RegExp(`${Object.values(PLACEHOLDERS).join('|')}|${ANY_PLACEHOLDER.source}`, 'g');

/**
 * `template` with its placeholders replaced by the parts of `address`, in one pass over
 * the template: a value put in is never read again, so a `%` in a local part (legal in
 * RFC 5321) such as `x%EMAILDOMAIN%@example.com` comes out as it is. Without an address
 * only %EMAILDOMAIN% can be filled (from `domain`). `complete` says whether every
 * placeholder of the template was filled, judged on the template, never on the values.
 */
function fill(template: string, address: EmailAddress | undefined, domain: string | undefined): { text: string; complete: boolean } {
  if (!template.includes('%')) return { text: template, complete: true };
  const domainValue = address?.domain ?? domain;
  let complete = true;
  // A function replacement, so that `$&` and friends in an address stay literal.
  const text = template.replace(PLACEHOLDER_SCAN, (placeholder) => {
    const part = PART_OF_PLACEHOLDER.get(placeholder);
    const value = part === undefined ? undefined : part === 'domain' ? domainValue : address?.[part];
    if (value !== undefined) return value;
    complete = false;
    return placeholder;
  });
  return { text, complete };
}

/** `template` filled in as far as `address` (or, without one, `domain`) allows; the rest stay as they are. */
export function substitutePlaceholders(template: string, address: EmailAddress | undefined, domain?: string): string {
  return fill(template, address, domain).text;
}

/** `template` filled in, or undefined when it has a placeholder that cannot be filled. */
export function fillPlaceholders(template: string, address: EmailAddress | undefined, domain?: string): string | undefined {
  const { text, complete } = fill(template, address, domain);
  return complete ? text : undefined;
}
