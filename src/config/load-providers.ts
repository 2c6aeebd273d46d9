/**
 * Reads the provider files of a config directory (`providers/*.yaml|yml|json|xml`, XML
 * being Mozilla ISPDB files),
 * validates each against the canonical schema and checks that no domain is claimed twice.
 * Every problem in every file is collected before failing, so one run shows them all.
 */
import { readdir } from 'node:fs/promises';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import path from 'node:path';
import { readYaml, YamlSyntaxError } from './read-yaml';
import { providerSchema, type ProviderDefinition } from '../model/provider';
import { ConfigError, problemsFromZod, type ConfigProblem } from './errors';
import { readIspdbProvider } from './ispdb-reader';
import { DEFAULT_CONFIG_FILE_LIMITS, describeJsonSyntaxError, readProviderFileText, type ConfigFileLimits } from './config-files';

export interface LoadedProvider {
  readonly definition: ProviderDefinition;
  /** The file it came from, as the admin would name it (relative to the working directory). */
  readonly file: string;
  /** What the reader tolerated but an admin may want to fix (ignored elements, old spellings). */
  readonly warnings?: readonly ConfigProblem[];
}

const PROVIDER_FILE = /\.(ya?ml|json|xml)$/i;

export async function loadProviders(configDir: string, limits: ConfigFileLimits = DEFAULT_CONFIG_FILE_LIMITS): Promise<LoadedProvider[]> {
  const providersDir = path.join(configDir, 'providers');
  let names: string[];
  try {
    names = (await readdir(providersDir)).filter((name) => PROVIDER_FILE.test(name)).sort();
  } catch (error) {
    throw new ConfigError([{ file: displayPath(providersDir), field: '', message: `cannot read directory: ${(error as Error).message}` }]);
  }
  if (names.length === 0) {
    throw new ConfigError([{ file: displayPath(providersDir), field: '', message: 'no provider files (*.yaml, *.yml, *.json, *.xml) found' }]);
  }

  const problems: ConfigProblem[] = [];
  const loaded: LoadedProvider[] = [];
  // Read all at once: one at a time, a hoster's thousand files would wait on a thousand round trips.
  const files = names.map((name) => ({ file: path.join(providersDir, name), shownAs: displayPath(path.join(providersDir, name)) }));
  const texts = await Promise.allSettled(files.map(({ file, shownAs }) => readProviderFileText(file, shownAs, configDir, limits)));
  for (const [index, { shownAs }] of files.entries()) {
    const text = texts[index]!;
    if (text.status === 'rejected') {
      if (!(text.reason instanceof ConfigError)) throw text.reason;
      problems.push(...text.reason.problems);
      continue;
    }
    const result = parseProviderFile(shownAs, text.value);
    if ('problems' in result) problems.push(...result.problems);
    else loaded.push(result);
    // Between files, requests waiting during a reload are answered.
    await yieldToRequests();
  }
  problems.push(...findDuplicateDomains(loaded));
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}

/** Parses and validates one provider file's text. Pure, so tests can feed it strings. */
export function parseProviderFile(file: string, text: string): LoadedProvider | { problems: ConfigProblem[] } {
  if (/\.xml$/i.test(file)) return readIspdbProvider(file, text);
  let data: unknown;
  if (/\.json$/i.test(file)) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { problems: [{ file, field: '', message: `JSON syntax error: ${describeJsonSyntaxError(error)}` }] };
    }
  } else {
    try {
      data = readYaml(text);
    } catch (error) {
      if (!(error instanceof YamlSyntaxError)) throw error;
      return { problems: [{ file, field: '', message: error.message }] };
    }
  }
  const parsed = providerSchema.safeParse(data);
  if (!parsed.success) return { problems: problemsFromZod(file, parsed.error) };
  return { definition: parsed.data, file };
}

function findDuplicateDomains(providers: readonly LoadedProvider[]): ConfigProblem[] {
  const owner = new Map<string, LoadedProvider>();
  const problems: ConfigProblem[] = [];
  for (const provider of providers) {
    for (const domain of provider.definition.domains) {
      const first = owner.get(domain);
      if (first) {
        problems.push({
          file: provider.file,
          field: 'domains',
          message: `domain ${domain} is already claimed by ${first.file} (provider ${first.definition.id})`,
        });
      } else {
        owner.set(domain, provider);
      }
    }
  }
  return problems;
}

function displayPath(absoluteOrRelative: string): string {
  const relative = path.relative(process.cwd(), absoluteOrRelative);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absoluteOrRelative : relative;
}
