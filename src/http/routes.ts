/**
 * The route table: every endpoint, declared once. The dispatcher (dispatcher.ts) serves
 * it, as the standalone server and as the Express app (app.ts); the metrics labels, the
 * Allow lists of 405 and OPTIONS, and the browser preflight all come from these rows.
 *
 * A path is a string, matched case-insensitively (clients vary the case of
 * /Autodiscover/Autodiscover.xml) with one optional trailing slash, whose `:name`
 * segments are handed to the handler decoded; or a regular expression, matched as it is.
 *
 * This is the one place that spells a path: renderers and handlers are handed the ones
 * they link to, and the soak test asks with the names below (test/route-paths.test.ts).
 */
import type { PageLinks } from '../formats/setup-page/pages';
import { DOCUMENT, PAGE, PAGE_ASSET, UNCACHED_DOCUMENT } from './answer-kinds';
import { appleMobileconfigHandler } from './apple-mobileconfig';
import { healthHandler } from './health';
import { hostedDomains } from './hosted';
import { mozillaAutoconfigHandler } from './mozilla-autoconfig';
import { autodiscoverV2Handler, poxHandlers } from './outlook-autodiscover';
import { paccHandler } from './pacc';
import type { Method, Route, RouteSettings } from './route';
import { pathMatcher } from './route-match';
import { ICON, STYLESHEET, setupFormHandler, setupPageHandler } from './setup-page';
import { tlsAskHandler } from './tls-ask';

export const MOZILLA_PATH = '/mail/config-v1.1.xml';
export const MOZILLA_WELL_KNOWN_PATH = '/.well-known/autoconfig/mail/config-v1.1.xml';
/** POX autodiscover; the v2 JSON points at it and plain-http requests are redirected to it. */
export const POX_PATH = '/autodiscover/autodiscover.xml';
export const AUTODISCOVER_V2_PATH = '/autodiscover/autodiscover.json';
/** The v2 JSON path with the address as its last segment. */
export const AUTODISCOVER_V2_EMAIL_PATH = '/autodiscover/autodiscover.json/v1.0/:email';
/** Apple profiles; the setup page links the first. */
export const APPLE_PROFILE_PATH = '/mobileconfig';
export const PACC_PATH = '/.well-known/user-agent-configuration.json';
export const SETUP_PATH = '/setup';
const STYLESHEET_PATH = '/static/setup.css';
const ICON_PATH = '/static/favicon.svg';
export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';

/** The pages sit at the top level, so their relative links are the paths without the leading slash. */
const PAGE_LINKS: PageLinks = { stylesheet: STYLESHEET_PATH.slice(1), icon: ICON_PATH.slice(1), form: SETUP_PATH.slice(1) };

const GET: readonly Method[] = ['GET'];

