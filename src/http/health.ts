/** `/healthz`: the size of the configuration being served, and whether the last reload failed. */
import { healthReport, type ReloadStatus } from '../config/reloader';
import type { Registry } from '../registry';
import type { Answer } from './answer';

export function healthHandler(registry: () => Registry, status?: () => ReloadStatus): () => Answer {
  // Still 200 after a failed reload: the last good configuration is being served.
  return () => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(healthReport(registry(), status?.())) });
}
