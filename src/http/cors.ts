/**
 * CORS for the documents any web page may read (Mozilla autoconfig, PACC): they hold no
 * secret and need no credentials, so every origin may read them. A browser asks first
 * (a preflight OPTIONS) before a script's request that sets headers of its own; for these
 * paths the answer grants the methods they serve and any header, for a day.
 */
import type { HeaderPairs } from './answer';

export const OPEN_TO_EVERY_ORIGIN: HeaderPairs = [['Access-Control-Allow-Origin', '*']];

/** The headers of a granted preflight for a path that serves `allow`. */
export function openPreflight(allow: string): HeaderPairs {
  return [...OPEN_TO_EVERY_ORIGIN, ['Access-Control-Allow-Methods', allow], ['Access-Control-Allow-Headers', '*'], ['Access-Control-Max-Age', '86400']];
}
