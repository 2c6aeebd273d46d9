/**
 * `GET /tls/ask?domain=NAME` on the metrics port: Caddy's on-demand TLS asks it before
 * requesting a certificate for a name a client sent, and goes ahead only on 200. Yes for
 * the discovery names of a domain the files or the database host, so certificates follow
 * the hosted domains with no list kept by hand, but only for names that lead somewhere:
 * the same names `mail-autoconfig dns` publishes (docs/deploying.md).
 */
import { tlsAskTarget, type TlsAskTarget } from '../domains/hosted-domains';
import { PACC_HOST_PREFIX } from '../model/discovery-hosts';
import type { Answer } from './answer';
import { textError } from './errors';
import { hasPaccDocument } from './pacc';
import type { Handler, RouteContext } from './route';

const ALLOWED = textError(200, 'ok');
const REFUSED = textError(404, 'Not a discovery name with an answer for a hosted domain');

export function tlsAskHandler({ providerDirectory, domainSource }: RouteContext): Handler {
  return async ({ view }): Promise<Answer> => {
    const name = view.query.get('domain');
    if (typeof name !== 'string' || name === '') return textError(400, 'The domain parameter is required');
    const target = await tlsAskTarget(name, providerDirectory(), domainSource);
    return target !== undefined && leadsSomewhere(target) ? ALLOWED : REFUSED;
  };
}

/**
 * Whether a client sent to this name gets settings: every discovery name of a hosted domain
 * does, except the PACC name of a domain PACC can describe none of the servers of, which
 * answers 404 (docs/endpoints.md#pacc); a certificate for it would only serve that 404.
 */
function leadsSomewhere({ prefix, hosted }: TlsAskTarget): boolean {
  return prefix !== PACC_HOST_PREFIX || hasPaccDocument(hosted);
}
