/**
 * The built app as an Express host would run it (createApp, the route table behind
 * Express's own request handling), with the server's settings, for the bench's comparison.
 * Usage: node bench/express-only.mjs PORT CONFIG_DIR (access log to stdout at info).
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);
const dist = path.join(import.meta.dirname, '..', 'dist');
const { createApp } = require(path.join(dist, 'http', 'app.js'));
const { loadConfiguration } = require(path.join(dist, 'config', 'load.js'));
const { Metrics } = require(path.join(dist, 'http', 'metrics.js'));
const { rateLimitOptions } = require(path.join(dist, 'http', 'rate-limit.js'));
const pino = require('pino');

const [port, configDir] = process.argv.slice(2);
const { settings, providerDirectory } = await loadConfiguration(configDir, process.env);
const app = createApp({
  providerDirectory,
  settings,
  logger: pino({ level: settings.logLevel }),
  metrics: new Metrics(() => providerDirectory, { processMetrics: true }),
  rateLimit: rateLimitOptions(settings),
});
createServer(app).listen(Number(port), '127.0.0.1');
