/**
 * `mail-autoconfig probe` against POP3/IMAP/SMTP servers this test starts on 127.0.0.1,
 * with a test CA. Every host name of the test configuration is mapped to 127.0.0.1 with
 * --connect-to, so nothing but loopback is ever contacted.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runCommand } from '../src/cli/index';
import { CERTIFICATES, TEST_CA_FILE, closedPort, startMailServer, type MailTestServer } from './support/mail-servers';

const LOOPBACK = '127.0.0.1';
let configDir: string;
let servers: MailTestServer[] = [];
const hostnames: string[] = [];

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: {} });
  return { code, stdout, stderr };
}

function probeArgs(subject: string, ...extra: string[]): string[] {
  return ['probe', subject, '--config', configDir, '--ca', TEST_CA_FILE, ...hostnames.flatMap((host) => ['--connect-to', `${host}=${LOOPBACK}`]), ...extra];
}

beforeAll(async () => {
  const start = async (options: Parameters<typeof startMailServer>[0]) => {
    const server = await startMailServer(options);
    servers.push(server);
    return server.port;
  };
  const ports = {
    imaps: await start({ protocol: 'imap', security: 'implicit' }),
    pop3Starttls: await start({ protocol: 'pop3', security: 'starttls' }),
    imapStarttls: await start({ protocol: 'imap', security: 'starttls' }),
    smtpStarttls: await start({ protocol: 'smtp', security: 'starttls', authMechanisms: ['PLAIN', 'LOGIN'] }),
    pop3s: await start({ protocol: 'pop3', security: 'implicit' }),
    smtpsExpired: await start({ protocol: 'smtp', security: 'implicit', certificate: CERTIFICATES.expired() }),
    silent: await start({ protocol: 'imap', security: 'silent' }),
    closed: await closedPort(),
  };
  const good = {
    id: 'good.example',
    domains: ['good.example'],
    incoming: [
      { type: 'imap', hostname: 'imap.probe.test', port: ports.imaps, socketType: 'SSL' },
      { type: 'pop3', hostname: 'pop.probe.test', port: ports.pop3Starttls, socketType: 'STARTTLS' },
      { type: 'imap', hostname: 'imap2.probe.test', port: ports.imapStarttls, socketType: 'STARTTLS' },
    ],
    outgoing: [{ type: 'smtp', hostname: 'smtp.probe.test', port: ports.smtpStarttls, socketType: 'STARTTLS' }],
  };
  const bad = {
    id: 'bad.example',
    domains: ['bad.example'],
    incoming: [
      { type: 'pop3', hostname: 'closed.probe.test', port: ports.closed, socketType: 'SSL' },
      // The valid *.probe.test certificate, reached under a name it does not cover.
      { type: 'pop3', hostname: 'mail.other.test', port: ports.pop3s, socketType: 'SSL' },
      { type: 'imap', hostname: 'silent.probe.test', port: ports.silent, socketType: 'STARTTLS' },
    ],
    outgoing: [{ type: 'smtp', hostname: 'expired.probe.test', port: ports.smtpsExpired, socketType: 'SSL' }],
  };
  configDir = await mkdtemp(path.join(os.tmpdir(), 'mail-autoconfig-probe-'));
  await mkdir(path.join(configDir, 'providers'));
  for (const provider of [good, bad]) {
    await writeFile(path.join(configDir, 'providers', `${provider.id}.yaml`), YAML.stringify(provider));
    hostnames.push(...[...provider.incoming, ...provider.outgoing].map((server) => server.hostname));
  }
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  await rm(configDir, { recursive: true, force: true });
});

test('every server of a healthy provider: TLS as configured, trusted certificate, greeting, SMTP AUTH', async () => {
  const { code, stdout } = await run(...probeArgs('fred@good.example', '--json'));
  const report = JSON.parse(stdout);
  expect(report.domain).toBe('good.example');
  const byHost = Object.fromEntries(report.servers.map((server: any) => [server.hostname, server]));
  expect(Object.keys(byHost)).toEqual(['imap.probe.test', 'pop.probe.test', 'imap2.probe.test', 'smtp.probe.test']);
  for (const server of report.servers) {
    expect(server).toMatchObject({ tcp: { ok: true }, tls: { ok: true }, greeting: { ok: true }, problems: [] });
    expect(server.tls.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(server.certificate).toMatchObject({ subject: 'probe.test', issuer: 'mail-autoconfig test CA', trusted: true, matchesHostname: true });
    expect(server.certificate.daysLeft).toBeGreaterThan(365);
  }
  expect(byHost['imap.probe.test'].greeting.line).toMatch(/^\* OK/);
  expect(byHost['pop.probe.test'].greeting.line).toMatch(/^\+OK/);
  expect(byHost['smtp.probe.test'].greeting.line).toMatch(/^220 /);
  expect(byHost['smtp.probe.test'].authMechanisms).toEqual(['PLAIN', 'LOGIN']);
  expect(code).toBe(0);
});

test('a closed port, a certificate for another name, a silent server and an expired certificate are each reported', async () => {
  const { code, stdout } = await run(...probeArgs('bad.example', '--json', '--timeout', '300'));
  expect(code).toBe(1);
  const byHost = Object.fromEntries(JSON.parse(stdout).servers.map((server: any) => [server.hostname, server]));

  const closed = byHost['closed.probe.test'];
  expect(closed.tcp.ok).toBe(false);
  expect(closed.tcp.error).toMatch(/ECONNREFUSED/);
  expect(closed.tls).toBeUndefined();

  const otherName = byHost['mail.other.test'];
  expect(otherName.certificate).toMatchObject({ trusted: true, matchesHostname: false });
  expect(otherName.problems).toEqual([expect.stringMatching(/certificate does not cover mail\.other\.test/)]);

  const silent = byHost['silent.probe.test'];
  expect(silent.tcp.ok).toBe(true);
  expect(silent.greeting).toEqual({ ok: false, error: 'no answer within 300 ms' });

  const expired = byHost['expired.probe.test'];
  expect(expired.tls.ok).toBe(true);
  expect(expired.certificate).toMatchObject({ trusted: false, trustError: 'CERT_HAS_EXPIRED', matchesHostname: true, validTo: '2001-01-01T00:00:00.000Z' });
  expect(expired.certificate.daysLeft).toBeLessThan(0);
  expect(expired.problems).toEqual(expect.arrayContaining(['certificate expired on 2001-01-01T00:00:00.000Z']));
  expect(expired.greeting.ok).toBe(true);
});

test('the text report names each server and its problems', async () => {
  const { code, stdout } = await run(...probeArgs('bad.example', '--timeout', '300'));
  expect(code).toBe(1);
  expect(stdout).toContain('incoming pop3 closed.probe.test:');
  expect(stdout).toMatch(/outgoing smtp expired\.probe\.test:\d+ SSL: FAILED\n/);
  expect(stdout).toMatch(/problem: certificate not trusted: CERT_HAS_EXPIRED/);
});

test('without the test CA the certificates are not trusted', async () => {
  const args = probeArgs('good.example', '--json').filter((arg) => arg !== TEST_CA_FILE && arg !== '--ca');
  const { code, stdout } = await run(...args);
  expect(code).toBe(1);
  const first = JSON.parse(stdout).servers[0];
  expect(first.certificate.trusted).toBe(false);
  expect(first.problems[0]).toMatch(/certificate not trusted/);
});

test('bad command lines are usage errors, not crashes', async () => {
  expect((await run('probe')).code).toBe(2);
  expect((await run('probe', 'not a domain!', '--config', configDir)).code).toBe(2);
  expect((await run('probe', 'good.example', '--config', configDir, '--connect-to', 'imap.probe.test')).code).toBe(2);
  expect((await run('probe', 'good.example', '--config', configDir, '--timeout', '0')).code).toBe(2);
  const unknown = await run('probe', 'unhosted.example', '--config', configDir);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('unhosted.example is not hosted');
});
