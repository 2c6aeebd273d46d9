/**
 * Domain names as we compare them: lower-case A-labels (punycode), no trailing dot.
 * Config files and requests may use either form of an internationalised domain;
 * everything that matches domains goes through `toDomainKey`.
 */
import { domainToASCII } from 'node:url';
import { rememberRecent } from './recent-results';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
export const MAX_DOMAIN_LENGTH = 253;

/**
 * The A-label form of `input`, or undefined when it is not a usable DNS name. Requests name
 * the same few domains over and over, and domainToASCII is the costliest step of answering
 * one, so recent results are remembered (a few megabytes at most).
 */
export const toDomainKey = rememberRecent(computeDomainKey, 4096, 255);

function computeDomainKey(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 1024) return undefined;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || ascii.length > MAX_DOMAIN_LENGTH) return undefined;
  return ascii.split('.').every((label) => LABEL.test(label)) ? ascii : undefined;
}

/** A Host header value (or X-Forwarded-Host) reduced to the domain it names: no port, no prefix. */
export function domainFromHost(host: string | undefined, prefix: string): string | undefined {
  if (!host) return undefined;
  const withoutPort = host.startsWith('[') ? undefined : host.replace(/:\d*$/, '');
  if (!withoutPort) return undefined;
  const key = toDomainKey(withoutPort);
  if (!key) return undefined;
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : key;
}
