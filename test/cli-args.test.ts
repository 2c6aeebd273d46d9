/**
 * The command line of the built binary and of `npm start`, run as child processes the way
 * an admin runs them: what is refused (exit 2 with the usage on stderr), what only prints
 * (--version, --help; no server started), what serve says at start (the absolute config
 * directory, counts, address, the shipped-examples warning) and a port already in use.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';
import { isExampleProvider } from '../src/cli/examples';
import { REPO_ROOT, SHIPPED_CONFIG } from './support/app';
import { makeConfigDir, type ConfigDir } from './support/config-dir';
import { buildServer, runServerToExit, safeJson, startServerProcess, type Build } from './support/server-process';

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Generous for a loaded machine; a command that starts a server instead never exits by itself. */
const EXIT_WITHIN_MS = 15_000;

let build: Build;
let config: ConfigDir;
beforeAll(async () => {
  build = await buildServer();
  config = await makeConfigDir();
}, 120_000);
afterAll(async () => {
  await build.remove();
  await config.remove();
});

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether anything accepted a connection on the watched port while the process ran. */
  readonly listened: boolean;
}

/**
 * Runs `script args` until it exits (killed after EXIT_WITHIN_MS, which leaves code null),
 * with HOST/PORT pointing at a free loopback port that is watched the whole time.
 */
