/**
 * The setup page for people: the form, the settings for an address, its stylesheet and
 * icon (routes.ts names their paths). Errors are pages too, because a person reads them:
 * an invalid address shows the form again with the error (400), an unknown domain a
 * friendly page (404).
 */
import { parseEmailAddress } from '../model/address';
import {
  EMAIL_FIELD,
  HTML_CONTENT_TYPE,
  isAppleDevice,
  renderSetupForm,
  renderDomainsUnavailablePage,
  renderSetupPage,
  renderUnknownDomainPage,
  type PageLinks,
} from '../formats/setup-page/pages';
import { SETUP_ICON_SVG, SETUP_STYLESHEET } from '../formats/setup-page/assets';
import { PreparedBody, redirect, type Answer } from './answer';
import { retryAfter, whenHosted, type FindHosted } from './hosted';
import type { RequestView } from './request-view';

export interface SetupPageOptions {
  readonly findHosted: FindHosted;
  /** Path of the Apple configuration profile endpoint; the page links each address's profile ("Download profile"). */
  readonly appleProfilePath?: string;
  /** Where people reach the page; the QR code's link is made absolute against it. */
  readonly publicBaseUrl?: string;
  /** Where the pages link (routes.ts). */
  readonly links: PageLinks;
}

const MESSAGES = {
  missing: 'Enter your email address.',
  invalid: 'This is not an email address: enter it as name@example.com.',
};

/** The same for everyone, revalidated by their ETag, computed once. */
export const STYLESHEET: Answer = { status: 200, contentType: 'text/css; charset=utf-8', body: new PreparedBody(SETUP_STYLESHEET) };
export const ICON: Answer = { status: 200, contentType: 'image/svg+xml', body: new PreparedBody(SETUP_ICON_SVG) };

/** The empty form, the same for everyone. */
export function setupFormHandler(links: PageLinks): () => Answer {
  return () => page(200, renderSetupForm(links));
}

export function setupPageHandler({ findHosted, appleProfilePath, publicBaseUrl, links }: SetupPageOptions): (request: RequestView) => Answer | Promise<Answer> {
  return (request) => {
    // `/setup/` would resolve the page's relative links one folder too deep; the relative
    // redirect keeps working under a proxy's path prefix.
    if (request.path.endsWith('/')) {
      const query = request.originalUrl.indexOf('?');
      return redirect(301, `../${links.form}${query === -1 ? '' : request.originalUrl.slice(query)}`);
    }
    const input = formField(request, EMAIL_FIELD);
    if (input === undefined || input.trim() === '') {
      return page(400, renderSetupForm(links, { value: input, error: MESSAGES.missing }));
    }
    const address = parseEmailAddress(input);
    if (!address) return page(400, renderSetupForm(links, { value: input, error: MESSAGES.invalid }));
    return whenHosted(
      findHosted(address.domainKey),
      (found) => {
        if (!found) return page(404, renderUnknownDomainPage(address, links));
        // The User-Agent only orders the page (the profile first on Apple devices).
        const appleDevice = isAppleDevice(request.userAgent);
        const pageUrl = publicBaseUrl === undefined ? request.url : new URL(request.originalUrl.slice(1), publicBaseUrl).href;
        return page(200, renderSetupPage({ provider: found.provider.definition, address, appleProfilePath, appleDevice, pageUrl, links }));
      },
      // A temporary failure: no cache may keep it.
      (error) => ({ status: 503, contentType: HTML_CONTENT_TYPE, headers: [retryAfter(error)], body: renderDomainsUnavailablePage(address, links), storable: false }),
    );
  };
}

/**
 * A field of a form sent with GET, decoded as browsers encode forms (`+` is a space), unlike
 * rawQuery, which keeps the `+` that mail clients send unencoded. The first value wins.
 */
function formField(request: RequestView, name: string): string | undefined {
  const start = request.originalUrl.indexOf('?');
  if (start === -1) return undefined;
  return new URLSearchParams(request.originalUrl.slice(start + 1)).get(name) ?? undefined;
}

function page(status: number, html: string): Answer {
  return { status, contentType: HTML_CONTENT_TYPE, body: html };
}
