/**
 * Loads everything a server needs from a config directory: settings and a registry.
 */
import { loadProviders } from './load-providers';
import { loadSettings, type Settings } from './settings';
import { Registry, type RegistryOptions } from '../registry';

export async function loadRegistry(configDir: string, options: RegistryOptions = {}): Promise<Registry> {
  return new Registry(await loadProviders(configDir), options);
}

export async function loadConfiguration(configDir: string, env: NodeJS.ProcessEnv): Promise<{ settings: Settings; registry: Registry }> {
  const settings = await loadSettings(configDir, env);
  return { settings, registry: await loadRegistry(configDir, { publicBaseUrl: settings.publicBaseUrl }) };
}
