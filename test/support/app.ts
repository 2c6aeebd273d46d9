/**
 * Shared test helpers: the real app on the shipped config, paths to the test fixtures, and an
 * XML reader that checks documents the way clients read them.
 */
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadProviderDirectory } from '../../src/config/load';
import { defaultSettings, type SettingsInput } from '../../src/config/settings';
import { createApp } from '../../src/http/app';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SHIPPED_CONFIG = path.join(REPO_ROOT, 'config');
/** Test data kept in the repository: see test/fixtures/README.md. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
/** Real Mozilla ISPDB files (MPL-2.0), unchanged: see test/fixtures/ispdb/README.md. */
export const ISPDB_FIXTURES = path.join(FIXTURES, 'ispdb');

export async function shippedApp(overrides: Partial<SettingsInput> = {}) {
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  return createApp({ providerDirectory, settings: defaultSettings({ ...overrides, configDir: SHIPPED_CONFIG }) });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});
const ARRAY_ELEMENTS = new Set(['domain', 'incomingServer', 'outgoingServer', 'authentication', 'documentation', 'descr', 'Protocol']);

/** Parses an XML answer after checking it is well-formed; throws with the validator's message otherwise. */
export function parseXml(text: string): Record<string, any> {
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw new Error(`not well-formed XML: ${JSON.stringify(validation.err)}\n${text}`);
  return parser.parse(text) as Record<string, any>;
}
