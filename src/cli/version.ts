/**
 * `mail-autoconfig --version`: the version of the package this code was built from, read
 * from its package.json (dist/ sits next to it in a checkout, an npm install and the image).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT, type CliIo } from './io';

const PACKAGE_JSON = path.join(__dirname, '..', '..', 'package.json');

export function versionCommand(io: CliIo): number {
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown }).version;
  } catch (error) {
    io.stderr(`mail-autoconfig: cannot read the version from ${PACKAGE_JSON}: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
  io.stdout(`${String(version)}\n`);
  return EXIT.ok;
}
