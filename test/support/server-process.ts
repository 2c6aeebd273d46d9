/**
 * Runs the real server as its own process, as `npm start` would: compiles src/ into a
 * fresh temporary directory (never a stale dist/), starts `node cli/main.js`, and reads the
 * listening port from its log. For tests of signals, which only a real process receives.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './app';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** Every log line so far (pino JSON). */
  readonly log: string[];
}

export interface Build {
  /** The package: package.json beside dist/, as an embedder installs it. */
  readonly packageDir: string;
  /** `npm start`'s entry. */
  readonly mainJs: string;
  /** The `mail-autoconfig` binary. */
  readonly cliJs: string;
  remove(): Promise<void>;
}

/**
 * Compiles src/ with the project's build settings into a temporary package: dist/ next to
 * a copy of package.json, as in a checkout and in the image (the CLI reads its version there).
 */
export async function buildServer(): Promise<Build> {
  const packageDir = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-build-'));
  const outDir = path.join(packageDir, 'dist');
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: REPO_ROOT });
  await copyFile(path.join(REPO_ROOT, 'package.json'), path.join(packageDir, 'package.json'));
  return {
    packageDir,
    mainJs: path.join(outDir, 'cli', 'main.js'),
    cliJs: path.join(outDir, 'cli', 'index.js'),
    remove: () => rm(packageDir, { recursive: true, force: true }),
  };
}

/** The environment of a server process: loopback, free ports (metrics too), and our node_modules. */
function processEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The compiled files live outside the repository; let them find its node_modules.
  return { PATH: process.env.PATH, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', ...env };
}

/** Runs the server with `args` until it exits by itself (a refused configuration); killed after `timeoutMs`. */
export function runServerToExit(build: Build, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [build.mainJs, ...args], { cwd: REPO_ROOT, env: processEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

/**
 * Starts the server on `configDir` (or, when undefined, whatever `env` names) and resolves
 * once it listens; with `fileLimit`, under that many file descriptors (sh's ulimit -n).
 */
export function startServerProcess(build: Build, configDir: string | undefined, env: NodeJS.ProcessEnv = {}, { fileLimit }: { fileLimit?: number } = {}): Promise<ServerProcess> {
  const args = configDir === undefined ? [] : ['--config', configDir];
  const command = [process.execPath, build.mainJs, ...args];
  const [program, ...argv] = fileLimit === undefined ? command : ['sh', '-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, ...command];
  const child = spawn(program!, argv, { cwd: REPO_ROOT, env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error('the server did not report listening within 10 s')), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${log.join('')}`));
    };
    child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        log.push(`${line}\n`);
        const entry = safeJson(line);
        if (entry?.msg === 'listening') {
          clearTimeout(timer);
          resolve({ child, port: (entry.address as { port: number }).port, exited, log });
        }
      }
    });
    void exited.then((code) => fail(new Error(`the server exited with ${code} before listening`)));
  });
}

export function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
