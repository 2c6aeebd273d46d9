/**
 * The setup page for people: every setting of an address in plain words, with
 * notes for the programs that do not discover them by themselves (Outlook 2003, Windows
 * Mail, phone apps, printers and scanners). Pure: definition + address → HTML document.
 * All markup goes through `html`, which escapes every interpolated value; the pages link
 * one stylesheet and carry no script, so a strict CSP holds (see http/setup-page.ts).
 * Links are relative, so the pages also work when a proxy serves them under a prefix.
 */
import { substitutePlaceholders, type EmailAddress } from '../../model/address';
import {
  AUTHENTICATION_CAPABILITIES,
  SOCKET_CAPABILITIES,
  firstExpressible,
  usesMailboxPassword,
  type OutlookEncryption,
} from '../../model/client-capabilities';
import { readableName } from '../../model/display-name';
import {
  type AuthenticationMethod,
  type LocalisedText,
  type MailServer,
  type ProviderDefinition,
} from '../../model/provider';
import { SafeHtml, html } from './html-template';
import { qrCodeSvg } from './qr-svg';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';
/** The name of the form's one field. */
export const EMAIL_FIELD = 'email';

/**
 * Where the pages link, relative to the pages so they also work under a proxy's path
 * prefix: the stylesheet and icon (content in assets.ts) and the form's target.
 * The server's route table says where they are.
 */
export interface PageLinks {
  readonly stylesheet: string;
  readonly icon: string;
  readonly form: string;
}

// ---------------------------------------------------------------------------------------
// Plain words: the capability table's words (model/client-capabilities.ts), used by the
// server tables and by every note.

/** Outlook's encryption choice per POX `Encryption` value, named as its dialogs name it. */
const OUTLOOK_ENCRYPTION_CHOICE: Record<OutlookEncryption, string> = {
  SSL: '“SSL” (“SSL/TLS” in newer versions)',
  TLS: '“TLS” or “Auto” (“STARTTLS” in newer versions)',
  None: '“None”',
};

/** A method in words, with Outlook's SPA switch spelled out for methods that log in. */
export function authenticationInWords(method: AuthenticationMethod): string {
  const { words, mailboxPassword, outlook } = AUTHENTICATION_CAPABILITIES[method];
  if (!mailboxPassword || !outlook) return words;
  return `${words}, SPA/secure password authentication ${outlook.spa ? 'on' : 'off'}`;
}

const SERVER_TYPE_NAMES: Record<MailServer['type'], string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

/** Submission port 25 is the one ISPs, hotels and hotspots block. */
const BLOCKED_PORT = 25;

// ---------------------------------------------------------------------------------------
// Pages

export interface SetupFormInput {
  /** What the person typed, shown again beside the error. */
  readonly value?: string;
  readonly error?: string;
}

export function renderSetupForm(links: PageLinks, input: SetupFormInput = {}): string {
  return page(links, {
    title: input.error ? 'Error: mail settings for your address' : 'Mail settings for your address',
    body: html`
      <h1>Mail settings for your address</h1>
      <p>Enter your email address to see how to set up any mail program: servers, ports,
      security and the notes for Outlook, Thunderbird, Apple Mail and others.</p>
      ${addressForm(links, input)}`,
  });
}

export interface SetupPageInput {
  readonly provider: ProviderDefinition;
  readonly address: EmailAddress;
  /**
   * Path of the Apple configuration profile endpoint (`/mobileconfig`), when the server
   * has one; the page then offers a "Download profile" link for the address.
   */
  readonly appleProfilePath?: string;
  /** Whether the visitor's browser runs on an iPhone, iPad or Mac (isAppleDevice): the profile then comes first. */
  readonly appleDevice?: boolean;
  /** The page's own absolute URL, to make the profile link absolute for the QR code shown to other visitors. */
  readonly pageUrl?: string;
  readonly links: PageLinks;
}

/**
 * iPhone, iPod, iPad and Mac browsers. iPadOS asks for desktop pages as a Mac
 * (“Macintosh”), which is right here too: both install profiles.
 */
export function isAppleDevice(userAgent: string | undefined): boolean {
  return /\b(iPhone|iPad|iPod|Macintosh)\b/.test(userAgent ?? '');
}

