/**
 * A provider definition written back as a YAML provider file (the format of
 * config/providers/*.yaml), for `mail-autoconfig import`: loading the result gives the
 * same definition again. Pure: definition in, text out.
 */
import YAML from 'yaml';
import type { LocalisedText, ProviderDefinition } from '../../model/provider';

export function renderProviderYaml(provider: ProviderDefinition, headerComment?: string): string {
  const document = new YAML.Document(providerFileContent(provider));
  if (headerComment) document.commentBefore = headerComment.replace(/^/gm, ' ');
  return document.toString({ lineWidth: 0 });
}

/** The definition in the shape a provider file uses: localised texts compact, empty lists left out. */
function providerFileContent(provider: ProviderDefinition): Record<string, unknown> {
  return withoutEmpty({
    ...provider,
    documentation: provider.documentation.map((doc) => ({ url: doc.url, descr: compactLocalised(doc.descr) })),
    enable: provider.enable && {
      visitUrl: provider.enable.visitUrl,
      instruction: compactLocalised(provider.enable.instruction),
    },
  });
}

/**
 * The shortest of the three forms the schema reads: a plain string for one text without a
 * language, a `{ lang: text }` map when every text names a different language, else the list.
 */
function compactLocalised(texts: LocalisedText | undefined): unknown {
  if (!texts) return undefined;
  const [first] = texts;
  if (texts.length === 1 && first && first.lang === undefined) return first.text;
  const langs = texts.map((entry) => entry.lang);
  if (langs.every((lang) => lang !== undefined) && new Set(langs).size === langs.length) {
    return Object.fromEntries(texts.map(({ lang, text }) => [lang, text]));
  }
  return texts;
}

/** Drops empty lists and undefined values, so the file says only what the definition says. */
function withoutEmpty(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined && !(Array.isArray(entry) && entry.length === 0)),
  );
}
