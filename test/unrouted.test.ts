/**
 * unroutedPaths reads an Express app's routes; whatever it cannot account for must turn
 * it off, so that every path goes to Express as before. (What the server answers for
 * unrouted paths, byte for byte against Express, is in lean-path.test.ts.)
 */
import express, { Router, type RequestHandler } from 'express';
import { unroutedPaths } from '../src/http/unrouted';

const steps: RequestHandler = (_req, _res, next) => next();
const notFound: RequestHandler = (_req, res) => {
  res.status(404).end();
};
const ok: RequestHandler = (_req, res) => {
  res.end();
};

function app(build: (app: express.Express) => void, { withNotFound = true } = {}): express.Express {
  const made = express();
  made.use(steps);
  build(made);
  if (withNotFound) made.use(notFound);
  made.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.end());
  return made;
}

test('routes of the app and of routers mounted at / count, with Express matching rules', () => {
  const router = Router();
  router.get('/nested/:name', ok);
  router.all(['/setup', /^\/[^/]+\.mobileconfig$/i], ok);
  const unrouted = unroutedPaths(
    app((made) => {
      made.get('/healthz', ok);
      made.use(router);
    }),
    { passThrough: [steps], notFound },
  );
  for (const path of ['/healthz', '/HEALTHZ/', '/nested/x', '/nested/%E2%82%AC', '/setup', '/Fred.mobileconfig']) expect([path, unrouted(path)]).toEqual([path, false]);
  for (const path of ['/', '/wp-login.php', '/healthz/x', '/nested', '/nested/x/y', '/setup.php', '/a/b.mobileconfig']) expect([path, unrouted(path)]).toEqual([path, true]);
  // A parameter that does not decode, and targets parseurl reads differently: Express decides.
  expect(unrouted('/nested/%E0%A4%A')).toBe(false);
  expect(unrouted('/wp login.php')).toBe(false);
  expect(unrouted('/x#y')).toBe(false);
});

test('anything it cannot account for turns it off', () => {
  const options = { passThrough: [steps], notFound };
  const cases = [
    // Middleware that might answer a path by itself.
    app((made) => made.use((_req, _res, next) => next())),
    // A router mounted below /, whose paths Express trims.
    app((made) => made.use('/sub', Router().get('/x', ok))),
    // Middleware inside a router.
    app((made) => made.use(Router().use(ok))),
    // No 404 handler of ours at the end: Express's own final handler would answer.
    app((made) => made.get('/x', ok), { withNotFound: false }),
  ];
  for (const made of cases) expect(unroutedPaths(made, options)('/wp-login.php')).toBe(false);
  // The same app with nothing unaccounted for is on.
  expect(unroutedPaths(app((made) => made.get('/x', ok)), options)('/wp-login.php')).toBe(true);
});