async function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const port = await freePort();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
  let running = true;
  let listened = false;
  const watching = (async () => {
    while (running) {
      if (await accepts(port)) listened = true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  running = false;
  clearTimeout(killer);
  await watching;
  return { code, stdout, stderr, listened };
}

const cli = (...args: string[]) => run(build.cliJs, args);

/**
 * A free port below Linux's ephemeral range (32768 and up), so that no other process
 * listening on port 0 can be given it while it is watched.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A usage error: exit 2, nothing on stdout, one line naming the mistake, then the usage of `command`. */
function expectUsageError(finished: Finished, firstLine: RegExp, usageOf: string): void {
  expect(finished.code).toBe(2);
  expect(finished.stdout).toBe('');
  const [line, blank, usage] = finished.stderr.split('\n');
  expect(line).toMatch(firstLine);
  expect(blank).toBe('');
  expect(usage).toMatch(new RegExp(`^usage: mail-autoconfig ${usageOf}`));
  expect(finished.listened).toBe(false);
}

describe('refused: exit 2 with the usage on stderr, and no server', () => {
  test('an unknown command', async () => {
    expectUsageError(await cli('frobnicate'), /^mail-autoconfig: unknown command "frobnicate"$/, '\\[command\\]');
  }, 60_000);

  test.each([
    [['serve', '--confg', SHIPPED_CONFIG], 'serve'],
    [['--confg', SHIPPED_CONFIG], 'serve'],
    [['check', '--confg', SHIPPED_CONFIG], 'check'],
    [['dns', 'example.com', '--confg', SHIPPED_CONFIG], 'dns'],
    [['probe', 'example.com', '--confg', SHIPPED_CONFIG], 'probe'],
    [['import', 'file.xml', '--confg', SHIPPED_CONFIG], 'import'],
    [['export', 'file.yaml', '--confg', SHIPPED_CONFIG], 'export'],
  ])('%j: an unknown option, with the option it most likely meant', async (args, command) => {
    expectUsageError(await cli(...args), /^mail-autoconfig: unknown option --confg \(did you mean --config\?\)$/, command);
  }, 60_000);

  test('npm start with a misspelt option', async () => {
    expectUsageError(await run(build.mainJs, ['--confg', SHIPPED_CONFIG]), /^mail-autoconfig: unknown option --confg/, 'serve');
  }, 60_000);

  test('serve with an argument it does not take, or --config without a directory', async () => {
    const [extra, missing, empty] = await Promise.all([cli('serve', 'config'), cli('serve', '--config'), cli('--config=')]);
    expectUsageError(extra, /^mail-autoconfig: unexpected argument "config"$/, 'serve');
    expectUsageError(missing, /^mail-autoconfig: Option '--config <value>' argument missing$/, 'serve');
    expectUsageError(empty, /^mail-autoconfig: --config needs a directory$/, 'serve');
  }, 60_000);
});

describe('print and exit 0, no server', () => {
  test.each([['--version'], ['-V'], ['serve', '--version'], ['--config', SHIPPED_CONFIG, '-V']])('%j prints the package version', async (...args) => {
    const finished = await cli(...args);
    expect(finished).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '', listened: false });
  }, 60_000);

  test('npm start --version', async () => {
    expect(await run(build.mainJs, ['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '', listened: false });
  }, 60_000);

  test('--help and -h: the overview, and each command’s own usage', async () => {
    const overview = await Promise.all([cli('--help'), cli('-h'), cli('help')]);
    for (const finished of overview) {
      expect(finished).toMatchObject({ code: 0, stderr: '', listened: false });
      expect(finished.stdout).toMatch(/^usage: mail-autoconfig \[command\] \[options\]\n/);
      for (const command of ['serve', 'check', 'dns', 'probe', 'import', 'export']) expect(finished.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    for (const command of ['serve', 'check', 'dns', 'probe', 'import', 'export']) {
      const finished = await Promise.all([cli(command, '--help'), cli(command, '-h'), cli('help', command)]);
      for (const { code, stdout, stderr, listened } of finished) {
        expect({ code, stderr, listened }).toEqual({ code: 0, stderr: '', listened: false });
        expect(stdout).toMatch(new RegExp(`^usage: mail-autoconfig ${command} `));
      }
    }
    const npmStartHelp = await run(build.mainJs, ['--help']);
    expect(npmStartHelp).toMatchObject({ code: 0, stderr: '', listened: false });
    expect(npmStartHelp.stdout).toMatch(/^usage: mail-autoconfig serve /);
  }, 120_000);
});

describe('serve', () => {
  let occupier: Server | undefined;
  afterEach(() => {
    occupier?.close();
    occupier = undefined;
  });
  async function occupiedPort(): Promise<number> {
    const server = createServer();
    occupier = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  test('a port in use is one line on stderr and exit 1, no stack trace', async () => {
    const port = await occupiedPort();
    const finished = await runServerToExit(build, ['--config', config.dir], { PORT: String(port) }, EXIT_WITHIN_MS);
    expect(finished).toEqual({ code: 1, stderr: `mail-autoconfig: cannot listen on 127.0.0.1:${port}: the port is in use\n` });
  }, 60_000);

  test('so is a metrics port in use, even though the main port was free', async () => {
    const port = await occupiedPort();
    const finished = await runServerToExit(build, ['--config', config.dir], { METRICS_PORT: String(port) }, EXIT_WITHIN_MS);
    expect(finished).toEqual({ code: 1, stderr: `mail-autoconfig: cannot listen on 127.0.0.1:${port}: the port is in use\n` });
  }, 60_000);

  test('an admin’s configuration: the log names the absolute config directory, the counts and the address; no examples warning', async () => {
    // Relative to the working directory, as an admin would type it; the log resolves it.
    const server = await startServerProcess(build, path.relative(REPO_ROOT, config.dir));
    try {
      const entries = server.log.map((line) => safeJson(line)).filter((entry) => entry !== undefined);
      expect(entries.find((entry) => entry.msg === 'listening')).toMatchObject({
        configDir: config.dir,
        providers: 1,
        domains: 1,
        address: { address: '127.0.0.1', port: server.port },
      });
      expect(entries.filter((entry) => (entry.level as number) >= 40)).toEqual([]);
      expect(server.log.join('')).not.toMatch(/example providers/);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 60_000);

  test('the shipped configuration: served, with a warning naming the example files', async () => {
    const server = await startServerProcess(build, SHIPPED_CONFIG);
    try {
      const entries = server.log.map((line) => safeJson(line)).filter((entry) => entry !== undefined);
      const warnings = entries.filter((entry) => entry.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/^serving the example providers shipped with mail-autoconfig, which are not for production: put your own provider files in /);
      expect((warnings[0]!.files as string[]).map((file) => path.basename(file)).sort()).toEqual(['example.yaml', 'hotmail.yaml']);
      expect(entries.find((entry) => entry.msg === 'listening')).toMatchObject({ configDir: SHIPPED_CONFIG, providers: 2, domains: 13 });
      const res = await fetch(`http://127.0.0.1:${server.port}/mail/config-v1.1.xml?emailaddress=a%40hotmail.com`);
      expect(res.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 60_000);

  test('MAIL_AUTOCONFIG_ALLOW_EXAMPLES: false refuses the shipped configuration in one line; true serves it without the warning', async () => {
    const refused = await runServerToExit(build, ['--config', SHIPPED_CONFIG], { MAIL_AUTOCONFIG_ALLOW_EXAMPLES: 'false' }, EXIT_WITHIN_MS);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^mail-autoconfig: refusing to serve the example providers shipped with mail-autoconfig \(.*example\.yaml, .*hotmail\.yaml\): .*MAIL_AUTOCONFIG_ALLOW_EXAMPLES=true.*\n$/);
    expect(refused.stderr.split('\n')).toHaveLength(2);

    const unclear = await runServerToExit(build, ['--config', SHIPPED_CONFIG], { MAIL_AUTOCONFIG_ALLOW_EXAMPLES: 'perhaps' }, EXIT_WITHIN_MS);
    expect(unclear).toEqual({ code: 1, stderr: 'mail-autoconfig: MAIL_AUTOCONFIG_ALLOW_EXAMPLES must be true or false, got "perhaps"\n' });

    // An admin's configuration is never refused.
    const own = await startServerProcess(build, config.dir, { MAIL_AUTOCONFIG_ALLOW_EXAMPLES: 'false' });
    own.child.kill('SIGTERM');
    expect(await own.exited).toBe(0);

    const allowed = await startServerProcess(build, SHIPPED_CONFIG, { MAIL_AUTOCONFIG_ALLOW_EXAMPLES: 'true' });
    try {
      const entries = allowed.log.map((line) => safeJson(line)).filter((entry) => entry !== undefined);
      expect(entries.filter((entry) => (entry.level as number) >= 40)).toEqual([]);
      expect(entries.find((entry) => entry.msg === 'listening')).toMatchObject({ providers: 2 });
    } finally {
      allowed.child.kill('SIGTERM');
      expect(await allowed.exited).toBe(0);
    }
  }, 90_000);

  test('every provider file shipped in config/ carries the example marker, so none is served unannounced', () => {
    const dir = path.join(SHIPPED_CONFIG, 'providers');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect([file, isExampleProvider(readFileSync(path.join(dir, file), 'utf8'))]).toEqual([file, true]);
  });
});
