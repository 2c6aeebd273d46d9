/**
 * Providers as read, made ready to serve: the documents that depend only on the provider
 * are rendered here, at load, so requests only look them up (docs/performance.md).
 */
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { renderMozillaAutoconfig } from '../formats/mozilla/autoconfig';
import { setupPageDocumentation } from '../formats/setup-page/pages';
import type { LoadedProvider } from '../model/loaded-provider';
import { ProviderDirectory, type HostedProvider } from '../model/provider-directory';

export interface HostedProviderOptions {
  /** The setup page's public URL; autoconfig documents then point at it. */
  readonly publicBaseUrl?: string;
}

/** One provider with its documents rendered. */
export function hostedProvider(provider: LoadedProvider, options: HostedProviderOptions = {}): HostedProvider {
  const documentation = options.publicBaseUrl === undefined ? [] : [setupPageDocumentation(options.publicBaseUrl)];
  return { ...provider, mozillaAutoconfigXml: renderMozillaAutoconfig(provider.definition, documentation) };
}

/**
 * The directory of `loaded`, with waiting requests answered between one provider's
 * documents and the next: a reload of a hoster's providers renders documents listing
 * hundreds of thousands of domains, which in one go would hold every request up.
 */
export async function buildProviderDirectory(loaded: readonly LoadedProvider[], options: HostedProviderOptions = {}): Promise<ProviderDirectory> {
  const hosted: HostedProvider[] = [];
  for (const provider of loaded) {
    hosted.push(hostedProvider(provider, options));
    await yieldToRequests();
  }
  return new ProviderDirectory(hosted);
}
