/**
 * `GET /tls/ask?domain=NAME` on the metrics port: Caddy's on-demand TLS asks it before
 * requesting a certificate for a name a client sent, and goes ahead only on 200. Yes for
 * the discovery names of a domain the files or the database host, so certificates follow
 * the hosted domains with no list kept by hand (docs/deploying.md).
 */
import { tlsAskHosted } from '../domains/hosted-domains';
import type { Answer } from './answer';
import { textError } from './errors';
import type { Handler, RouteContext } from './route';

const ALLOWED = textError(200, 'ok');
const REFUSED = textError(404, 'Not a discovery name of a hosted domain');

export function tlsAskHandler({ providerDirectory, domainSource }: RouteContext): Handler {
  return async ({ view }): Promise<Answer> => {
    const name = view.query.get('domain');
    if (typeof name !== 'string' || name === '') return textError(400, 'The domain parameter is required');
    return (await tlsAskHosted(name, providerDirectory(), domainSource)) ? ALLOWED : REFUSED;
  };
}
