/**
 * Loads a config directory's providers into a provider directory, as the server does at start and
 * on reload, and prints the time it took and the process's RSS after it (one JSON line):
 * `node bench/load-time.mjs DIR`. Needs `npm run build`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const require = createRequire(import.meta.url);
const { loadProviderDirectory } = require(path.join(import.meta.dirname, '..', 'dist', 'config', 'load.js'));

const started = performance.now();
const providerDirectory = await loadProviderDirectory(process.argv[2]);
const loadMs = performance.now() - started;
globalThis.gc?.();
process.stdout.write(`${JSON.stringify({ loadMs, domains: providerDirectory.domainCount, providers: providerDirectory.providers.length, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`);
