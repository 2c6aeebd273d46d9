/**
 * The setup page over HTTP against the real app: both pages, both error pages, the
 * stylesheet and the security headers. Pages are parsed with parse5 (through cheerio),
 * the HTML5 parser browsers implement, and each value is checked against the Mozilla
 * autoconfig answer of the same server, so the page is shown to tell the live config.
 */
import { load, type CheerioAPI } from 'cheerio';
import express from 'express';
import request from 'supertest';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings, loadSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { providerSchema, type ProviderInput } from '../src/model/provider';
import { hostedProvider } from '../src/config/hosted-providers';
import { ProviderDirectory } from '../src/model/provider-directory';
import { SHIPPED_CONFIG, parseXml, shippedApp } from './support/app';
import { HOTMAIL_POP3_ROW, LEAVE_COPY_NOTE } from './support/setup-page-expectations';

/** What a person must read in the Security column for each config-v1.1 socketType. */
const SECURITY_WORDS: Record<string, string> = { SSL: 'SSL/TLS from the start', STARTTLS: 'STARTTLS', plain: 'none' };

type Row = Record<string, string>;

/** A server table as rows of column name → cell text, read through the header cells. */
function tableRows($: CheerioAPI, id: string): Row[] {
  const headers = $(`table#${id} thead th`)
    .map((_, th) => $(th).text().trim())
    .get();
  return $(`table#${id} tbody tr`)
    .toArray()
    .map((tr) =>
      Object.fromEntries(
        $(tr)
          .children('td')
          .toArray()
          .map((td, index) => [headers[index] ?? `column ${index}`, $(td).text().replace(/\s+/g, ' ').trim()]),
      ),
    );
}

