/**
 * Reads the provider files of a config directory (`providers/*.yaml|yml|json|xml`, XML
 * being Mozilla ISPDB files),
 * validates each against the canonical schema and checks that no domain is claimed twice.
 * Every problem in every file is collected before failing, so one run shows them all.
 */
import { readdir } from 'node:fs/promises';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import path from 'node:path';
import { readYaml, YamlSyntaxError, type Locate, type ReadFile, type SourcePosition } from './read-yaml';
import { readJson, JsonSyntaxError } from './read-json';
import { providerSchema } from '../model/provider';
import { toDomainKey } from '../model/domain';
import { at, ConfigError, formatPlace, problemsFromZod } from './errors';
import type { ConfigProblem, LoadedProvider } from '../model/loaded-provider';
import { readIspdbProvider } from './ispdb-reader';
import { DEFAULT_CONFIG_FILE_LIMITS, readProviderFileText, type ConfigFileLimits } from './config-files';
import { OFF_THREAD_MIN_YAML_LENGTH, ParserThreadError, YamlParserThread } from './read-yaml-off-thread';

const PROVIDER_FILE = /\.(ya?ml|json|xml)$/i;

/** Parses the large YAML files of every load, one reused thread for the whole process. */
const sharedYamlParserThread = new YamlParserThread();

export async function loadProviders(
  configDir: string,
  limits: ConfigFileLimits = DEFAULT_CONFIG_FILE_LIMITS,
  yamlParserThread: YamlParserThread = sharedYamlParserThread,
): Promise<LoadedProvider[]> {
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
  const texts = new Map<LoadedProvider, string>();
  // Read all at once: one at a time, a hoster's thousand files would wait on a thousand round trips.
  const files = names.map((name) => ({ file: path.join(providersDir, name), shownAs: displayPath(path.join(providersDir, name)) }));
  const contents = await Promise.allSettled(files.map(({ file, shownAs }) => readProviderFileText(file, shownAs, configDir, limits)));
  for (const [index, { shownAs }] of files.entries()) {
    const content = contents[index]!;
    if (content.status === 'rejected') {
      if (!(content.reason instanceof ConfigError)) throw content.reason;
      problems.push(...content.reason.problems);
      continue;
    }
    const result = await parseProviderFileOffThread(shownAs, content.value, yamlParserThread);
    if ('problems' in result) {
      problems.push(...result.problems);
    } else {
      loaded.push(result);
      texts.set(result, content.value);
    }
    // Between files, requests waiting during a reload are answered.
    await yieldToRequests();
  }
  problems.push(...findDuplicateDomains(loaded, (provider) => texts.get(provider)!));
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}

/** Where unknown provider fields send the admin. */
const PROVIDER_REFERENCE = '"Provider files" in docs/configuration.md';

/** Parses and validates one provider file's text. Pure, so tests can feed it strings. */
export function parseProviderFile(file: string, text: string): LoadedProvider | { problems: ConfigProblem[] } {
  if (/\.xml$/i.test(file)) return readIspdbProvider(file, text);
  let read: ReadFile;
  try {
    read = /\.json$/i.test(file) ? readJson(text) : readYaml(text);
  } catch (error) {
    return { problems: [readProblem(file, error)] };
  }
  return validateProvider(file, read);
}

/**
 * parseProviderFile, with a large YAML file parsed on the parser thread so that requests
 * are answered meanwhile; JSON.parse and the ISPDB reader take a few milliseconds for the
 * largest file allowed, so those stay inline (docs/performance.md).
 */
async function parseProviderFileOffThread(file: string, text: string, thread: YamlParserThread): Promise<LoadedProvider | { problems: ConfigProblem[] }> {
  if (!/\.ya?ml$/i.test(file) || text.length < OFF_THREAD_MIN_YAML_LENGTH) return parseProviderFile(file, text);
  let read: ReadFile;
  try {
    read = await thread.read(text);
  } catch (error) {
    return { problems: [readProblem(file, error)] };
  }
  return validateProvider(file, read);
}

/** The problem for a file that could not be read as YAML or JSON; anything else is a bug and is thrown on. */
function readProblem(file: string, error: unknown): ConfigProblem {
  if (error instanceof ParserThreadError) return { file, field: '', message: `not loaded: ${error.message}` };
  if (!(error instanceof YamlSyntaxError || error instanceof JsonSyntaxError)) throw error;
  const language = error instanceof JsonSyntaxError ? 'JSON' : 'YAML';
  return { file, ...at(error.position), field: '', message: `${language} syntax error: ${error.reason}` };
}

/** Checks a file's data against the provider schema, naming the place of every problem. */
function validateProvider(file: string, read: ReadFile): LoadedProvider | { problems: ConfigProblem[] } {
  const parsed = providerSchema.safeParse(read.data);
  if (!parsed.success) {
    return {
      problems: problemsFromZod(parsed.error, { file, locate: read.locate, input: read.data, schema: providerSchema, keyWord: 'field', reference: PROVIDER_REFERENCE }),
    };
  }
  // The schema merges a domain listed twice; in a file an admin wrote, that is a slip worth showing.
  const writtenDomains = (read.data as { domains: unknown[] }).domains;
  if (writtenDomains.length !== parsed.data.domains.length) return { problems: domainsListedTwice(file, writtenDomains, read.locate) };
  return { definition: parsed.data, file };
}

