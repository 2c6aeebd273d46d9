import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
const original = http.createServer;
let server;
http.createServer = (...args) => (server = original(...args));
syncBuiltinESMExports();
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(); });
await import('./ceiling.mjs');