export const ROUTES: readonly Route[] = [
  {
    paths: [
      MOZILLA_PATH,
      MOZILLA_WELL_KNOWN_PATH,
      // Nine asks for this prefixed variant.
      '/v1.1/mail/config-v1.1.xml',
      // Autoconfig draft -01's URL, since dropped; Stalwart and others still serve it.
      '/.well-known/mail-v1.xml',
    ],
    methods: GET,
    handler: (context) => {
      const answer = mozillaAutoconfigHandler(hostedDomains(context));
      return ({ view }) => answer(view);
    },
    label: 'mozilla',
    kind: DOCUMENT,
    openToEveryOrigin: true,
  },
  {
    paths: [POX_PATH],
    methods: ['GET', 'POST'],
    handler: (context) => {
      const { settings } = context;
      const { poxGet, poxPost } = poxHandlers({
        findHosted: hostedDomains(context),
        httpsRedirect: settings.autodiscoverHttpsRedirect,
        ttlHours: settings.autodiscoverTtlHours,
        poxPath: POX_PATH,
      });
      return ({ view, body }) => (view.method === 'POST' ? poxPost(view, body) : poxGet(view));
    },
    label: 'outlook',
    kind: DOCUMENT,
    readsBody: true,
  },
  {
    paths: [AUTODISCOVER_V2_PATH, AUTODISCOVER_V2_EMAIL_PATH],
    methods: GET,
    handler: (context) => {
      const v2Json = autodiscoverV2Handler(hostedDomains(context), POX_PATH, context.settings.autodiscoverTtlHours);
      return ({ view, params }) => v2Json(view, params.email);
    },
    label: 'v2 json',
    kind: DOCUMENT,
  },
  {
    paths: [APPLE_PROFILE_PATH, /^\/[^/]+\.mobileconfig$/i],
    methods: GET,
    handler: (context) => {
      const answer = appleMobileconfigHandler(hostedDomains(context), context.signing, context.settings.signedProfileCacheEntries);
      return ({ view }) => answer(view);
    },
    label: 'apple',
    // A profile names a person: no cache may keep it.
    kind: UNCACHED_DOCUMENT,
  },
  {
    paths: [PACC_PATH],
    methods: GET,
    handler: (context) => {
      const answer = paccHandler(hostedDomains(context));
      return ({ view }) => answer(view);
    },
    label: 'pacc',
    kind: DOCUMENT,
    openToEveryOrigin: true,
  },
  { paths: ['/'], methods: GET, handler: () => setupFormHandler(PAGE_LINKS), label: 'page', kind: PAGE, rateBudget: 'page' },
  {
    paths: [SETUP_PATH],
    methods: GET,
    handler: (context) => {
      const { settings } = context;
      const answer = setupPageHandler({
        findHosted: hostedDomains(context),
        appleProfilePath: APPLE_PROFILE_PATH,
        publicBaseUrl: settings.publicBaseUrl,
        links: PAGE_LINKS,
      });
      return ({ view }) => answer(view);
    },
    label: 'page',
    kind: PAGE,
    rateBudget: 'page',
  },
  { paths: [STYLESHEET_PATH], methods: GET, handler: () => () => STYLESHEET, label: 'page', kind: PAGE_ASSET, rateBudget: 'page' },
  { paths: [ICON_PATH], methods: GET, handler: () => () => ICON, label: 'page', kind: PAGE_ASSET, rateBudget: 'page' },
  {
    paths: [HEALTH_PATH],
    methods: GET,
    handler: ({ providerDirectory, status, domainSource }) => healthHandler(providerDirectory, status, domainSource),
    label: 'other',
    kind: UNCACHED_DOCUMENT,
    unlimited: true,
  },
  {
    paths: [METRICS_PATH],
    methods: GET,
    handler: ({ metrics }) => () => metrics.answer(),
    label: 'other',
    kind: UNCACHED_DOCUMENT,
    // On the main port only when asked for: by default it has a loopback port of its own (server.ts).
    when: ({ metricsEnabled, metricsOnMainPort }) => metricsEnabled !== false && metricsOnMainPort === true,
  },
];

export const TLS_ASK_PATH = '/tls/ask';

/**
 * The table of the separate metrics port, which only the proxy and the monitoring reach:
 * /metrics (unless turned off), and Caddy's on-demand TLS ask, which must not be public
 * since it tells which domains are hosted (docs/deploying.md).
 */
export const METRICS_PORT_ROUTES: readonly Route[] = [
  ...ROUTES.filter((route) => route.paths.includes(METRICS_PATH)).map((route) => ({
    paths: route.paths,
    methods: route.methods,
    handler: route.handler,
    label: route.label,
    kind: route.kind,
    when: ({ metricsEnabled }: RouteSettings) => metricsEnabled !== false,
  })),
  { paths: [TLS_ASK_PATH], methods: GET, handler: tlsAskHandler, label: 'other', kind: UNCACHED_DOCUMENT },
];

/** The metrics label of a path: its route's, else 'other'. */
const routeOf = pathMatcher(ROUTES);
export function endpointOf(path: string): string {
  return routeOf(path)?.route.label ?? 'other';
}
