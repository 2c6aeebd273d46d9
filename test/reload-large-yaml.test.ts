/**
 * One large YAML provider file is parsed on the parser thread: a reload of it keeps
 * answering requests while the file is parsed (counted, never timed: the machine may be
 * busy), its errors name the same file:line:column as a small file's, and a parser thread
 * that crashes or hangs makes the reload fail with the file named while the last good
 * configuration is served on.
 */
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError, formatProblem } from '../src/config/errors';
import { loadProviders } from '../src/config/load-providers';
import { OFF_THREAD_MIN_YAML_LENGTH, YamlParserThread } from '../src/config/read-yaml-off-thread';
import { TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { startTestServer, type TestServer } from './support/raw-http';

/** About 700 KB, in the range of a hoster's largest file (the limit is 1 MiB). */
const DOMAINS = 20_000;
const LARGE_FILE = 'hoster.yaml';
/** As problems name it: relative to the working directory when inside it, as the loader does. */
function shownAs(config: ConfigDir): string {
  const file = path.join(config.dir, 'providers', LARGE_FILE);
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/** A hoster's provider file, one domain a line; `tail` is appended after its last server. */
function hosterYaml(tail = ''): string {
  const domains = Array.from({ length: DOMAINS }, (_, index) => `  - customer-${index}.hoster.example\n`).join('');
  const server = (type: string, port: number) =>
    `  - type: ${type}\n    hostname: ${type}.hoster.example\n    port: ${port}\n    socketType: SSL\n    username: "%EMAILADDRESS%"\n    authentication: [password-cleartext]\n`;
  return `id: hoster.example\ndisplayName: Hoster\ndomains:\n${domains}incoming:\n${server('imap', 993)}outgoing:\n${server('smtp', 465)}${tail}`;
}

/** 1-based line number of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

function collectingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }));
  const reloadProblems = () =>
    lines
      .map((line) => JSON.parse(line) as { msg: string; problems?: Parameters<typeof formatProblem>[0][] })
      .filter((entry) => entry.msg.startsWith('configuration reload failed'))
      .map((entry) => entry.problems!);
  return { logger, reloadProblems };
}

/** One GET on a connection of its own; resolves with the status and body. */
function get(server: TestServer, requestPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path: requestPath, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

const autoconfig = (domain: string) => `/mail/config-v1.1.xml?emailaddress=fred%40${domain}`;

test('the generated file is large enough to be parsed on the thread', () => {
  expect(hosterYaml().length).toBeGreaterThan(OFF_THREAD_MIN_YAML_LENGTH * 4);
});

describe('a reload of one large YAML file', () => {
  let config: ConfigDir;
  let server: TestServer;
  const log = collectingLogger();
  beforeAll(async () => {
    config = await makeConfigDir(taggedProvider('a'));
    server = await startTestServer({ configDir: config.dir }, log.logger);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await config?.remove();
  });

  test('keeps answering requests while the file is parsed, then serves its domains', async () => {
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), hosterYaml());
    const latencies: number[] = [];
    const started = performance.now();
    let reloading = true;
    const reload = server.running.reload().finally(() => (reloading = false));
    while (reloading) {
      const sent = performance.now();
      const { status, body } = await get(server, autoconfig(TEST_DOMAIN));
      expect(status).toBe(200);
      expect(body).toContain(`imap-a.${TEST_DOMAIN}`);
      latencies.push(performance.now() - sent);
    }
    expect(await reload).toBe(true);
    const reloadMs = Math.round(performance.now() - started);
    const maxMs = Math.round(Math.max(...latencies));
    process.stdout.write(`large YAML reload: ${JSON.stringify({ domains: DOMAINS, characters: hosterYaml().length, reloadMs, answeredDuringReload: latencies.length, slowestAnswerMs: maxMs })}\n`);
    // Parsed inline, the file held every request up: the few answered (4 when measured) slipped in
    // during the reads before the parse. On the thread, requests are answered throughout the parse.
    expect(latencies.length).toBeGreaterThan(15);

    const last = await get(server, autoconfig(`customer-${DOMAINS - 1}.hoster.example`));
    expect(last.status).toBe(200);
    expect(last.body).toContain('imap.hoster.example');
  }, 60_000);

  test('a mistake near the end of the file is reported at its exact line and column, and the last good configuration is served', async () => {
    const text = hosterYaml().replace('port: 465', 'port: 99999');
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), text);
    expect(await server.running.reload()).toBe(false);
    const problems = log.reloadProblems().at(-1)!;
    // Column 5: the key `port` under `  - type: smtp`.
    expect(problems.map(formatProblem)).toEqual([`${shownAs(config)}:${lineOf(text, 'port: 99999')}:5: outgoing[0].port: must be 1..65535, got 99999`]);
    const still = await get(server, autoconfig(`customer-${DOMAINS - 1}.hoster.example`));
    expect(still.status).toBe(200);
  }, 60_000);

  test('a syntax error near the end of the file is reported at its exact line and column', async () => {
    const text = hosterYaml('extra: [unclosed\n');
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), text);
    expect(await server.running.reload()).toBe(false);
    const [problem, ...others] = log.reloadProblems().at(-1)!;
    expect(others).toEqual([]);
    const line = lineOf(text, 'extra: [unclosed');
    expect(formatProblem(problem!)).toMatch(new RegExp(`^${shownAs(config).replace(/[.]/g, '\\.')}:(${line}|${line + 1}):\\d+: YAML syntax error: `));
    // The same place and words as a small file with the same mistake gets.
    const small = `${taggedProvider('small')}extra: [unclosed\n`;
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), small);
    expect(await server.running.reload()).toBe(false);
    const [smallProblem] = log.reloadProblems().at(-1)!;
    const smallLine = lineOf(small, 'extra: [unclosed');
    expect({ ...problem, line: problem!.line! - line }).toEqual({ ...smallProblem, line: smallProblem!.line! - smallLine });
    expect((await get(server, autoconfig(TEST_DOMAIN))).status).toBe(200);
  }, 60_000);

  test('a duplicate domain near the end is located in both large files', async () => {
    const text = hosterYaml();
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), text);
    await writeFile(path.join(config.dir, 'providers', `z-${LARGE_FILE}`), text.replace('id: hoster.example', 'id: other.example').replace(/customer-\d+\.hoster/g, (name) => (name === `customer-${DOMAINS - 1}.hoster` ? name : `other-${name}`)));
    try {
      expect(await server.running.reload()).toBe(false);
      const problems = log.reloadProblems().at(-1)!;
      const line = lineOf(text, `customer-${DOMAINS - 1}.hoster.example`);
      const zShownAs = shownAs(config).replace(LARGE_FILE, `z-${LARGE_FILE}`);
      expect(problems.map(formatProblem)).toEqual([
        `${zShownAs}:${line}:5: domains[${DOMAINS - 1}]: domain customer-${DOMAINS - 1}.hoster.example is already claimed by ${shownAs(config)}:${line}:5 (provider hoster.example); a domain belongs to one provider: remove it from one of the two files`,
      ]);
    } finally {
      await writeFile(path.join(config.dir, 'providers', `z-${LARGE_FILE}`), taggedProvider('z').replace(`domains: [${TEST_DOMAIN}]`, 'domains: [z.example]').replace(`id: ${TEST_DOMAIN}`, 'id: z.example'));
    }
  }, 60_000);
});

