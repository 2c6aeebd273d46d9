/**
 * Throw-away config directories for reload and process tests: a provider whose server
 * names carry a variant tag (so each answer shows which configuration produced it), and
 * broken versions of it that fail validation in different ways.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const TEST_DOMAIN = 'reload.example';

/** A valid provider for TEST_DOMAIN whose every host name is `<service>-<variant>.reload.example`. */
export function taggedProvider(variant: string): string {
  const server = (type: string, port: number) =>
    `  - { type: ${type}, hostname: ${type}-${variant}.${TEST_DOMAIN}, port: ${port}, socketType: SSL,` +
    ` username: "%EMAILADDRESS%", authentication: [password-cleartext] }\n`;
  return `id: ${TEST_DOMAIN}\ndisplayName: Reload test ${variant}\ndomains: [${TEST_DOMAIN}]\nincoming:\n${server('imap', 993)}outgoing:\n${server('smtp', 465)}`;
}

/** Broken provider files, each failing validation differently. */
export const BROKEN_PROVIDERS = {
  badPort: taggedProvider('broken').replace('port: 993', 'port: 99999'),
  unknownField: `${taggedProvider('broken')}colour: blue\n`,
  yamlSyntax: `${taggedProvider('broken')}domains: [unclosed\n`,
} as const;

export interface ConfigDir {
  readonly dir: string;
  /** Replaces providers/<name> atomically (write aside, rename), as a careful deployment would. */
  writeProvider(text: string, name?: string): Promise<void>;
  remove(): Promise<void>;
}

export async function makeConfigDir(initial = taggedProvider('a'), settingsYaml?: string): Promise<ConfigDir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-'));
  await mkdir(path.join(dir, 'providers'));
  if (settingsYaml !== undefined) await writeFile(path.join(dir, 'settings.yaml'), settingsYaml);
  let sequence = 0;
  const writeProvider = async (text: string, name = 'provider.yaml') => {
    const aside = path.join(dir, `.${name}.${(sequence += 1)}.tmp`);
    await writeFile(aside, text);
    await rename(aside, path.join(dir, 'providers', name));
  };
  await writeProvider(initial);
  return { dir, writeProvider, remove: () => rm(dir, { recursive: true, force: true }) };
}
