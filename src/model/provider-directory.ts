/**
 * Hosted domain → provider, for the providers read from the files. Built once per (re)load
 * from providers prepared by the config loader (config/hosted-providers.ts), then read-only.
 */
import type { LoadedProvider } from './loaded-provider';

export interface HostedProvider extends LoadedProvider {
  /**
   * The config-v1.1 document, which depends only on the provider (placeholders stay):
   * rendered at load, so the requests for it only look it up.
   */
  readonly mozillaAutoconfigXml: string;
}

export class ProviderDirectory {
  private readonly byDomain = new Map<string, HostedProvider>();
  private readonly byId = new Map<string, HostedProvider>();

  constructor(readonly providers: readonly HostedProvider[]) {
    for (const provider of providers) {
      this.byId.set(provider.definition.id, provider);
      for (const domain of provider.definition.domains) this.byDomain.set(domain, provider);
    }
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
