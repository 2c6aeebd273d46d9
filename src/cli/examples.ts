/**
 * The example providers shipped in the package's config/ (example.com, hotmail.com) are
 * for trying the server out, never for production. Each carries a marker comment line;
 * the mark travels with the file wherever it is copied (another config directory, a
 * Kubernetes ConfigMap), which comparing directory paths would miss and which a marker in
 * settings.yaml would lose as soon as an admin writes their own settings next to the
 * example providers. See docs/deploying.md.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ProviderDirectory } from '../model/provider-directory';

/** The line that marks a shipped example provider file. */
export const EXAMPLE_MARKER = '# mail-autoconfig: shipped example';

const MARKER_LINE = new RegExp(`^${EXAMPLE_MARKER}\\s*$`, 'm');

export function isExampleProvider(fileText: string): boolean {
  return MARKER_LINE.test(fileText);
}

/** The served provider files that carry the example marker. */
export async function exampleProviderFiles(providerDirectory: ProviderDirectory): Promise<string[]> {
  const files = providerDirectory.providers.map((provider) => provider.file);
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')));
  return files.filter((_, index) => isExampleProvider(texts[index]!));
}

export const ALLOW_EXAMPLES_VARIABLE = 'MAIL_AUTOCONFIG_ALLOW_EXAMPLES';

/**
 * What to do with example providers: unset means serve them with a warning (a developer's
 * `npm start`); false refuses to start on them (the container image sets it); true serves
 * them, as someone who asked for them.
 */
export type ExamplesPolicy = 'warn' | 'refuse' | 'allow';

export function examplesPolicy(env: NodeJS.ProcessEnv): ExamplesPolicy | { error: string } {
  const value = env[ALLOW_EXAMPLES_VARIABLE];
  if (value === undefined || value === '') return 'warn';
  const parsed = z.stringbool().safeParse(value);
  if (!parsed.success) return { error: `${ALLOW_EXAMPLES_VARIABLE} must be true or false, got ${JSON.stringify(value)}` };
  return parsed.data ? 'allow' : 'refuse';
}
