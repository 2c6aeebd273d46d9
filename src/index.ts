/**
 * The package's entry for embedders (docs/deploying.md): load a config directory and serve
 * it from an existing Express site, `import { createApp, loadConfiguration } from 'mail-autoconfig'`.
 * The server itself starts from cli/main.js and cli/index.js.
 */
export { createApp, createRequestListener, type AppOptions, type ExpressAppOptions } from './http/app';
export { loadConfiguration } from './config/load';
export type { Settings } from './config/settings';
