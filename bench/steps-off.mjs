/**
 * Bench only, never in the server: `NODE_OPTIONS='--import ./bench/steps-off.mjs'` (from the
 * repository's root) replaces the built server's request steps (src/http/request-steps.ts)
 * with the request view alone. What is left is the floor of our design: routing, the
 * endpoint's handler and the writer, with no request id, security headers, rate limit,
 * metrics or access log. `bench/ab.mjs --variant 'view only:NODE_OPTIONS=--import ./bench/steps-off.mjs'`
 * compares it with everything on; BENCH_DIST names another build, as for ab.mjs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const dist = path.resolve(process.env.BENCH_DIST ?? 'dist');
// The built server is CommonJS: its modules are patched in the cache it will load them from.
const load = createRequire(path.join(dist, 'main.js'));
const steps = load('./http/request-steps.js');
const { attachView } = load('./http/request-view.js');

// app.js calls requestSteps through its module object, so replacing the export is enough.
// It says so on standard error when the app takes it, so a build that calls it otherwise shows.
steps.requestSteps = ({ trust }) => {
  process.stderr.write('bench/steps-off.mjs: the request steps are the request view alone\n');
  return (req) => {
    attachView(req, trust);
    return undefined;
  };
};
