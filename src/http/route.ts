/** The shape of a row of the route table (routes.ts), and what its handler is given. */
import type { ReloadStatus } from '../config/reloader';
import type { Settings } from '../config/settings';
import type { SigningIdentity } from '../model/signing-identity';
import type { DatabaseDomainSource } from '../domains/database-source';
import type { ProviderDirectory } from '../model/provider-directory';
import type { Answer } from './answer';
import type { AnswerKind } from './answer-kinds';
import type { Metrics } from './metrics';
import type { RateBudget } from './rate-limit';
import type { RequestView } from './request-view';

/** What a handler is given: the request, its path parameters, and for a POST the raw body. */
export interface RouteRequest {
  readonly view: RequestView;
  readonly params: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type Handler = (request: RouteRequest) => Answer | Promise<Answer>;

/** What the handlers are built from: the current configuration and the server's state. */
export interface RouteContext {
  readonly providerDirectory: () => ProviderDirectory;
  readonly signing: () => SigningIdentity | undefined;
  readonly settings: Pick<Settings, 'autodiscoverHttpsRedirect'> & Partial<Pick<Settings, 'autodiscoverTtlHours' | 'publicBaseUrl' | 'signedProfileCacheEntries'>>;
  readonly metrics: Metrics;
  readonly status?: () => ReloadStatus;
  /** Hosted domains from PostgreSQL besides the files, when configured. */
  readonly domainSource?: DatabaseDomainSource;
}

export type Method = 'GET' | 'POST';

export interface Route {
  readonly paths: readonly (string | RegExp)[];
  /** GET serves HEAD too; OPTIONS and 405 answers list these. */
  readonly methods: readonly Method[];
  /** Builds the handler once, when the app is made. */
  readonly handler: (context: RouteContext) => Handler;
  /** The `endpoint` label in metrics (a fixed set, never anything from the request). */
  readonly label: string;
  /** Header set and cache policy of every answer of this route. */
  readonly kind: AnswerKind;
  /** POST bodies are read raw, whatever their type, up to `bodyLimitBytes` on the wire. */
  readonly readsBody?: true;
  /** Any web page may read the answers (Access-Control-Allow-Origin: *), and a preflight is granted. */
  readonly openToEveryOrigin?: true;
  /** Monitors poll it and it costs nothing: exempt from the rate limit. */
  readonly unlimited?: true;
  /** The rate limit budget it counts against; the mail protocols' when not given (rate-limit.ts). */
  readonly rateBudget?: RateBudget;
  /** Served only when the settings say so. */
  readonly when?: (settings: RouteSettings) => boolean;
}

export type RouteSettings = Partial<Pick<Settings, 'metricsEnabled' | 'metricsOnMainPort'>>;

