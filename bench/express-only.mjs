/**
 * The built package embedded in an Express site exactly as docs/deploying.md tells an
 * embedder to ("Inside an existing Express site"): openMailAutoconfig's handler in front
 * of the site, with the server's timeouts, connection caps and metrics port, and its log
 * on standard output. For the bench's comparison with the standalone server.
 * Usage: node bench/express-only.mjs PORT CONFIG_DIR (settings from the environment as in the docs).
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);
const { openMailAutoconfig } = require(path.join(import.meta.dirname, '..', 'dist', 'index.js'));
const express = require('express');

const [port, configDir] = process.argv.slice(2);
const mail = await openMailAutoconfig(configDir, process.env);

const site = express();
site.get('/about', (req, res) => {
  res.send('the site itself');
});

const server = createServer(mail.serverOptions, (req, res) => mail.handle(req, res, () => site(req, res)));
mail.limitConnections(server);
server.listen(Number(port), '127.0.0.1');

const metrics = mail.settings.metricsOnMainPort ? undefined : createServer(mail.serverOptions, mail.metricsListener);
metrics?.listen(mail.settings.metricsPort, mail.settings.metricsHost);
