/**
 * Loads everything a server needs from a config directory: settings, the directory of hosted
 * providers and the identity Apple profiles are signed with (if any).
 */
import type { ConfigFileLimits } from './config-files';
import { ConfigError } from './errors';
import { loadProviders } from './load-providers';
import { loadSettings, type Settings } from './settings';
import { loadSigningIdentity } from './signing';
import type { SigningIdentity } from '../model/signing-identity';
import type { ProviderDirectory } from '../model/provider-directory';
import { buildProviderDirectory, type HostedProviderOptions } from './hosted-providers';

export async function loadProviderDirectory(configDir: string, options: HostedProviderOptions = {}, limits?: ConfigFileLimits): Promise<ProviderDirectory> {
  return buildProviderDirectory(await loadProviders(configDir, limits), options);
}

/**
 * What the server serves from its config: the provider directory and the identity Apple
 * profiles are signed with. Both are read at start-up and again on every reload (settings only at
 * start-up), so a renewed certificate is picked up by a reload, like a changed provider.
 */
export interface LoadedConfig {
  readonly providerDirectory: ProviderDirectory;
  readonly signing: SigningIdentity | undefined;
}

/** Reads both; when either is broken, one ConfigError names the problems of both. */
export async function loadServedConfig(settings: Settings): Promise<LoadedConfig> {
  const [directory, signing] = await Promise.allSettled([
    loadProviderDirectory(settings.configDir, { publicBaseUrl: settings.publicBaseUrl }, settings),
    loadSigningIdentity(settings),
  ]);
  if (directory.status === 'fulfilled' && signing.status === 'fulfilled') return { providerDirectory: directory.value, signing: signing.value };
  const failures = [directory, signing].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  const unexpected = failures.find((failure) => !(failure instanceof ConfigError));
  if (unexpected !== undefined) throw unexpected;
  throw new ConfigError(failures.flatMap((failure) => (failure as ConfigError).problems));
}

export async function loadConfiguration(configDir: string, env: NodeJS.ProcessEnv): Promise<{ settings: Settings } & LoadedConfig> {
  const settings = await loadSettings(configDir, env);
  return { settings, ...(await loadServedConfig(settings)) };
}
