/**
 * Loads everything a server needs from a config directory: settings, a registry and the
 * identity Apple profiles are signed with (if any).
 */
import { loadProviders } from './load-providers';
import { loadSettings, type Settings } from './settings';
import { loadSigningIdentity, type SigningIdentity } from './signing';
import { Registry, type RegistryOptions } from '../registry';

export async function loadRegistry(configDir: string, options: RegistryOptions = {}): Promise<Registry> {
  return new Registry(await loadProviders(configDir), options);
}

export async function loadConfiguration(
  configDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ settings: Settings; registry: Registry; signing: SigningIdentity | undefined }> {
  const settings = await loadSettings(configDir, env);
  return {
    settings,
    registry: await loadRegistry(configDir, { publicBaseUrl: settings.publicBaseUrl }),
    signing: await loadSigningIdentity(settings),
  };
}
