/**
 * Hosted domain → provider. Built once per (re)load from validated provider files, then
 * read-only; documents that depend only on the provider are rendered here, at load, so
 * requests only look them up.
 */
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import type { LoadedProvider } from './model/loaded-provider';
import { setupPageDocumentation } from './formats/setup-page/pages';
import { renderMozillaAutoconfig } from './formats/mozilla/autoconfig';
import { MAX_DOMAIN_LENGTH } from './model/domain';
import { rememberRecent } from './model/recent-results';

export interface HostedProvider extends LoadedProvider {
  /** The config-v1.1 document, which depends only on the provider (placeholders stay). */
  readonly mozillaAutoconfigXml: string;
}

export interface RegistryOptions {
  /** The setup page's public URL; autoconfig documents then point at it. */
  readonly publicBaseUrl?: string;
}

function setupPageLinks(options: RegistryOptions) {
  return options.publicBaseUrl === undefined ? [] : [setupPageDocumentation(options.publicBaseUrl)];
}

export class Registry {
  private readonly byDomain = new Map<string, HostedProvider>();
  private readonly byId = new Map<string, HostedProvider>();
  readonly providers: readonly HostedProvider[];

  /**
   * `rendered` holds each provider's Mozilla document when they were rendered already
   * (Registry.build); otherwise they are rendered here.
   */
  constructor(loaded: readonly LoadedProvider[], options: RegistryOptions = {}, rendered?: readonly string[]) {
    this.providers = loaded.map((provider, index) => ({
      ...provider,
      mozillaAutoconfigXml: rendered?.[index] ?? renderMozillaAutoconfig(provider.definition, setupPageLinks(options)),
    }));
    for (const provider of this.providers) {
      this.byId.set(provider.definition.id, provider);
      for (const domain of provider.definition.domains) this.byDomain.set(domain, provider);
    }
  }

  /**
   * A registry as the constructor makes it, with waiting requests answered between one
   * provider's document and the next: a reload of a hoster's providers renders documents
   * listing hundreds of thousands of domains, which in one go held every request up.
   */
  static async build(loaded: readonly LoadedProvider[], options: RegistryOptions = {}): Promise<Registry> {
    const rendered: string[] = [];
    for (const provider of loaded) {
      rendered.push(renderMozillaAutoconfig(provider.definition, setupPageLinks(options)));
      await yieldToRequests();
    }
    return new Registry(loaded, options, rendered);
  }

  get domainCount(): number {
    return this.byDomain.size;
  }

  /** The provider with this id, for domains whose provider is named elsewhere (a database). */
  provider(id: string): HostedProvider | undefined {
    return this.byId.get(id);
  }

  /** The provider for the first of `domainKeys` (lower-case A-labels) that is hosted here. */
  find(...domainKeys: (string | undefined)[]): { provider: HostedProvider; domain: string } | undefined {
    for (const domain of domainKeys) {
      if (domain === undefined) continue;
      const provider = this.byDomain.get(domain);
      if (provider) return { provider, domain };
    }
    return undefined;
  }
}

/**
 * A value derived from a hosted provider (a prepared document, a template), made on first
 * use and kept with the provider object: a reload builds new provider objects, so it
 * starts afresh, and the old values go with the old registry.
 */
export function perProvider<T>(make: (provider: HostedProvider) => T): (provider: HostedProvider) => T {
  const made = new WeakMap<HostedProvider, { readonly value: T }>();
  return (provider) => {
    let entry = made.get(provider);
    if (!entry) made.set(provider, (entry = { value: make(provider) }));
    return entry.value;
  };
}

/**
 * Domains a database may assign to one provider beyond its file's, whose per-domain values
 * are kept at once: a database can name millions, so those are remembered within a bound.
 */
const DATABASE_DOMAINS_REMEMBERED = 10_000;

/**
 * perProvider for values that also depend on which of the provider's domains was asked
 * for: one per domain of its file, plus up to DATABASE_DOMAINS_REMEMBERED recent ones a
 * database assigned to it (`domain` is always one the files or the database host).
 */
export function perProviderAndDomain<T>(make: (provider: HostedProvider, domain: string) => T): (provider: HostedProvider, domain: string) => T {
  const byDomain = perProvider((provider) =>
    rememberRecent((domain) => make(provider, domain), provider.definition.domains.length + DATABASE_DOMAINS_REMEMBERED, MAX_DOMAIN_LENGTH),
  );
  return (provider, domain) => byDomain(provider)(domain);
}
