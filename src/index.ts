/**
 * The package's entry for embedders (docs/deploying.md): `openMailAutoconfig` reads a
 * config directory and gives a site the handler to put in front of it or mount, with the
 * reloads, database, timeouts and connection caps the standalone server has;
 * `createApp` and `loadConfiguration` are the lower-level parts for mounting under a prefix.
 * The server itself starts from cli/main.js and cli/index.js.
 */
export { createApp, type AppOptions, type ExpressAppOptions } from './http/app';
export { loadConfiguration } from './config/load';
export type { Settings } from './config/settings';
export { openMailAutoconfig, type OpenOptions, type Service } from './service';
