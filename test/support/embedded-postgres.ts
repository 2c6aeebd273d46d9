/**
 * One real PostgreSQL per test file (`const postgres = useEmbeddedPostgres()` at the top):
 * started in beforeAll on a free loopback port, removed in afterAll. `stop()` and `start()`
 * take the server down and up again with its data, for outage tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly password: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Runs SQL on a fresh connection (so it works right after a restart). */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function send(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { done?: string; error?: string }) => {
      if (message.done !== command && message.error === undefined) return;
      child.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve();
    };
    child.on('message', onMessage);
    child.send({ command });
  });
}

export function useEmbeddedPostgres(): EmbeddedPostgres {
  let child: ChildProcess | undefined;
  let url = '';
  // A password with characters that need percent-encoding, so redaction is tested on the hard case.
  const password = `s3cr3t/${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    const port = await freePort();
    url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    child = fork(path.join(__dirname, 'postgres-server.mjs'), [], {
      env: { ...process.env, TEST_POSTGRES_PORT: String(port), TEST_POSTGRES_PASSWORD: password },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.once('message', (message: { ready?: boolean; error?: string }) => (message.ready ? resolve() : reject(new Error(message.error))));
      child!.once('exit', (code) => reject(new Error(`postgres helper exited with ${code}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (!child?.connected) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    await send(child, 'shutdown');
    await exited;
  }, 60_000);

  return {
    get url() {
      return url;
    },
    password,
    stop: () => send(child!, 'stop'),
    start: () => send(child!, 'start'),
    async query<T>(sql: string, values: unknown[] = []) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
  };
}
