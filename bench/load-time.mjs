/**
 * Loads a config directory's providers into a registry, as the server does at start and
 * on reload, and prints the time it took and the process's RSS after it (one JSON line):
 * `node bench/load-time.mjs DIR`. Needs `npm run build`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const require = createRequire(import.meta.url);
const { loadRegistry } = require(path.join(import.meta.dirname, '..', 'dist', 'config', 'load.js'));

const started = performance.now();
const registry = await loadRegistry(process.argv[2]);
const loadMs = performance.now() - started;
globalThis.gc?.();
process.stdout.write(`${JSON.stringify({ loadMs, domains: registry.domainCount, providers: registry.providers.length, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`);
