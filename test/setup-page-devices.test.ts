/**
 * The setup page per visitor: on an iPhone, iPad or Mac the profile download comes first
 * and prominently; elsewhere a QR code (inline SVG, decoded here with jsQR after drawing
 * it into pixels) carries the profile link to the phone; the CSP stays script-free; the
 * page says which password to use, and what it tells Apple users matches the profile.
 */
import { load, type CheerioAPI } from 'cheerio';
import jsQR from 'jsqr';
import request from 'supertest';
import { shippedApp } from './support/app';
import { appWithProviders, download } from './support/formats';
import { parsePlist as readPlist } from './support/formats';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let app: Awaited<ReturnType<typeof shippedApp>>;
beforeAll(async () => {
  app = await shippedApp();
});

const page = async (userAgent: string, email = 'jane@live.de', target = app) => {
  const res = await request(target).get('/setup').query({ email }).set('Host', 'setup.example.net').set('User-Agent', userAgent).expect(200);
  return { res, $: load(res.text) };
};

/** Position of an element in document order. */
const position = ($: CheerioAPI, selector: string) => $('*').toArray().indexOf($(selector).first().get(0)!);

/** Draws the SVG's unit squares into an RGBA image and decodes it as a phone camera would. */
function decodeQr(svg: string): string | undefined {
  const $ = load(svg, { xml: true });
  const extent = Number($('svg').attr('viewBox')!.split(' ')[2]);
  const scale = 6;
  const width = extent * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  for (const [, x, y] of ($('path').attr('d') ?? '').matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy += 1) {
      for (let dx = 0; dx < scale; dx += 1) {
        const offset = ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 4;
        pixels[offset] = pixels[offset + 1] = pixels[offset + 2] = 0;
      }
    }
  }
  return jsQR(pixels, width, width)?.data;
}

describe('iPhone, iPad, Mac: the profile first', () => {
  test('a prominent download link comes before the server tables and every program’s notes, and downloads the profile', async () => {
    const { $ } = await page(IPHONE);
    const button = $('a.profile-button');
    expect(button.text()).toBe('Download profile');
    expect(position($, 'a.profile-button')).toBeLessThan(position($, 'table#incoming'));
    expect(position($, 'a.profile-button')).toBeLessThan(position($, 'h3'));
    const profile = await download(app, `/${button.attr('href')}`, 'setup.example.net').expect(200);
    expect(profile.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(readPlist(profile.body).PayloadContent[0].EmailAddress).toBe('jane@live.de');
    // The phone is where the profile goes: no QR code to scan with itself.
    expect($('svg.qr-code')).toHaveLength(0);
  });

  test.each([
    ['iPad asking for the desktop page', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'],
    ['iPod', 'Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15'],
  ])('%s counts as an Apple device', async (_, userAgent) => {
    expect((await page(userAgent)).$('a.profile-button')).toHaveLength(1);
  });
});

describe('other visitors: a QR code of the profile link', () => {
  test('the code decodes to the absolute profile URL, which downloads the profile', async () => {
    const { $ } = await page(WINDOWS);
    expect($('a.profile-button')).toHaveLength(0);
    const svg = $.html($('figure.qr svg'));
    const decoded = decodeQr(svg);
    expect(decoded).toBe('http://setup.example.net/mobileconfig?emailaddress=jane%40live.de');
    const url = new URL(decoded!);
    await download(app, `${url.pathname}${url.search}`, url.host).expect(200);
  });

  test('server-side SVG only: no script, no inline style, the CSP unchanged', async () => {
    const { res, $ } = await page(WINDOWS);
    expect($('script')).toHaveLength(0);
    expect($('[style]')).toHaveLength(0);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';style-src 'self';img-src 'self';form-action 'self';base-uri 'none';frame-ancestors 'none'",
    );
  });
});

describe('which password', () => {
  const text = ($: CheerioAPI) => $('section.password').text().replace(/\s+/g, ' ');
  const base = {
    id: 'pw.example',
    domains: ['pw.example'],
    outgoing: [{ type: 'smtp' as const, hostname: 'smtp.pw.example', socketType: 'SSL' as const }],
  };

  test('a password provider: the mailbox password', async () => {
    const { $ } = await page(WINDOWS);
    expect(text($)).toContain('Use your mailbox password');
    expect(text($)).not.toContain('app password');
  });

  test('OAuth2 only: an app password for programs that cannot do OAuth2', async () => {
    const oauth = appWithProviders([
      { ...base, incoming: [{ type: 'imap', hostname: 'imap.pw.example', socketType: 'SSL', authentication: ['OAuth2'] }], outgoing: [{ ...base.outgoing[0]!, authentication: ['OAuth2'] }] },
    ]);
    const { $ } = await page(IPHONE, 'ann@pw.example', oauth);
    expect(text($)).toContain('need an app password');
    expect(text($)).toContain('your mailbox password will not work there');
  });

  test('OAuth2 with a password fallback: the mailbox password for programs without OAuth2', async () => {
    const both = appWithProviders([
      { ...base, incoming: [{ type: 'imap', hostname: 'imap.pw.example', socketType: 'SSL', authentication: ['OAuth2', 'password-cleartext'] }] },
    ]);
    const { $ } = await page(WINDOWS, 'ann@pw.example', both);
    expect(text($)).toContain('Others use your mailbox password');
  });
});

test('what the page tells Apple users is what the profile does: “Use SSL” on for a STARTTLS server', async () => {
  const { $ } = await page(WINDOWS);
  expect($('table#outgoing tbody tr').first().find('td[data-label="Security"]').text().trim()).toBe('STARTTLS');
  expect($('main').text().replace(/\s+/g, ' ')).toContain('turn “Use SSL” on.');
  const profile = readPlist((await download(app, '/mobileconfig?emailaddress=jane%40live.de').expect(200)).body).PayloadContent[0];
  expect([profile.OutgoingMailServerPortNumber, profile.OutgoingMailServerUseSSL]).toEqual([587, true]);
});