async function getPage(app: express.Express, url: string, status: number) {
  const res = await request(app).get(url).expect(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  return { res, $: load(res.text) };
}

describe('GET /: the form', () => {
  test('asks for an address with a labelled field, submitting to /setup with GET', async () => {
    const app = await shippedApp();
    const { $ } = await getPage(app, '/', 200);
    expect($('html').attr('lang')).toBe('en');
    expect($('meta[name=viewport]').attr('content')).toContain('width=device-width');
    expect($('h1').text()).toBe('Mail settings for your address');
    const form = $('form');
    expect(form.attr('method')).toBe('get');
    expect(new URL(form.attr('action') ?? '', 'http://host/').pathname).toBe('/setup');
    const input = form.find('input#email');
    expect(input.attr('name')).toBe('email');
    expect($('label[for=email]').text()).toBe('Email address');
    expect(input.attr('aria-invalid')).toBeUndefined();
    expect($('script')).toHaveLength(0);
    expect($('[style]')).toHaveLength(0);
  });

  test('links a stylesheet that is served as CSS, under a CSP without inline styles or scripts', async () => {
    const app = await shippedApp();
    const { res, $ } = await getPage(app, '/', 200);
    const csp = res.headers['content-security-policy'] as string;
    const directives = new Map(csp.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.has('script-src')).toBe(false); // falls back to default-src 'none'
    expect(csp).not.toContain('unsafe-inline');
    const stylesheet = new URL($('link[rel=stylesheet]').attr('href') ?? '', 'http://host/setup').pathname;
    const css = await request(app).get(stylesheet).expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toContain('.servers');
    // Cached for an hour by the browser, then revalidated without the body.
    expect(css.headers['cache-control']).toBe('public, max-age=3600');
    await request(app).get(stylesheet).set('If-None-Match', css.headers.etag!).expect(304);
    const icon = new URL($('link[rel=icon]').attr('href') ?? '', 'http://host/setup').pathname;
    expect((await request(app).get(icon).expect(200)).headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  test('other methods are refused with 405', async () => {
    const app = await shippedApp();
    const res = await request(app).post('/setup').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /setup?email=: the settings', () => {
  test('shows incoming and outgoing servers in preference order, as the autoconfig answer has them', async () => {
    const app = await shippedApp();
    const address = 'fred+tag@hotmail.com';
    const { res, $ } = await getPage(app, `/setup?email=${encodeURIComponent(address)}`, 200);
    // It names a person's address: no cache keeps it, and nothing revalidates it.
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers.etag).toBeUndefined();
    expect($('h1').text()).toBe(`Mail settings for ${address}`);

    const xml = await request(app).get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(address)}`).expect(200);
    const provider = parseXml(xml.text).clientConfig.emailProvider;
    for (const [id, servers] of [['incoming', provider.incomingServer], ['outgoing', provider.outgoingServer]] as const) {
      const rows = tableRows($, id);
      expect(rows).toHaveLength(servers.length);
      servers.forEach((server: any, index: number) => {
        const row = rows[index] as Row;
        expect(row.Type).toBe(String(server['@type']).toUpperCase());
        expect(row.Server).toBe(server.hostname);
        expect(row.Port).toBe(server.port);
        expect(row.Security).toBe(SECURITY_WORDS[server.socketType]);
        expect(row['User name']).toBe(String(server.username).replace('%EMAILADDRESS%', address));
      });
    }
  });

  test('says the Hotmail settings in the words of the hand-written help pages', async () => {
    const app = await shippedApp();
    const { $ } = await getPage(app, '/setup?email=fred%40hotmail.com', 200);
    const [pop3] = tableRows($, 'incoming');
    expect(pop3).toMatchObject(HOTMAIL_POP3_ROW);
    expect(pop3?.Notes).toContain(LEAVE_COPY_NOTE);
    const [submission, port25] = tableRows($, 'outgoing');
    expect(submission).toMatchObject({ Port: '587', Security: 'STARTTLS', Notes: '–' });
    expect(port25?.Port).toBe('25');
    expect(port25?.Notes).toContain('often block port 25');

    const notes = $('section[aria-labelledby=notes]');
    const outlook = notes.find('h3:contains("Outlook") + p + ul li').map((_, li) => $(li).text().replace(/\s+/g, ' ').trim()).get();
    expect(outlook[0]).toMatch(/^POP3 pop3\.live\.com port 995: in Outlook 2007 and later choose encryption “SSL”/);
    expect(outlook[0]).toContain('in Outlook 2003, Outlook Express and Windows Live Mail tick “This server requires a secure connection (SSL)”');
    expect(outlook[0]).toContain('Leave unticked “Require logon using Secure Password Authentication (SPA)”');
    expect(outlook[1]).toMatch(/^SMTP smtp\.live\.com port 587 or 25: in Outlook 2007 and later choose encryption “TLS” or “Auto”/);
    expect(outlook.join('\n')).toContain('“Use same settings as my incoming mail server”');
    expect(outlook.join('\n')).toContain('tick “Leave a copy of messages on the server”');
    expect(notes.find('h3:contains("Thunderbird") + p').text()).toContain('choose POP3 if it asks');

    const help = $('section[aria-labelledby=help] a');
    expect(help.attr('href')).toBe('https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353');
    expect(help.text()).toBe('POP, IMAP and SMTP settings for Outlook.com');
  });

  test('decodes the form the way browsers encode it, and escapes what it reflects', async () => {
    const app = await shippedApp();
    // `&` and `'` are valid in a local part; a browser sends them percent-encoded.
    const address = "o'brien&co@example.com";
    const { res, $ } = await getPage(app, `/setup?email=${encodeURIComponent(address)}`, 200);
    expect(tableRows($, 'incoming')[0]?.['User name']).toBe(address);
    expect(res.text).toContain('o&#39;brien&amp;co@example.com');
    expect(res.text).not.toContain(address);
  });

  test('links the Apple profile, and the link downloads it; without the endpoint it explains instead', async () => {
    const app = await shippedApp();
    const { $ } = await getPage(app, '/setup?email=fred%2Bx%40example.com', 200);
    const href = $('a:contains("Download profile")').attr('href') ?? '';
    const url = new URL(href, 'http://host/setup');
    expect(url.pathname).toBe('/mobileconfig');
    expect(url.searchParams.get('emailaddress')).toBe('fred+x@example.com');
    const profile = await request(app).get(`${url.pathname}${url.search}`).expect(200);
    expect(profile.headers['content-type']).toBe('application/x-apple-aspen-config');

  });

  test('spells out plain connections, other methods, placeholders in host names and enable instructions', async () => {
    const providerDirectory = directoryOf({
      id: 'plain.example',
      displayName: 'Plain & Simple',
      domains: ['plain.example'],
      incoming: [
        { type: 'imap', hostname: 'mail.%EMAILDOMAIN%', socketType: 'STARTTLS', authentication: ['OAuth2', 'password-encrypted'] },
      ],
      outgoing: [{ hostname: 'mail.%EMAILDOMAIN%', port: 25, socketType: 'plain', authentication: 'client-IP-address', restriction: 'client-IP-address' }],
      enable: { visitUrl: 'https://plain.example/settings', instruction: { de: 'IMAP einschalten', en: 'Turn IMAP on in webmail' } },
      webMail: { loginPage: 'https://plain.example/webmail' },
    });
    const app = createApp({ providerDirectory, settings: defaultSettings() });
    const { $ } = await getPage(app, '/setup?email=ann%40plain.example', 200);
    expect($('main > p').first().text()).toContain('Provider: Plain & Simple.');
    const [imap] = tableRows($, 'incoming');
    expect(imap).toMatchObject({ Server: 'mail.plain.example', Port: '143', Security: 'STARTTLS', 'User name': 'ann@plain.example' });
    expect(imap?.Authentication).toBe(
      'OAuth2: sign in on the provider’s web page or else: encrypted password (CRAM-MD5 and similar), SPA/secure password authentication off',
    );
    const [smtp] = tableRows($, 'outgoing');
    expect(smtp).toMatchObject({ Port: '25', Security: 'none', Authentication: 'none: the server recognises your network' });
    expect(smtp?.Notes).toContain('Works only from the provider’s own network.');
    const before = $('section[aria-labelledby=before]');
    expect(before.find('p').first().text()).toBe('Turn IMAP on in webmail');
    expect(before.find('a').attr('href')).toBe('https://plain.example/settings');
    expect($('section[aria-labelledby=help] a').attr('href')).toBe('https://plain.example/webmail');
    expect($('h3:contains("Apple") + p').text()).toContain('on only where the Security column is not “none”');
    expect($('h3:contains("Windows Mail") + ul').text()).not.toContain('requires authentication');
  });
});

test('/setup/ with a trailing slash redirects to /setup, keeping the query, so the relative links resolve', async () => {
  const app = await shippedApp();
  const res = await request(app).get('/setup/?email=fred%2Bx%40example.com').expect(301);
  expect(new URL(res.headers.location!, 'http://host/setup/').toString()).toBe('http://host/setup?email=fred%2Bx%40example.com');
});

describe('errors a person reads', () => {
  test('an invalid address shows the form again with the error beside the field (400)', async () => {
    const app = await shippedApp();
    const typed = '"><script>alert(1)</script>@example.com';
    const { res, $ } = await getPage(app, `/setup?email=${encodeURIComponent(typed)}`, 400);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect($('script')).toHaveLength(0);
    const input = $('input#email');
    expect(input.attr('value')).toBe(typed);
    expect(input.attr('aria-invalid')).toBe('true');
    expect(input.attr('aria-describedby')?.split(' ')).toContain('email-error');
    expect($('#email-error').text()).toBe('This is not an email address: enter it as name@example.com.');
    expect($('title').text()).toMatch(/^Error/);
  });

  test('a missing or empty address asks for one (400)', async () => {
    const app = await shippedApp();
    for (const url of ['/setup', '/setup?email=', '/setup?email=+++']) {
      const { $ } = await getPage(app, url, 400);
      expect($('#email-error').text()).toBe('Enter your email address.');
    }
  });

  test('an unknown domain gets a friendly page with the form (404)', async () => {
    const app = await shippedApp();
    const { $ } = await getPage(app, '/setup?email=fred%40nowhere.example.org', 404);
    expect($('h1').text()).toBe('No mail settings for nowhere.example.org');
    expect($('main p').first().text()).toContain('Check the address for typing errors');
    expect($('input#email').attr('value')).toBe('fred@nowhere.example.org');
  });
});

describe('publicBaseUrl: the autoconfig answer points at the page', () => {
  test('is read from the environment and kept with a trailing slash', async () => {
    const settings = await loadSettings(SHIPPED_CONFIG, { PUBLIC_BASE_URL: 'https://help.example.com/mail' });
    expect(settings.publicBaseUrl).toBe('https://help.example.com/mail/');
    expect(defaultSettings().publicBaseUrl).toBeUndefined();
    expect(() => defaultSettings({ publicBaseUrl: 'ftp://help.example.com/' })).toThrow('http(s) URL');
    expect(() => defaultSettings({ publicBaseUrl: 'https://help.example.com/?a=1' })).toThrow('query');
  });

  test('lists the page first under <documentation>, before the provider’s own links', async () => {
    const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG, { publicBaseUrl: 'https://help.example.com/mail/' });
    const app = createApp({ providerDirectory, settings: defaultSettings() });
    const res = await request(app).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
    const documentation = parseXml(res.text).clientConfig.emailProvider.documentation;
    expect(documentation.map((doc: any) => doc['@url'])).toEqual(['https://help.example.com/mail/', 'https://example.com/help/mail']);
    expect(documentation[0].descr[0]).toEqual({ '@lang': 'en', '#text': 'Settings for every mail program, step by step' });

    const plain = await request(await shippedApp()).get('/mail/config-v1.1.xml?emailaddress=fred%40example.com');
    expect(parseXml(plain.text).clientConfig.emailProvider.documentation).toHaveLength(1);
  });
});

function directoryOf(input?: ProviderInput): ProviderDirectory {
  const definition = providerSchema.parse(
    input ?? {
      id: 'example.com',
      domains: ['example.com'],
      incoming: [{ type: 'imap', hostname: 'imap.example.com', socketType: 'SSL' }],
      outgoing: [{ hostname: 'smtp.example.com', socketType: 'SSL' }],
    },
  );
  return new ProviderDirectory([hostedProvider({ definition, file: 'test' })]);
}
