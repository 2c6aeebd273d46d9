/**
 * The setup page end to end in a real browser: Chromium (the system's, else the one the
 * @sparticuz/chromium devDependency ships) driven by playwright-core against the real app
 * on a real socket. A person types an address, submits, and reads
 * the tables; the page must raise no console error and no CSP violation, and must fit a
 * phone's width. Screenshots go to artifacts/screenshots/ (git-ignored). When chromium
 * cannot start, every test here fails with the reason: this test is never skipped.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, shippedApp } from './support/app';
import { launchChromium } from './support/browser';
import { HOTMAIL_POP3_ROW, LEAVE_COPY_NOTE } from './support/setup-page-expectations';

// The callbacks given to page.evaluate run in the browser. The project compiles without the
// DOM library (it is Node code), so the few browser globals they use are declared here,
// for this file only.
declare const window: { innerWidth: number; cspViolations: string[] };
declare const document: {
  documentElement: { scrollWidth: number };
  addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
};
declare function getComputedStyle(element: unknown): { display: string; borderCollapse: string };

const SCREENSHOTS = path.join(REPO_ROOT, 'artifacts', 'screenshots');
const PHONE = { width: 390, height: 844 };

jest.setTimeout(60_000);

let server: Server;
let baseUrl: string;
let browser: Browser | undefined;

beforeAll(async () => {
  const app = await shippedApp();
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await mkdir(SCREENSHOTS, { recursive: true });
  ({ browser } = await launchChromium());
  // Generous: the first run on a machine unpacks the packaged Chromium (about 200 MB) first.
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** Everything the page reports that a person would never see: console errors, script errors, CSP violations. */
interface PageProblems {
  readonly console: { text: string; url: string }[];
  /** Pages navigated to: their status is checked by each test, so Chromium's note about a 4xx is expected. */
  readonly documents: Set<string>;
  readonly cspViolations: () => Promise<string[]>;
}

async function openPage(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: PageProblems }> {
  if (!browser) throw new Error('the browser did not start (see the beforeAll failure)');
  const page = await browser.newPage({ viewport });
  const consoleProblems: PageProblems['console'] = [];
  const documents = new Set<string>();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      consoleProblems.push({ text: `${message.type()}: ${message.text()}`, url: message.location().url });
    }
  });
  page.on('pageerror', (error) => consoleProblems.push({ text: `page error: ${error.message}`, url: page.url() }));
  page.on('dialog', (dialog) => {
    consoleProblems.push({ text: `dialog: ${dialog.message()}`, url: page.url() });
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    if (request.isNavigationRequest()) documents.add(request.url());
  });
  // Injected by the browser itself, so the page's own CSP (no scripts) does not block it.
  await page.addInitScript(() => {
    const store: string[] = (window.cspViolations = []);
    document.addEventListener('securitypolicyviolation', (event) => {
      store.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return {
    page,
    problems: {
      console: consoleProblems,
      documents,
      cspViolations: () => page.evaluate(() => window.cspViolations),
    },
  };
}

/** A table's rows as column name → visible text, read the way the person sees them. */
function readTable(page: Page, id: string): Promise<Record<string, string>[]> {
  return page.$eval(`table#${id}`, (table) => {
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
    return [...table.querySelectorAll('tbody tr')].map((tr) =>
      Object.fromEntries(
        [...tr.querySelectorAll('td')].map((td, index) => [headers[index], (td.textContent ?? '').replace(/\s+/g, ' ').trim()]),
      ),
    );
  });
}

async function expectNoProblems(problems: PageProblems): Promise<void> {
  const unexpected = problems.console.filter(
    ({ text, url }) => !(text.startsWith('error: Failed to load resource') && problems.documents.has(url)),
  );
  expect(unexpected).toEqual([]);
  expect(await problems.cspViolations()).toEqual([]);
}

test('a person types an address, submits the form and reads every setting', async () => {
  const { page, problems } = await openPage();
  try {
    const start = await page.goto(`${baseUrl}/`);
    expect(start?.status()).toBe(200);
    await page.getByLabel('Email address').fill('fred@hotmail.com');
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('/setup?')),
      page.getByRole('button', { name: 'Show settings' }).click(),
    ]);
    expect(answer.status()).toBe(200);
    await page.waitForLoadState('load');
    expect(new URL(page.url()).searchParams.get('email')).toBe('fred@hotmail.com');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Mail settings for fred@hotmail.com');

    // The tables keep their accessible names, and so their roles, in the browser.
    await expect(page.getByRole('table', { name: 'Incoming mail' }).count()).resolves.toBe(1);
    await expect(page.getByRole('table', { name: 'Outgoing mail' }).count()).resolves.toBe(1);

    const incoming = await readTable(page, 'incoming');
    expect(incoming).toHaveLength(1);
    expect(incoming[0]).toMatchObject(HOTMAIL_POP3_ROW);
    expect(incoming[0]?.Notes).toContain(LEAVE_COPY_NOTE);
    const outgoing = await readTable(page, 'outgoing');
    expect(outgoing.map((row) => [row.Server, row.Port, row.Security])).toEqual([
      ['smtp.live.com', '587', 'STARTTLS'],
      ['smtp.live.com', '25', 'STARTTLS'],
    ]);
    expect(outgoing.every((row) => row['User name'] === 'fred@hotmail.com')).toBe(true);

    // The stylesheet was allowed by the CSP and applied.
    const borderCollapse = await page.$eval('table#incoming', (table) => getComputedStyle(table).borderCollapse);
    expect(borderCollapse).toBe('collapse');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-desktop.png'), fullPage: true });

    // On a phone the tables stack, and nothing is wider than the screen.
    await page.setViewportSize(PHONE);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    const cellDisplay = await page.$eval('table#incoming td', (td) => getComputedStyle(td).display);
    expect(cellDisplay).toBe('grid');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-phone.png'), fullPage: true });

    await expectNoProblems(problems);
  } finally {
    await page.close();
  }
});

test('an invalid address comes back beside the field, inert, with status 400', async () => {
  const { page, problems } = await openPage(PHONE);
  try {
    await page.goto(`${baseUrl}/`);
    const typed = '"><img src=x onerror=alert(1)>';
    await page.getByLabel('Email address').fill(typed);
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('/setup?')),
      page.getByRole('button', { name: 'Show settings' }).click(),
    ]);
    expect(answer.status()).toBe(400);
    await page.waitForLoadState('load');
    const field = page.getByLabel('Email address');
    await expect(field.inputValue()).resolves.toBe(typed);
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#email-error').textContent()).resolves.toBe(
      'This is not an email address: enter it as name@example.com.',
    );
    await expect(page.locator('img').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-invalid-phone.png'), fullPage: true });
    await expectNoProblems(problems);
  } finally {
    await page.close();
  }
});

test('an unknown domain gets a friendly page with status 404', async () => {
  const { page, problems } = await openPage();
  try {
    const answer = await page.goto(`${baseUrl}/setup?email=${encodeURIComponent('ann@nowhere.example.org')}`);
    expect(answer?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('No mail settings for nowhere.example.org');
    await expect(page.getByLabel('Email address').inputValue()).resolves.toBe('ann@nowhere.example.org');
    await expectNoProblems(problems);
  } finally {
    await page.close();
  }
});