/**
 * How many repeats of one kind a file gets a line each for: a file pasted twice would
 * otherwise print one line per domain, thousands in the log and on /healthz.
 */
const MAX_REPEATS_LISTED = 10;

function domainsListedTwice(file: string, written: readonly unknown[], locate: Locate): ConfigProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  let unlisted = 0;
  written.forEach((domain, index) => {
    const key = toDomainKey(String(domain)) ?? String(domain);
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return;
    }
    if (problems.length === MAX_REPEATS_LISTED) {
      unlisted += 1;
      return;
    }
    const firstLine = locate(['domains', first])?.line;
    problems.push({
      file,
      ...at(locate(['domains', index])),
      field: `domains[${index}]`,
      message: `domain ${key} is listed twice (first as domains[${first}]${firstLine === undefined ? '' : ` on line ${firstLine}`}): remove one`,
    });
  });
  if (unlisted > 0) problems.push({ file, field: 'domains', message: `and ${unlisted} more domains listed twice` });
  return problems;
}

/** A domain claimed by two providers: where each file lists it, so the admin can remove one. */
function findDuplicateDomains(providers: readonly LoadedProvider[], textOf: (provider: LoadedProvider) => string): ConfigProblem[] {
  const owner = new Map<string, LoadedProvider>();
  const problems: ConfigProblem[] = [];
  const places = new Map<LoadedProvider, DomainPlaces>();
  const placesIn = (provider: LoadedProvider) => places.get(provider) ?? places.set(provider, domainPlaces(provider, textOf(provider))).get(provider)!;
  const repeats = new Map<string, { listed: number; unlisted: number; file: string; other: LoadedProvider }>();
  for (const provider of providers) {
    for (const domain of provider.definition.domains) {
      const first = owner.get(domain);
      if (!first) {
        owner.set(domain, provider);
        continue;
      }
      const pair = `${provider.file}\0${first.file}`;
      const count = repeats.get(pair) ?? repeats.set(pair, { listed: 0, unlisted: 0, file: provider.file, other: first }).get(pair)!;
      if (count.listed === MAX_REPEATS_LISTED) {
        count.unlisted += 1;
        continue;
      }
      count.listed += 1;
      const here = placesIn(provider)(domain);
      const there = placesIn(first)(domain);
      problems.push({
        file: provider.file,
        ...at(here.position),
        field: here.field,
        message: `domain ${domain} is already claimed by ${formatPlace({ file: first.file, ...at(there.position) })} (provider ${first.definition.id}); a domain belongs to one provider: remove it from one of the two files`,
      });
    }
  }
  for (const { unlisted, file, other } of repeats.values()) {
    if (unlisted > 0) problems.push({ file, field: 'domains', message: `and ${unlisted} more domains already claimed by ${other.file} (provider ${other.definition.id})` });
  }
  return problems;
}

/** Where a file lists each domain (the field and its place), to name both places of a duplicate. */
type DomainPlaces = (domain: string) => { field: string; position?: SourcePosition };

/**
 * Found again in the file's text, once per file and only for an error, so loading keeps
 * nothing for it.
 */
function domainPlaces(provider: LoadedProvider, text: string): DomainPlaces {
  if (/\.xml$/i.test(provider.file)) {
    const positions = ispdbDomainPositions(text);
    return (domain) => ({ field: 'domains', position: positions.get(domain) });
  }
  const read = /\.json$/i.test(provider.file) ? readJson(text) : readYaml(text);
  const indexOf = new Map<string, number>();
  ((read.data as { domains?: unknown[] }).domains ?? []).forEach((entry, index) => {
    const key = toDomainKey(String(entry));
    if (key !== undefined && !indexOf.has(key)) indexOf.set(key, index);
  });
  return (domain) => {
    const index = indexOf.get(domain);
    return index === undefined ? { field: 'domains' } : { field: `domains[${index}]`, position: read.locate(['domains', index]) };
  };
}

/** Where each `<domain>` element (not an MX one, which has attributes) of an ISPDB file is. */
function ispdbDomainPositions(text: string): Map<string, SourcePosition> {
  const positions = new Map<string, SourcePosition>();
  let line = 1;
  let lineStart = 0;
  let scanned = 0;
  for (const match of text.matchAll(/<domain>\s*([^<]*?)\s*<\/domain>/g)) {
    for (let newline = text.indexOf('\n', scanned); newline !== -1 && newline < match.index; newline = text.indexOf('\n', newline + 1)) {
      line += 1;
      lineStart = newline + 1;
    }
    scanned = match.index;
    const key = toDomainKey(match[1]!);
    if (key !== undefined && !positions.has(key)) positions.set(key, { line, column: match.index - lineStart + 1 });
  }
  return positions;
}

function displayPath(absoluteOrRelative: string): string {
  const relative = path.relative(process.cwd(), absoluteOrRelative);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absoluteOrRelative : relative;
}