export function renderSetupPage({ provider, address, appleProfilePath, appleDevice = false, pageUrl, links }: SetupPageInput): string {
  const profileLink = appleProfilePath === undefined ? undefined : profileHref(appleProfilePath, address);
  const incoming = provider.incoming.map((server) => serverRow(server, address, provider.inputFields));
  const outgoing = provider.outgoing.map((server) => serverRow(server, address, provider.inputFields));
  return page(links, {
    title: `Mail settings for ${address.address}`,
    body: html`
      <h1>Mail settings for <span class="address">${address.address}</span></h1>
      <p>Provider: ${readableName(provider.displayName, address, address.domain)}. These settings are generated from the live
      configuration of this server.</p>
      ${appleDevice && profileLink !== undefined && profileFirst(profileLink, provider)}
      ${passwordSection(provider)}
      ${enableSection(provider)}
      ${serverTable('incoming', 'Incoming mail', incoming)}
      ${serverTable('outgoing', 'Outgoing mail', outgoing)}
      <section aria-labelledby="notes">
        <h2 id="notes">Notes for your mail program</h2>
        ${thunderbirdNotes(provider)}
        ${outlookNotes(provider, address)}
        ${appleNotes(provider, profileLink, appleDevice ? undefined : absoluteUrl(profileLink, pageUrl))}
        ${genericNotes(provider)}
      </section>
      ${helpSection(provider)}
      <section aria-labelledby="another">
        <h2 id="another">Another address</h2>
        ${addressForm(links, {})}
      </section>`,
  });
}

export function renderUnknownDomainPage(address: EmailAddress, links: PageLinks): string {
  return page(links, {
    title: `No mail settings for ${address.domain}`,
    body: html`
      <h1>No mail settings for <span class="address">${address.domain}</span></h1>
      <p>This server does not know the mail settings of <strong>${address.domain}</strong>.
      Check the address for typing errors, or ask the provider of your mailbox for its settings.</p>
      ${addressForm(links, { value: address.address })}`,
  });
}

/** The page for an address whose domain cannot be looked up right now (the domain database is unreachable). */
export function renderDomainsUnavailablePage(address: EmailAddress, links: PageLinks): string {
  return page(links, {
    title: 'Mail settings unavailable for a moment',
    body: html`
      <h1>Mail settings unavailable for a moment</h1>
      <p>The settings of <strong>${address.domain}</strong> cannot be looked up right now.
      Please try again in a minute.</p>
      ${addressForm(links, { value: address.address })}`,
  });
}

/** The entry for the autoconfig document's `<documentation>` list when the page has a public URL. */
export function setupPageDocumentation(publicBaseUrl: string): ProviderDefinition['documentation'][number] {
  return { url: publicBaseUrl, descr: [{ lang: 'en', text: 'Settings for every mail program, step by step' }] };
}

function page(links: PageLinks, { title, body }: { title: string; body: SafeHtml }): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${links.stylesheet}">
<link rel="icon" href="${links.icon}" type="image/svg+xml">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.markup;
}

/**
 * A plain text field rather than type=email: browsers rewrite an internationalised domain
 * in an email field to punycode and refuse non-ASCII local parts, which we accept. The
 * server checks the address and answers with the error beside the field.
 */
function addressForm(links: PageLinks, { value, error }: SetupFormInput): SafeHtml {
  const describedBy = error ? 'email-error email-hint' : 'email-hint';
  return html`
    <form method="get" action="${links.form}" class="address-form">
      <label for="email">Email address</label>
      <p id="email-hint" class="hint">For example name@example.com</p>
      ${error && html`<p id="email-error" class="error">${error}</p>`}
      <div class="field-row">
        <input id="email" name="${EMAIL_FIELD}" type="text" inputmode="email" autocomplete="email"
          autocapitalize="off" spellcheck="false" required value="${value ?? ''}"
          aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''}>
        <button type="submit">Show settings</button>
      </div>
    </form>`;
}

// ---------------------------------------------------------------------------------------
// Server tables

interface ServerRow {
  readonly server: MailServer;
  readonly hostname: string;
  readonly username: string;
  readonly notes: readonly string[];
}

function serverRow(server: MailServer, address: EmailAddress, inputFields: ProviderDefinition['inputFields']): ServerRow {
  return {
    server,
    hostname: substitutePlaceholders(server.hostname, address),
    username: readableLogin(substitutePlaceholders(server.username, address), inputFields),
    notes: serverNotes(server),
  };
}

/**
 * A login with a placeholder the address cannot fill (`%USERNAME%` in some ISPDB files):
 * the person's own user name at the provider, named by the provider's input field when it
 * has one, never the raw placeholder.
 */
function readableLogin(login: string, inputFields: ProviderDefinition['inputFields']): string {
  return login.replaceAll(/%([A-Za-z0-9_-]+)%/g, (_, key: string) => {
    const field = inputFields.find((candidate) => candidate.key.toUpperCase() === key.toUpperCase());
    return `‹${field?.label ?? 'your user name at the provider'}›`;
  });
}

