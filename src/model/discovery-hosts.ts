/**
 * The host names mail clients look up for an email domain D, each protocol's own name in
 * front of D (docs/endpoints.md): the handlers strip them, the DNS records publish them and
 * the TLS ask admits them.
 */
export const AUTOCONFIG_HOST_PREFIX = 'autoconfig.';
export const AUTODISCOVER_HOST_PREFIX = 'autodiscover.';
export const PACC_HOST_PREFIX = 'ua-auto-config.';

export const DISCOVERY_PREFIXES = [AUTOCONFIG_HOST_PREFIX, AUTODISCOVER_HOST_PREFIX, PACC_HOST_PREFIX] as const;
export type DiscoveryPrefix = (typeof DISCOVERY_PREFIXES)[number];
