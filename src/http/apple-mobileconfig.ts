/**
 * Apple configuration profile downloads (protocols.md §4.4): `/mobileconfig` and any
 * `/<name>.mobileconfig`, with the address in `emailaddress` or `email`. A profile is per
 * person, so the address is required; nothing fetches this URL by itself, people tap a
 * link (fixtures README quirk 18), and the User-Agent decides nothing (iPadOS sends a
 * desktop one).
 */
import { Router } from 'express';
import type { SigningIdentity } from '../config/signing';
import { MOBILECONFIG_CONTENT_TYPE, mobileconfigFileName, renderAppleProfile } from '../formats/apple';
import { signCms } from '../formats/cms';
import { parseEmailAddress } from '../model/address';
import type { Registry } from '../registry';
import { sendTextError } from './errors';
import { rawQuery } from './request';

export const MOBILECONFIG_PATHS = ['/mobileconfig', /^\/[^/]+\.mobileconfig$/i];

export function appleMobileconfigRouter(registry: () => Registry, signing: SigningIdentity | undefined): Router {
  const router = Router();
  router.get(MOBILECONFIG_PATHS, async (req, res) => {
    const query = rawQuery(req);
    const given = query.has('emailaddress') ? query.get('emailaddress') : query.get('email');
    if (given === undefined || given === '') {
      return sendTextError(res, 400, 'An email address is required, for example ?emailaddress=you@example.com');
    }
    const address = given === null ? undefined : parseEmailAddress(given);
    if (!address) return sendTextError(res, 400, 'Invalid email address');
    const found = registry().find(address.domainKey);
    if (!found) return sendTextError(res, 404, 'No configuration for this domain');
    const profile = renderAppleProfile(found.provider.definition, address);
    if (profile === undefined) return sendTextError(res, 404, 'No IMAP or POP3 and SMTP settings that Apple Mail can use');
    const unsigned = Buffer.from(profile, 'utf8');
    // A Buffer, so Express adds no charset parameter to Apple's media type.
    res
      .status(200)
      .set('Content-Type', MOBILECONFIG_CONTENT_TYPE)
      .set('Content-Disposition', `attachment; filename="${mobileconfigFileName(address.domainKey)}"`)
      // The profile names a person: not for shared caches.
      .set('Cache-Control', 'private, no-store')
      .send(signing ? await signCms(unsigned, signing) : unsigned);
  });
  router.all(MOBILECONFIG_PATHS, (_req, res) => {
    res.set('Allow', 'GET, HEAD');
    sendTextError(res, 405, 'Method not allowed');
  });
  return router;
}
