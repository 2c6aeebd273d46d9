/**
 * Which paths no route of the Express app serves, so that the lean path (lean-path.ts) can
 * give them the app's own 404 without Express's dispatch. Scanners ask every web server
 * for /wp-login.php, /.env and the like; through Express each such request cost about
 * 300 µs of CPU and 36 KB of garbage, a quarter of it kept past a young-generation
 * collection, against 77 µs and 9.7 KB here (issue 7; README, Performance).
 *
 * The answer comes from the app's own routes: the same matchers Express dispatches with
 * (router 2's layers: `route`, `match()`, a nested router's `handle.stack`), so the two
 * cannot disagree about a path, and a route added to any router counts at once. Whatever
 * the walk does not recognise (middleware that might answer, a router mounted below `/`,
 * a stack that does not end in the app's 404 handler) turns it off: every path then goes
 * to Express, as before. test/lean-path.test.ts sends near-misses of every route to both.
 */
import type { Express, RequestHandler } from 'express';

/** What the walk relies on in router 2's Layer. */
interface RouterLayer {
  readonly route?: unknown;
  readonly handle: unknown;
  /** Mounted at `/` without an end: sees every path unchanged. */
  readonly slash?: boolean;
  match(path: string): unknown;
}

export interface AppRoutesShape {
  /** Middleware that runs for every request and answers none by itself (the request steps). */
  readonly passThrough: readonly RequestHandler[];
  /** The app's last handler, which answers what no route did with 404. */
  readonly notFound: RequestHandler;
}

/** True for a path that reaches the app's 404 handler whatever its method. */
export type Unrouted = (path: string) => boolean;

// parseurl (Express's getPathname) hands a target with any of these to url.parse, which
// may read its path differently from the plain cut at `?` the lean path makes.
const PARSED_DIFFERENTLY = /[\t\n\f\r #\u00a0\ufeff]/;

export function unroutedPaths(app: Express, shape: AppRoutesShape): Unrouted {
  const routes: RouterLayer[] = [];
  const stack = stackOf(app.router);
  if (!stack || collectRoutes(stack, shape, routes) !== 'reaches 404') return () => false;
  return (path) => {
    if (PARSED_DIFFERENTLY.test(path)) return false;
    try {
      return !routes.some((layer) => layer.match(path));
    } catch {
      // A route's parameter that does not decode: Express answers that its own way.
      return false;
    }
  };
}

type WalkEnd = 'reaches 404' | 'falls through' | 'unknown';

/** Gathers the route layers a request meets before the 404 handler, in order. */
function collectRoutes(stack: readonly RouterLayer[], shape: AppRoutesShape, routes: RouterLayer[]): WalkEnd {
  for (const layer of stack) {
    const { handle } = layer;
    if (layer.route !== undefined) {
      routes.push(layer);
    } else if (handle === shape.notFound) {
      return 'reaches 404';
    } else if (shape.passThrough.includes(handle as RequestHandler)) {
      continue;
    } else if (typeof handle === 'function' && handle.length === 4) {
      // Error middleware: it runs only for a request that failed.
      continue;
    } else {
      const nested = stackOf(handle);
      if (!nested || !layer.slash) return 'unknown';
      const end = collectRoutes(nested, shape, routes);
      if (end !== 'falls through') return end === 'reaches 404' ? 'unknown' : end;
    }
  }
  return 'falls through';
}

function stackOf(router: unknown): readonly RouterLayer[] | undefined {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  return Array.isArray(stack) ? (stack as RouterLayer[]) : undefined;
}
