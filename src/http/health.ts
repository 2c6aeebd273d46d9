/**
 * `/healthz`: the size of the configuration being served, whether the last reload failed,
 * and whether the domain database answers. Counts only: what went wrong is in the log.
 */
import { healthReport, type ReloadStatus } from '../config/reloader';
import type { DatabaseDomainSource } from '../domains/database-source';
import type { ProviderDirectory } from '../model/provider-directory';
import type { Answer } from './answer';

export function healthHandler(providerDirectory: () => ProviderDirectory, status?: () => ReloadStatus, domainSource?: DatabaseDomainSource): () => Answer {
  // Still 200 when degraded: the last good configuration, and the cached domains, are being served.
  return () => {
    const report = healthReport(providerDirectory(), status?.());
    if (domainSource === undefined) return answer(report);
    const { state, cachedDomains } = domainSource.health();
    const database = { status: state, cachedDomains };
    return answer(Object.assign(report, { status: state === 'ok' ? report.status : 'degraded', database }));
  };
}

function answer(report: object): Answer {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(report) };
}