function serverNotes(server: MailServer): string[] {
  const notes: string[] = [];
  if (server.type === 'pop3' && server.pop3) {
    const { leaveMessagesOnServer, daysToLeaveMessagesOnServer } = server.pop3;
    if (leaveMessagesOnServer === true) {
      notes.push(
        'Leave a copy of messages on the server: otherwise POP3 removes them from the server, and they disappear from the web inbox and your other devices.',
      );
    }
    if (leaveMessagesOnServer === false) notes.push('Messages may be removed from the server once downloaded.');
    if (daysToLeaveMessagesOnServer !== undefined && leaveMessagesOnServer !== false) {
      notes.push(`Remove them from the server after ${daysToLeaveMessagesOnServer} days.`);
    }
  }
  if (server.type === 'smtp') {
    if (server.port === BLOCKED_PORT) {
      notes.push('Internet providers, hotels and hotspots often block port 25: use it only when the others fail.');
    }
    if (server.restriction === 'client-IP-address') notes.push('Works only from the provider’s own network.');
  }
  return notes;
}

const COLUMNS = ['Type', 'Server', 'Port', 'Security', 'User name', 'Authentication', 'Notes'] as const;

/**
 * One row per server in preference order. Cells carry their column name so that the
 * stylesheet can stack them on narrow screens; the explicit roles keep the table
 * semantics that some browsers drop once table parts are restyled as blocks.
 */
function serverTable(id: string, heading: string, rows: readonly ServerRow[]): SafeHtml {
  const headingId = `${id}-heading`;
  return html`
    <section aria-labelledby="${headingId}">
      <h2 id="${headingId}">${heading}</h2>
      <p>In order of preference: use the first one your program offers.</p>
      <table id="${id}" class="servers" role="table" aria-labelledby="${headingId}">
        <thead role="rowgroup"><tr role="row">${COLUMNS.map((column) => html`<th scope="col" role="columnheader">${column}</th>`)}</tr></thead>
        <tbody role="rowgroup">${rows.map(
          (row) => html`
          <tr role="row">
            ${cell('Type', SERVER_TYPE_NAMES[row.server.type])}
            ${cell('Server', html`<code>${row.hostname}</code>`)}
            ${cell('Port', row.server.port)}
            ${cell('Security', SOCKET_CAPABILITIES[row.server.socketType].words)}
            ${cell('User name', html`<code>${row.username}</code>`)}
            ${cell('Authentication', alternatives(row.server.authentication.map(authenticationInWords)))}
            ${cell('Notes', row.notes.length === 0 ? '–' : row.notes.map((note) => html`<p>${note}</p>
`))}
          </tr>`,
        )}
        </tbody>
      </table>
    </section>`;
}

function cell(column: (typeof COLUMNS)[number], content: SafeHtml | string | number | readonly SafeHtml[]): SafeHtml {
  // One wrapper, so the stacked layout has exactly two grid items per cell: label and value.
  return html`<td role="cell" data-label="${column}"><div>${content}</div></td>`;
}

/** Methods in preference order: the first, then what to pick when the program lacks it. */
function alternatives(words: readonly string[]): SafeHtml {
  const [first, ...rest] = words;
  // Line breaks in the markup too, so the cell's text content keeps words apart.
  return html`${first}${rest.map((text) => html`<br>
<span class="alternative">or else: ${text}</span>`)}`;
}

// ---------------------------------------------------------------------------------------
// Notes per program

function enableSection(provider: ProviderDefinition): SafeHtml | undefined {
  if (!provider.enable) return undefined;
  const instruction = inPreferredLanguage(provider.enable.instruction);
  const visitUrl = provider.enable.visitUrl;
  return html`
    <section aria-labelledby="before" class="before">
      <h2 id="before">Before you start</h2>
      ${instruction && html`<p>${instruction}</p>`}
      ${visitUrl && html`<p><a href="${visitUrl}">Open the page where you turn this on</a></p>`}
    </section>`;
}

function thunderbirdNotes(provider: ProviderDefinition): SafeHtml {
  const first = provider.incoming[0];
  return html`
    <h3>Thunderbird</h3>
    <p>Thunderbird normally finds these settings by itself (so do Evolution, KMail, FairEmail and
    Delta Chat): enter your name, address and password in the account setup${
      first && html`, and choose ${SERVER_TYPE_NAMES[first.type]} if it asks`
    }. Only if it finds nothing, choose manual configuration and enter the values from the tables.</p>`;
}

