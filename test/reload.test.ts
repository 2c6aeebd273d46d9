/**
 * Configuration reloads: a broken reload keeps the last good configuration and shows on
 * /healthz; changes to the directory are picked up (debounced); and requests fired
 * continuously across good and bad reloads all get complete answers from one config.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { BROKEN_PROVIDERS, TEST_DOMAIN, makeConfigDir, taggedProvider, type ConfigDir } from './support/config-dir';
import { parseXml } from './support/app';
import { eventually } from './support/eventually';
import { poxRequestXml, startTestServer, type TestServer } from './support/raw-http';

let config: ConfigDir;
let server: TestServer | undefined;
beforeEach(async () => {
  config = await makeConfigDir(taggedProvider('a'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await config.remove();
});

const ADDRESS = `fred@${TEST_DOMAIN}`;

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${server!.port}${path}`);
  return { status: res.status, text: await res.text() };
}

async function health(): Promise<Record<string, any>> {
  const res = await get('/healthz');
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as Record<string, any>;
}

/** The variant tag in the Mozilla answer for ADDRESS. */
async function servedVariant(): Promise<string> {
  const res = await get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(ADDRESS)}`);
  expect(res.status).toBe(200);
  return variantOf(parseXml(res.text).clientConfig.emailProvider.incomingServer[0].hostname);
}

function variantOf(hostname: string): string {
  return /^(?:imap|smtp)-(\w+)\./.exec(hostname)?.[1] ?? `unexpected host ${hostname}`;
}

/** A logger whose lines the test reads, and the problems of its failed reloads. */
function capturedLog() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }));
  const reloadProblems = () =>
    lines
      .map((line) => JSON.parse(line) as { msg: string; problems?: Record<string, unknown>[] })
      .filter((entry) => entry.msg.startsWith('configuration reload failed'))
      .map((entry) => entry.problems);
  return { lines, logger, reloadProblems };
}

test.each(Object.entries(BROKEN_PROVIDERS))(
  'a reload that fails (%s) keeps the last good configuration, says degraded on /healthz and logs the problem',
  async (_kind, broken) => {
    const log = capturedLog();
    server = await startTestServer({ configDir: config.dir }, log.logger);
    expect(await health()).toEqual({ status: 'ok', providers: 1, domains: 1 });

    await config.writeProvider(broken);
    expect(await server.running.reload()).toBe(false);
    expect(await servedVariant()).toBe('a');
    const [problems] = log.reloadProblems();
    expect(problems!.length).toBeGreaterThan(0);
    for (const problem of problems!) {
      expect(problem).toEqual({ file: expect.stringMatching(/providers\/provider\.yaml$/), line: expect.any(Number), column: expect.any(Number), field: expect.any(String), message: expect.any(String) });
    }
    // Counts only: what the problems are is for the log, not for anyone who can reach /healthz.
    expect(await health()).toEqual({ status: 'degraded', providers: 1, domains: 1, reloadProblems: problems!.length });

    // A good reload clears the error.
    await config.writeProvider(taggedProvider('b'));
    expect(await server.running.reload()).toBe(true);
    expect(await servedVariant()).toBe('b');
    expect(await health()).toEqual({ status: 'ok', providers: 1, domains: 1 });
  },
);

test('the logged error names the file and the field', async () => {
  const log = capturedLog();
  server = await startTestServer({ configDir: config.dir }, log.logger);
  await config.writeProvider(BROKEN_PROVIDERS.badPort);
  await server.running.reload();
  expect(log.reloadProblems()).toEqual([[expect.objectContaining({ field: 'incoming[0].port' })]]);
});

test('a change in the config directory is reloaded after a quiet time, once per burst of writes', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }));
  server = await startTestServer({ configDir: config.dir, watchConfig: true, reloadDebounceMs: 500 }, logger);
  const reloads = () => lines.filter((line) => line.includes('configuration reload')).length;

  // Twenty writes in quick succession, as an editor or a deployment might make.
  for (let i = 0; i < 20; i += 1) await config.writeProvider(taggedProvider(i === 19 ? 'b' : `draft${i}`));
  await eventually(async () => (await servedVariant()) === 'b');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(reloads()).toBeGreaterThanOrEqual(1);
  expect(reloads()).toBeLessThanOrEqual(3);

  // A broken file is noticed too, and reported, while b is still served.
  await config.writeProvider(BROKEN_PROVIDERS.yamlSyntax);
  await eventually(async () => (await health()).status === 'degraded');
  expect(await servedVariant()).toBe('b');
  expect(lines.some((line) => line.includes('configuration reload failed') && line.includes('provider.yaml'))).toBe(true);
});

test('requests fired continuously across good and bad reloads all get a complete answer from one configuration', async () => {
  server = await startTestServer({ configDir: config.dir });
  const seen = new Set<string>();
  const failures: string[] = [];
  let answered = 0;
  let firing = true;

  const poxBody = poxRequestXml(ADDRESS);
  const base = `http://127.0.0.1:${server.port}`;
  const askOnce = async (kind: number): Promise<void> => {
    try {
      let hosts: string[];
      if (kind % 2 === 0) {
        const res = await fetch(`${base}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(ADDRESS)}`);
        if (res.status !== 200) throw new Error(`Mozilla status ${res.status}`);
        const provider = parseXml(await res.text()).clientConfig.emailProvider;
        hosts = [...provider.incomingServer, ...provider.outgoingServer].map((server: { hostname: string }) => server.hostname);
      } else {
        const res = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: poxBody, headers: { 'Content-Type': 'text/xml' } });
        if (res.status !== 200) throw new Error(`POX status ${res.status}`);
        const account = parseXml(await res.text()).Autodiscover.Response.Account;
        hosts = account.Protocol.map((protocol: { Server: string }) => protocol.Server);
      }
      const variants = new Set(hosts.map(variantOf));
      // Complete (an incoming and an outgoing server) and from a single configuration.
      if (hosts.length !== 2 || variants.size !== 1) throw new Error(`mixed or incomplete answer: ${hosts.join(', ')}`);
      const [variant] = variants as unknown as [string];
      if (!['a', 'b', 'c'].includes(variant)) throw new Error(`answer from no good configuration: ${variant}`);
      seen.add(variant);
      answered += 1;
    } catch (error) {
      failures.push((error as Error).message);
    }
  };
  const workers = [0, 1, 2, 3].map(async (worker) => {
    for (let i = worker; firing; i += 1) await askOnce(i);
  });

  const sequence = [
    taggedProvider('b'),
    BROKEN_PROVIDERS.badPort,
    taggedProvider('c'),
    BROKEN_PROVIDERS.yamlSyntax,
    BROKEN_PROVIDERS.unknownField,
    taggedProvider('a'),
    taggedProvider('b'),
    BROKEN_PROVIDERS.badPort,
  ];
  const outcomes: boolean[] = [];
  for (const text of sequence) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    await config.writeProvider(text);
    outcomes.push(await server.running.reload());
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  firing = false;
  await Promise.all(workers);

  expect(outcomes).toEqual([true, false, true, false, false, true, true, false]);
  expect(failures).toEqual([]);
  expect(answered).toBeGreaterThan(100);
  expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  expect(await servedVariant()).toBe('b');
}, 20_000);
