/** `/healthz`: the configuration being served, and the last reload's failure if any. */
import type { ReloadStatus } from '../config/reloader';
import type { Registry } from '../registry';
import type { Answer } from './answer';

export function healthHandler(registry: () => Registry, status?: () => ReloadStatus): () => Answer {
  return () => {
    const current = registry();
    // Still 200 after a failed reload: the last good configuration is being served.
    const body = { status: 'ok', providers: current.providers.length, domains: current.domainCount, lastReloadError: status?.().lastReloadError };
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
  };
}