function outlookNotes(provider: ProviderDefinition, address: EmailAddress): SafeHtml {
  const usable = [...provider.incoming, ...provider.outgoing].filter((server) => outlookAuthentication(server) !== undefined);
  if (usable.length === 0) {
    return html`
      <h3>Outlook, Outlook Express and Windows Live Mail</h3>
      <p>These programs cannot sign in to these servers: use another program.</p>`;
  }
  const firstIncoming = provider.incoming.find((server) => usable.includes(server));
  const firstOutgoing = provider.outgoing.find((server) => usable.includes(server));
  const outgoingLogin = firstOutgoing && outlookAuthentication(firstOutgoing);
  const sameLogin =
    firstIncoming && firstOutgoing && substitutePlaceholders(firstIncoming.username, address) === substitutePlaceholders(firstOutgoing.username, address);
  return html`
    <h3>Outlook, Outlook Express and Windows Live Mail</h3>
    <p>If Outlook does not find the settings by itself, choose manual setup, enter the values
    from the tables, and then:</p>
    <ul>
      ${outlookChoices(usable, address).map(
        ({ type, hostname, ports, ssl, encryption, spa }) => html`
        <li>${type} <code>${hostname}</code> port ${ports.join(' or ')}:
          in Outlook 2007 and later choose encryption ${OUTLOOK_ENCRYPTION_CHOICE[encryption]};
          in Outlook 2003, Outlook Express and Windows Live Mail ${ssl ? 'tick' : 'leave unticked'}
          “This server requires a secure connection (SSL)”.
          ${spa ? 'Tick' : 'Leave unticked'} “Require logon using Secure Password Authentication (SPA)”.</li>`,
      )}
      ${outgoingLogin?.authRequired &&
      html`<li>Under More Settings → Outgoing Server, tick “My outgoing server (SMTP) requires authentication”${
        sameLogin ? html` and choose “Use same settings as my incoming mail server”` : html` and enter the outgoing user name`
      }.</li>`}
      ${firstIncoming?.type === 'pop3' &&
      firstIncoming.pop3?.leaveMessagesOnServer === true &&
      html`<li>Under More Settings → Advanced, tick “Leave a copy of messages on the server”.</li>`}
    </ul>`;
}

interface OutlookChoice {
  readonly type: string;
  readonly hostname: string;
  readonly ports: number[];
  readonly ssl: boolean;
  readonly encryption: OutlookEncryption;
  readonly spa: boolean;
}

/** What to pick in Outlook per server; servers that differ only in port share one line. */
function outlookChoices(servers: readonly MailServer[], address: EmailAddress): OutlookChoice[] {
  const choices = new Map<string, OutlookChoice>();
  for (const server of servers) {
    const choice = {
      type: SERVER_TYPE_NAMES[server.type],
      hostname: substitutePlaceholders(server.hostname, address),
      ...SOCKET_CAPABILITIES[server.socketType].outlook,
      spa: outlookAuthentication(server)?.spa ?? false,
    };
    const key = JSON.stringify(choice);
    const known = choices.get(key);
    if (known) known.ports.push(server.port);
    else choices.set(key, { ...choice, ports: [server.port] });
  }
  return [...choices.values()];
}

function outlookAuthentication(server: MailServer) {
  return firstExpressible(server.authentication, 'outlook')?.value;
}

/** The profile link, relative to the pages like every other link. */
function profileHref(appleProfilePath: string, address: EmailAddress): string {
  return `${appleProfilePath.replace(/^\/+/, '')}?emailaddress=${encodeURIComponent(address.address)}`;
}

function absoluteUrl(link: string | undefined, base: string | undefined): string | undefined {
  if (link === undefined || base === undefined || !URL.canParse(link, base)) return undefined;
  return new URL(link, base).href;
}

/** For visitors on an iPhone, iPad or Mac: the profile, before everything else. */
function profileFirst(profileLink: string, provider: ProviderDefinition): SafeHtml {
  return html`
    <section aria-labelledby="profile-first" class="profile-first">
      <h2 id="profile-first">Set up Mail on this iPhone, iPad or Mac</h2>
      <p><a href="${profileLink}" class="profile-button">Download profile</a></p>
      <p>Then install it: on iPhone and iPad in Settings → “Profile Downloaded”; on a Mac in
      System Settings → Privacy &amp; Security → Profiles. ${passwordPrompt(provider)}</p>
    </section>`;
}

/** What the profile's password prompt wants, in the capability table's terms. */
function passwordPrompt(provider: ProviderDefinition): string {
  return needsAppPassword(provider)
    ? 'When it asks for a password, enter an app password (see “Which password”).'
    : 'When it asks for a password, enter your mailbox password.';
}

