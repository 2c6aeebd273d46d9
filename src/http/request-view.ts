/**
 * What every step of answering a request reads from it (path, query, Host, client
 * address, scheme), computed once per request from the raw node:http request by Express's
 * own rules and the `trust proxy` setting, so the access log, metrics, rate limit and
 * handlers see the same values whether the standalone server or an Express host serves it.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { DiscoveryPrefix } from '../model/discovery-hosts';
import { domainFromHost } from '../model/domain';
import { queryParameter, rawQuery } from './query';

/** Express's compiled `trust proxy` setting: whether the hop-th address is a trusted proxy. */
export type TrustProxy = (address: string, hop: number) => boolean;

const VIEW = Symbol('mail-autoconfig request view');
type WithView = IncomingMessage & { [VIEW]?: RequestView };

const TRUST_NONE: TrustProxy = () => false;

export class RequestView {
  /** The request target as received: path and query (named as Express names it). */
  readonly originalUrl: string;
  readonly path: string;
  /** The metrics label of the route that matched (routes.ts); 'other' for none. */
  endpoint = 'other';
  private hostCache: string | undefined | null = null;
  private ipCache: string | undefined;
  private queryCache: ReadonlyMap<string, string | null> | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly trust: TrustProxy,
  ) {
    this.originalUrl = req.url ?? '/';
    const queryStart = this.originalUrl.indexOf('?');
    const target = queryStart === -1 ? this.originalUrl : this.originalUrl.slice(0, queryStart);
    this.path = target.startsWith('/') ? target : absoluteFormPath(target);
  }

  /** The query parameters as rawQuery (query.ts) reads them, read once per request. */
  get query(): ReadonlyMap<string, string | null> {
    this.queryCache ??= rawQuery(this);
    return this.queryCache;
  }

  /** One query parameter (lower-case name), without reading the others when they have not been read yet. */
  parameter(name: string): string | null | undefined {
    return this.queryCache ? this.queryCache.get(name) : queryParameter(this.originalUrl, name);
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get userAgent(): string | undefined {
    return this.req.headers['user-agent'];
  }

  private get trustsPeer(): boolean {
    return this.trust(this.req.socket.remoteAddress ?? '', 0);
  }

  /** Whether the connection comes from a trusted proxy, whose X-Forwarded-* headers are read. */
  get peerIsTrustedProxy(): boolean {
    return this.trustsPeer;
  }

  /** Express's req.hostname: the Host (X-Forwarded-Host from a trusted proxy) without its port. */
  get hostname(): string | undefined {
    if (this.hostCache === null) this.hostCache = this.computeHostname();
    return this.hostCache;
  }

  /** Express's req.host: the Host (X-Forwarded-Host from a trusted proxy), port included. */
  get host(): string | undefined {
    // Node joins repeated headers it does not know with ', ', so these are single strings.
    const forwarded = this.req.headers['x-forwarded-host'] as string | undefined;
    if (!forwarded || !this.trustsPeer) return this.req.headers.host;
    return forwarded.includes(',') ? forwarded.slice(0, forwarded.indexOf(',')).trimEnd() : forwarded;
  }

  /** The URL the client asked for, as Express's req.protocol and req.host read it: https only when a trusted proxy says so. */
  get url(): string {
    const forwarded = this.trustsPeer ? this.forwardedProto : undefined;
    return `${forwarded === 'https' ? 'https' : 'http'}://${this.host ?? 'localhost'}${this.originalUrl}`;
  }

  /** The first X-Forwarded-Proto value, lower-cased; '' when the header is present but empty. */
  private get forwardedProto(): string | undefined {
    const forwarded = this.req.headers['x-forwarded-proto'] as string | undefined;
    if (forwarded === undefined) return undefined;
    return (forwarded.includes(',') ? forwarded.slice(0, forwarded.indexOf(',')) : forwarded).trim().toLowerCase();
  }

  private computeHostname(): string | undefined {
    const host = this.host;
    if (!host) return undefined;
    const offset = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
    const colon = host.indexOf(':', offset);
    return colon === -1 ? host : host.slice(0, colon);
  }

  /** Express's req.ip: the client, read through trusted proxies only. */
  get ip(): string {
    this.ipCache ??= proxyaddr(this.req, this.trust);
    return this.ipCache;
  }

  /**
   * Whether the request is known to have arrived over plain http: only a trusted proxy's
   * X-Forwarded-Proto can tell, since this server does not terminate TLS itself.
   */
  get arrivedOverPlainHttp(): boolean {
    const forwarded = this.forwardedProto;
    if (forwarded === undefined || !this.trustsPeer) return false;
    return (forwarded || 'http') === 'http';
  }
}

/** The path of an absolute-form request target (`GET http://host/path`), as Express's req.path reads it. */
function absoluteFormPath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}

/** Attaches the request's view; the dispatcher does, first thing. */
export function attachView(req: IncomingMessage, trust: TrustProxy): RequestView {
  const view = new RequestView(req, trust);
  (req as WithView)[VIEW] = view;
  return view;
}

/** The request's view (one trusting no proxy when none was attached, as in the metrics-only app). */
export function viewOf(req: IncomingMessage): RequestView {
  return (req as WithView)[VIEW] ?? attachView(req, TRUST_NONE);
}

/** The hosted domain named by the Host header (X-Forwarded-Host from a trusted proxy), without `prefix`. */
export function hostDomain(
  req: { readonly hostname: string | undefined },
  prefix: DiscoveryPrefix): string | undefined {
  return domainFromHost(req.hostname, prefix);
}