test('a large ISPDB file names the line of a mistake at its end (lines are found without rescanning the file per element)', async () => {
  const domains = Array.from({ length: DOMAINS }, (_, index) => `    <domain>customer-${index}.hoster.example</domain>`).join('\n');
  const server = (kind: string, type: string, port: number) =>
    `    <${kind} type="${type}">\n      <hostname>${type}.hoster.example</hostname>\n      <port>${port}</port>\n      <socketType>SSL</socketType>\n      <username>%EMAILADDRESS%</username>\n      <authentication>password-cleartext</authentication>\n    </${kind}>`;
  const text = `<?xml version="1.0"?>\n<clientConfig version="1.1">\n  <emailProvider id="hoster.example">\n${domains}\n${server('incomingServer', 'imap', 993)}\n${server('outgoingServer', 'smtp', 99999)}\n  </emailProvider>\n</clientConfig>\n`;
  const config = await makeConfigDir(taggedProvider('a'));
  const log = collectingLogger();
  const hosting = await startTestServer({ configDir: config.dir }, log.logger);
  try {
    await writeFile(path.join(config.dir, 'providers', 'hoster.xml'), text);
    expect(await hosting.running.reload()).toBe(false);
    const problems = log.reloadProblems().at(-1)!;
    expect(problems.map(formatProblem)).toEqual([`${shownAs(config).replace(LARGE_FILE, 'hoster.xml')}:${lineOf(text, '<port>99999')}: clientConfig/emailProvider/outgoingServer/port (outgoing[0].port): must be 1..65535, got 99999`]);
    expect((await get(hosting, autoconfig(TEST_DOMAIN))).status).toBe(200);
  } finally {
    await hosting.close();
    await config.remove();
  }
}, 60_000);

describe('a parser thread that fails', () => {
  let config: ConfigDir;
  beforeAll(async () => {
    config = await makeConfigDir(taggedProvider('a'));
    await writeFile(path.join(config.dir, 'providers', LARGE_FILE), hosterYaml());
  });
  afterAll(() => config?.remove());

  const problemsOf = async (thread: YamlParserThread) => {
    const error = await loadProviders(config.dir, undefined, thread).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map(formatProblem);
  };

  test('by taking too long is stopped, and the file is named as not loaded', async () => {
    const thread = new YamlParserThread({ timeoutMs: 1 });
    try {
      expect(await problemsOf(thread)).toEqual([`${shownAs(config)}: not loaded: the YAML parser took longer than 0.001 s and was stopped`]);
    } finally {
      await thread.close();
    }
  }, 60_000);

  test('by running out of memory names the file; the next load starts a new thread', async () => {
    const thread = new YamlParserThread({ resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } });
    try {
      const [problem, ...others] = await problemsOf(thread);
      expect(others).toEqual([]);
      expect(problem).toMatch(new RegExp(`^${shownAs(config).replace(/[.]/g, '\\.')}: not loaded: the YAML parser thread failed: .*memory`));
    } finally {
      await thread.close();
    }
    const healthy = new YamlParserThread();
    try {
      const loaded = await loadProviders(config.dir, undefined, healthy);
      expect(loaded.find((provider) => provider.definition.id === 'hoster.example')!.definition.domains).toHaveLength(DOMAINS);
    } finally {
      await healthy.close();
    }
  }, 60_000);
});