/** Whether a server admits only OAuth2 (no mailbox password), which programs without OAuth2 meet with an app password. */
function needsAppPassword(provider: ProviderDefinition): boolean {
  return [...provider.incoming, ...provider.outgoing].some(
    (server) => server.authentication.includes('OAuth2') && !usesMailboxPassword(server.authentication),
  );
}

function passwordSection(provider: ProviderDefinition): SafeHtml {
  const servers = [...provider.incoming, ...provider.outgoing];
  const oauth = servers.some((server) => server.authentication.includes('OAuth2'));
  return html`
    <section aria-labelledby="password" class="password">
      <h2 id="password">Which password</h2>
      ${
        !oauth
          ? html`<p>Use your mailbox password (the one you sign in to webmail with) wherever a program asks for a password.</p>`
          : needsAppPassword(provider)
            ? html`<p>This provider signs you in on its own web page (OAuth2). Programs that can do that open the page
              and need no password here. Programs that cannot (Outlook’s manual setup, Apple Mail with the profile, phone apps,
              printers) need an <strong>app password</strong>: create one in the security settings of your account at the
              provider and enter it where they ask for a password; your mailbox password will not work there.</p>`
            : html`<p>Programs that can sign in on the provider’s web page (OAuth2) open that page and need no password
              here. Others use your mailbox password; if the provider asks for an app password (for example after you turned on two-step verification),
              create one in the security settings of your account and use it instead.</p>`
      }
    </section>`;
}

function appleNotes(provider: ProviderDefinition, profileLink: string | undefined, qrTarget: string | undefined): SafeHtml {
  const useSsl = [...provider.incoming, ...provider.outgoing].every((server) => SOCKET_CAPABILITIES[server.socketType].appleUseSsl);
  const manual = html`turn “Use SSL” ${useSsl ? 'on' : 'on only where the Security column is not “none”'}.`;
  if (profileLink === undefined) {
    return html`
      <h3>Apple Mail (iPhone, iPad, Mac)</h3>
      <p>Add an account with “Other” → “Add Mail Account” and enter your name, address and
      password. If Mail does not find the settings, enter the values from the tables and ${manual}</p>`;
  }
  return html`
    <h3>Apple Mail (iPhone, iPad, Mac)</h3>
    <p><a href="${profileLink}" class="profile-link">Download profile</a>: open it in Safari, then install it in
    Settings (iPhone, iPad: “Profile Downloaded”; Mac: System Settings → Privacy &amp; Security → Profiles).
    ${passwordPrompt(provider)} To enter the settings by hand instead, ${manual}</p>
    ${
      qrTarget !== undefined &&
      html`<figure class="qr">
      ${qrCodeSvg(qrTarget, 'QR code of the profile link')}
      <figcaption>On an iPhone or iPad, point the camera at this code to download the profile there.</figcaption>
    </figure>`
    }`;
}

function genericNotes(provider: ProviderDefinition): SafeHtml {
  const servers = [...provider.incoming, ...provider.outgoing];
  const securities = [...new Set(servers.map((server) => server.socketType))];
  const outgoingNeedsLogin = provider.outgoing.some((server) => usesMailboxPassword(server.authentication));
  return html`
    <h3>Windows Mail, phone apps, printers, scanners and other programs</h3>
    <ul>
      <li>Enter the values from the tables, using the first server in each table that the program offers.</li>
      ${securities.map(
        (socketType) =>
          html`<li>“${SOCKET_CAPABILITIES[socketType].words}” may be called ${SOCKET_CAPABILITIES[socketType].otherNames}.</li>`,
      )}
      ${outgoingNeedsLogin &&
      html`<li>The outgoing server needs your user name and password: tick “My server requires authentication” or the like.</li>`}
    </ul>`;
}

function helpSection(provider: ProviderDefinition): SafeHtml | undefined {
  const links = provider.documentation.map((doc) => ({ url: doc.url, text: inPreferredLanguage(doc.descr) ?? doc.url }));
  const webmail = provider.webMail?.loginPage;
  if (links.length === 0 && !webmail) return undefined;
  return html`
    <section aria-labelledby="help">
      <h2 id="help">More help</h2>
      <ul>
        ${links.map((link) => html`<li><a href="${link.url}">${link.text}</a></li>`)}
        ${webmail && html`<li><a href="${webmail}">Webmail</a></li>`}
      </ul>
    </section>`;
}

/** English when the provider wrote it, else the text without a language, else the first. */
function inPreferredLanguage(texts: LocalisedText | undefined): string | undefined {
  if (!texts) return undefined;
  return (texts.find((text) => text.lang === 'en') ?? texts.find((text) => !text.lang) ?? texts[0])?.text;
}
