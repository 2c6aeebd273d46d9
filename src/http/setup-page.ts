/**
 * The setup page for people: `GET /` (the form), `GET /setup?email=` (the settings), its
 * stylesheet and icon. Errors are pages too, because a person reads them: an invalid address
 * shows the form again with the error (400), an unknown domain a friendly page (404).
 */
import { Router, type Request, type Response } from 'express';
import helmet from 'helmet';
import { parseEmailAddress } from '../model/address';
import {
  EMAIL_FIELD,
  HTML_CONTENT_TYPE,
  ICON_PATH,
  SETUP_PATH,
  STYLESHEET_PATH,
  isAppleDevice,
  renderSetupForm,
  renderSetupPage,
  renderUnknownDomainPage,
} from '../formats/html';
import { SETUP_ICON_SVG, SETUP_STYLESHEET } from '../formats/setup-assets';
import type { Registry } from '../registry';
import { PreparedBody, sendAnswer, type Answer } from './answer';
import { GET_AND_HEAD, otherMethods } from './errors';

export interface SetupPageOptions {
  readonly registry: () => Registry;
  /**
   * Path of the Apple configuration profile endpoint; when given, the page links each
   * address's profile ("Download profile"). Leave it out while no such route is served.
   */
  readonly appleProfilePath?: string;
}

/**
 * The pages are what a browser renders, so they get helmet's full set of headers (over
 * the short list every answer has, security-headers.ts), with a policy stricter than
 * helmet's default: no script at all, styles only from our own file (no 'unsafe-inline'),
 * forms only to ourselves. No upgrade-insecure-requests: the pages must keep working when
 * the server is reached over plain http.
 */
const pageSecurityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

const MESSAGES = {
  missing: 'Enter your email address.',
  invalid: 'This is not an email address: enter it as name@example.com.',
};

/** The same for everyone: cached for an hour, then revalidated by their ETag, computed once. */
function asset(contentType: string, body: string): Answer {
  return { status: 200, contentType, headers: [['Cache-Control', 'public, max-age=3600']], body: new PreparedBody(body) };
}

const STYLESHEET = asset('text/css; charset=utf-8', SETUP_STYLESHEET);
const ICON = asset('image/svg+xml', SETUP_ICON_SVG);

export function setupPageRouter({ registry, appleProfilePath }: SetupPageOptions): Router {
  const router = Router();
  router.get(`/${STYLESHEET_PATH}`, (_req, res) => sendAnswer(res, STYLESHEET));
  router.get(`/${ICON_PATH}`, (_req, res) => sendAnswer(res, ICON));

  router.get('/', pageSecurityHeaders, (_req, res) => sendPage(res, 200, renderSetupForm()));

  router.get(`/${SETUP_PATH}`, pageSecurityHeaders, (req, res) => {
    // `/setup/` would resolve the page's relative links one folder too deep; the relative
    // redirect keeps working under a proxy's path prefix.
    if (req.path.endsWith('/')) {
      const query = req.originalUrl.indexOf('?');
      return res.redirect(301, `../${SETUP_PATH}${query === -1 ? '' : req.originalUrl.slice(query)}`);
    }
    const input = formField(req, EMAIL_FIELD);
    if (input === undefined || input.trim() === '') {
      return sendPage(res, 400, renderSetupForm({ value: input, error: MESSAGES.missing }));
    }
    const address = parseEmailAddress(input);
    if (!address) return sendPage(res, 400, renderSetupForm({ value: input, error: MESSAGES.invalid }));
    const found = registry().find(address.domainKey);
    if (!found) return sendPage(res, 404, renderUnknownDomainPage(address));
    // The User-Agent only orders the page (profile first on Apple devices); the URL makes the QR code's link absolute.
    const appleDevice = isAppleDevice(req.get('user-agent'));
    const pageUrl = `${req.protocol}://${req.host}${req.originalUrl}`;
    sendPage(res, 200, renderSetupPage({ provider: found.provider.definition, address, appleProfilePath, appleDevice, pageUrl }));
  });

  router.all(['/', `/${SETUP_PATH}`, `/${STYLESHEET_PATH}`, `/${ICON_PATH}`], otherMethods(GET_AND_HEAD));
  return router;
}

/**
 * A field of a form sent with GET, decoded as browsers encode forms (`+` is a space), unlike
 * rawQuery, which keeps the `+` that mail clients send unencoded. The first value wins.
 */
function formField(req: Request, name: string): string | undefined {
  const start = req.originalUrl.indexOf('?');
  if (start === -1) return undefined;
  return new URLSearchParams(req.originalUrl.slice(start + 1)).get(name) ?? undefined;
}

function sendPage(res: Response, status: number, page: string): void {
  // The pages show a person's address: keep them out of every cache.
  sendAnswer(res, { status, contentType: HTML_CONTENT_TYPE, body: page, storable: false });
}
