/**
 * Runs the real server process: compiles src/ once per test file into a temporary
 * folder (never trusting a stale dist/), then spawns `node main.js` there.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './app';

let compiledDir: string | undefined;

export function compiledEntry(file = 'main.js'): string {
  if (!compiledDir) {
    // Inside the repository, so that the compiled files find node_modules.
    mkdirSync(path.join(REPO_ROOT, '.test-build'), { recursive: true });
    compiledDir = mkdtempSync(path.join(REPO_ROOT, '.test-build', 'run-'));
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', compiledDir], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
  }
  return path.join(compiledDir, file);
}

/** Removes this test file's compiled copy (call from afterAll). */
export function removeCompiled(): void {
  if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
  compiledDir = undefined;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled entry with `args` and resolves when it exits (killed after `timeoutMs`). */
export function runToExit(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): Promise<Finished> {
  const child = spawn(process.execPath, [compiledEntry(), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
  return collect(child, timeoutMs);
}

function collect(child: ChildProcess, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Starts the server and resolves once it logs that it listens, with its port. */
export async function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number; exited: Promise<Finished> }> {
  const child = spawn(process.execPath, [compiledEntry(), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
  });
  const exited = collect(child, 60_000);
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /"msg":"listening"/.test(seen) && /"port":(\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((finished) => reject(new Error(`server exited early (${finished.code}): ${finished.stderr}`)));
  });
  return { child, port, exited };
}
