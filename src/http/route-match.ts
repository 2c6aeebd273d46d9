/**
 * Matching request paths against the route table (routes.ts), by the rules Express's
 * router applies to the same patterns: case-insensitive, one optional trailing slash after
 * a string path, `:name` for one decoded segment, a regular expression as it is.
 */
import type { Route } from './route';

export interface RouteMatch<R extends Route = Route> {
  readonly route: R;
  /** Undefined when a parameter does not decode (a broken %-escape): the request is malformed. */
  readonly params: Readonly<Record<string, string>> | undefined;
}

export type PathMatcher<R extends Route> = (path: string) => RouteMatch<R> | undefined;

interface CompiledPath {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export function pathMatcher<R extends Route>(routes: readonly R[]): PathMatcher<R> {
  const compiled = routes.flatMap((route) =>
    route.paths.map((path) => {
      const { pattern, names } = compilePath(path);
      return { route, pattern, names };
    }),
  );
  // Paths without parameters are looked up rather than tried one by one: most requests
  // are for one of them, and their match is the same every time.
  const exact = new Map<string, RouteMatch<R>>();
  for (const route of routes) {
    for (const path of route.paths) {
      if (typeof path === 'string' && !path.includes(':') && !exact.has(path.toLowerCase())) exact.set(path.toLowerCase(), { route, params: NO_PARAMS });
    }
  }
  return (path) => {
    const lower = path.toLowerCase();
    const found = exact.get(lower) ?? exact.get(lower.endsWith('/') ? lower.slice(0, -1) : lower);
    if (found) return found;
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(path);
      if (!match) continue;
      if (names.length === 0) return { route, params: NO_PARAMS };
      const params: Record<string, string> = {};
      for (const [index, name] of names.entries()) {
        const decoded = decodeSegment(match[index + 1]!);
        if (decoded === undefined) return { route, params: undefined };
        params[name] = decoded;
      }
      return { route, params };
    }
    return undefined;
  };
}

function compilePath(path: string | RegExp): CompiledPath {
  if (path instanceof RegExp) return { pattern: path, names: [] };
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`, 'i'), names };
}

function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
