import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { runCommand } from '../src/cli/index';
import { loadProviderDirectory } from '../src/config/load';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { SHIPPED_CONFIG, shippedApp } from './support/app';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
  return { code, stdout, stderr };
}

let tempDirs: string[] = [];
async function configWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mail-autoconfig-cli-'));
  tempDirs.push(dir);
  await cp(path.join(SHIPPED_CONFIG, 'providers'), path.join(dir, 'providers'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}
afterEach(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs = [];
});

describe('every command', () => {
  test.each(['serve', 'check', 'dns', 'probe'])('%s --help prints its usage, with --config, and exits 0', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: mail-autoconfig ${command}`));
    expect(stdout).toContain('--config DIR');
  });

  test('the overview lists the commands', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'check', 'dns', 'probe']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  test.each([
    ['frobnicate'],
    ['check', '--no-such-option'],
    ['check', 'extra'],
    ['serve', '--confg', 'x'],
    ['serve', 'extra'],
    ['--version', 'extra'],
    ['help', 'frobnicate'],
    ['dns'],
    ['dns', 'example.net', 'extra'],
  ])('%s … is a usage error (exit 2)', async (...argv) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: mail-autoconfig');
  });

  test('a missing config directory is exit 1 with the path, for each command that reads one', async () => {
    for (const argv of [['check'], ['dns', 'example.com', '--target', 'h.example'], ['probe', 'example.com']]) {
      const { code, stderr } = await run([...argv, '--config', '/nonexistent/mail-autoconfig']);
      expect(code).toBe(1);
      expect(stderr).toContain('/nonexistent/mail-autoconfig/providers: cannot read directory');
    }
  });
});

describe('check', () => {
  test('the shipped configuration is valid, with a summary', async () => {
    const { code, stdout } = await run(['check', '--config', SHIPPED_CONFIG]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/providers[/\\]example\.yaml: example\.com \(example\.com, example\.net\)/);
    expect(stdout).toMatch(/^ok: 2 providers, 13 domains, 0 warnings$/m);
  });

  test('MAIL_AUTOCONFIG_CONFIG is the default directory', async () => {
    const dir = await configWith({});
    const { code, stdout } = await run(['check'], { MAIL_AUTOCONFIG_CONFIG: dir });
    expect(code).toBe(0);
    expect(stdout).toContain(dir);
  });

  test('warns about plaintext, OAuth2 without a password, STARTTLS before implicit TLS, and port 25 first', async () => {
    const dir = await configWith({
      'providers/risky.yaml': [
        'id: risky.example',
        'domains: [risky.example]',
        'incoming:',
        '  - { type: imap, hostname: imap.risky.example, socketType: STARTTLS }',
        '  - { type: imap, hostname: imap.risky.example, socketType: SSL, authentication: [OAuth2] }',
        '  - { type: pop3, hostname: pop.risky.example, socketType: plain }',
        'outgoing:',
        '  - { type: smtp, hostname: smtp.risky.example, port: 25, socketType: STARTTLS }',
        '',
      ].join('\n'),
    });
    const { code, stdout } = await run(['check', '--config', dir]);
    expect(code).toBe(0);
    const warnings = stdout.split('\n').filter((line) => line.startsWith('  warning: '));
    expect(warnings).toEqual([
      expect.stringMatching(/risky\.yaml: incoming\[0\]: imap imap\.risky\.example:143 uses STARTTLS but is listed before implicit TLS \(incoming\[1\]\)/),
      expect.stringMatching(/incoming\[1\]: imap imap\.risky\.example:993 offers OAuth2 without a password fallback/),
      expect.stringMatching(/incoming\[1\]: .* lists OAuth2 but the provider has no oAuth2 section/),
      expect.stringMatching(/incoming\[2\]: pop3 pop\.risky\.example:110 is unencrypted/),
      expect.stringMatching(/outgoing\[0\]: smtp smtp\.risky\.example:25 is the first SMTP choice/),
    ]);
    expect(stdout).toMatch(/^ok: 3 providers, 14 domains, 5 warnings$/m);
    expect((await run(['check', '--strict', '--config', dir])).code).toBe(1);
  });

  test('errors name file and field and exit 1', async () => {
    const dir = await configWith({ 'providers/broken.yaml': 'id: broken.example\ndomains: [broken.example]\nincoming: []\noutgoing: []\n' });
    const { code, stderr } = await run(['check', '--config', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.yaml:3:1: incoming: must list at least one incoming server/);
  });

  test('a broken settings.yaml is an error too', async () => {
    const dir = await configWith({ 'settings.yaml': 'trustProxy: my-proxy\n' });
    const { code, stderr } = await run(['check', '--config', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain('trustProxy');
  });
});

describe('dns', () => {
  /** BIND zone lines → records, checking the syntax a name server would insist on. */
  function parseZone(text: string) {
    return text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(';'))
      .map((line) => {
        const [name, ttl, klass, type, ...data] = line.split(/\s+/);
        expect(name).toMatch(/^(?:[_a-z0-9-]+\.)+$/);
        expect(Number(ttl)).toBeGreaterThan(0);
        expect(klass).toBe('IN');
        return { name, ttl: Number(ttl), type, data };
      });
  }
  function srv(records: ReturnType<typeof parseZone>, name: string) {
    return records
      .filter((record) => record.name === name)
      .map((record) => {
        expect(record.type).toBe('SRV');
        const [priority, weight, port, target] = record.data;
        for (const value of [priority, weight, port]) expect(Number(value)).toBeGreaterThanOrEqual(0);
        expect(Number(port)).toBeLessThanOrEqual(65535);
        expect(target).toMatch(/\.$/);
        return `${priority} ${weight} ${port} ${target}`;
      });
  }

  test('BIND records for a hosted domain: CNAMEs, autodiscover SRV, RFC 6186/8314 SRV with "." for what is not offered', async () => {
    const { code, stdout } = await run(['dns', 'example.net', '--target', 'autoconfig.hoster.example', '--config', SHIPPED_CONFIG]);
    expect(code).toBe(0);
    const records = parseZone(stdout);
    expect(records.filter((record) => record.type === 'CNAME').map((record) => [record.name, record.data[0]])).toEqual([
      ['autoconfig.example.net.', 'autoconfig.hoster.example.'],
      ['autodiscover.example.net.', 'autoconfig.hoster.example.'],
      ['ua-auto-config.example.net.', 'autoconfig.hoster.example.'],
    ]);
    expect(srv(records, '_autodiscover._tcp.example.net.')).toEqual(['0 0 443 autoconfig.hoster.example.']);
    // The PACC digest is of the exact bytes the server answers for that domain.
    const served = await request(await shippedApp()).get('/.well-known/user-agent-configuration.json').set('Host', 'ua-auto-config.example.net').expect(200);
    const digest = createHash('sha256').update(served.text).digest('base64');
    expect(records.filter((record) => record.type === 'TXT').map((record) => [record.name, record.data.join(' ')])).toEqual([
      ['_ua-auto-config.example.net.', `"v=UAAC1; a=sha256; d=${digest}"`],
    ]);
    expect(srv(records, '_imaps._tcp.example.net.')).toEqual(['0 0 993 imap.example.com.']);
    expect(srv(records, '_pop3s._tcp.example.net.')).toEqual(['1 0 995 pop.example.com.']);
    expect(srv(records, '_submissions._tcp.example.net.')).toEqual(['0 0 465 smtp.example.com.']);
    expect(srv(records, '_submission._tcp.example.net.')).toEqual(['1 0 587 smtp.example.com.']);
    expect(srv(records, '_imap._tcp.example.net.')).toEqual(['0 0 0 .']);
    expect(srv(records, '_pop3._tcp.example.net.')).toEqual(['0 0 0 .']);
    expect(records).toHaveLength(11);
  });

  test('preference order carries over; --json says the same as the zone lines', async () => {
    const zone = parseZone((await run(['dns', 'live.de', '--target', 'mx.hoster.example', '--config', SHIPPED_CONFIG])).stdout);
    expect(srv(zone, '_submission._tcp.live.de.')).toEqual(['0 0 587 smtp.live.com.', '1 0 25 smtp.live.com.']);
    expect(srv(zone, '_imaps._tcp.live.de.')).toEqual(['0 0 0 .']);
    expect(srv(zone, '_pop3s._tcp.live.de.')).toEqual(['0 0 995 pop3.live.com.']);

    const { code, stdout } = await run(['dns', 'live.de', '--target', 'mx.hoster.example', '--json', '--config', SHIPPED_CONFIG]);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ domain: 'live.de', provider: 'hotmail.com' });
    expect(json.records.map((record: any) => [record.name, record.type])).toEqual(zone.map((record) => [record.name, record.type]));
    expect(json.records.find((record: any) => record.name === '_pop3s._tcp.live.de.')).toEqual({
      name: '_pop3s._tcp.live.de.',
      ttl: 3600,
      type: 'SRV',
      priority: 0,
      weight: 0,
      port: 995,
      target: 'pop3.live.com.',
    });
  });

  test('an IP target gives A/AAAA records and an SRV target that is not an alias', async () => {
    const { stdout } = await run(['dns', 'live.de', '--target', '2001:db8::25', '--ttl', '300', '--config', SHIPPED_CONFIG]);
    const records = parseZone(stdout);
    expect(records.slice(0, 2).map((record) => [record.name, record.type, record.data[0], record.ttl])).toEqual([
      ['autoconfig.live.de.', 'AAAA', '2001:db8::25', 300],
      ['autodiscover.live.de.', 'AAAA', '2001:db8::25', 300],
    ]);
    expect(srv(records, '_autodiscover._tcp.live.de.')).toEqual(['0 0 443 autodiscover.live.de.']);
  });

  test('without --target the provider domain’s server is the target, except for that domain itself', async () => {
    const other = await run(['dns', 'live.de', '--config', SHIPPED_CONFIG]);
    expect(other.stdout).toMatch(/^autoconfig\.live\.de\.\t3600\tIN\tCNAME\tautoconfig\.hotmail\.com\.$/m);
    const own = await run(['dns', 'hotmail.com', '--config', SHIPPED_CONFIG]);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain('hotmail.com needs --target');
  });

  test('a domain PACC answers 404 for gets no ua-auto-config records, and a comment says why', async () => {
    const config = await configWith({
      'providers/starttls.yaml': [
        'id: starttls.example',
        'domains: [starttls.example]',
        'incoming:',
        '  - { type: imap, hostname: imap.starttls.example, port: 143, socketType: STARTTLS }',
        'outgoing:',
        '  - { type: smtp, hostname: smtp.starttls.example, port: 587, socketType: STARTTLS }',
        '',
      ].join('\n'),
    });
    const { code, stdout } = await run(['dns', 'starttls.example', '--target', 'autoconfig.hoster.example', '--config', config]);
    expect(code).toBe(0);
    const records = parseZone(stdout);
    expect(records.filter((record) => record.type === 'CNAME').map((record) => record.name)).toEqual(['autoconfig.starttls.example.', 'autodiscover.starttls.example.']);
    expect(records.filter((record) => record.name?.includes('ua-auto-config'))).toEqual([]);
    expect(srv(records, '_imap._tcp.starttls.example.')).toEqual(['0 0 143 imap.starttls.example.']);
    // Every printed record leads to an answer: the PACC name the record would point at is a 404 on the same configuration.
    const app = createApp({ providerDirectory: await loadProviderDirectory(config), settings: defaultSettings({ configDir: config }) });
    await request(app).get('/.well-known/user-agent-configuration.json').set('Host', 'ua-auto-config.starttls.example').expect(404);
    await request(app).get('/mail/config-v1.1.xml?emailaddress=jane%40starttls.example').set('Host', 'autoconfig.starttls.example').expect(200);
    const comments = stdout.split('\n').filter((line) => line.startsWith(';') && line.includes('ua-auto-config'));
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('ua-auto-config.starttls.example. _ua-auto-config.starttls.example.');
    expect(comments[0]).toMatch(/imap imap\.starttls\.example: STARTTLS: PACC clients use implicit TLS only/);
    expect(comments[0]).toMatch(/smtp smtp\.starttls\.example: STARTTLS: PACC clients use implicit TLS only/);

    const json = JSON.parse((await run(['dns', 'starttls.example', '--target', 'autoconfig.hoster.example', '--json', '--config', config])).stdout);
    expect(json.records.map((record: any) => record.name)).toEqual(records.map((record) => record.name));
    expect(json.leftOut).toEqual([{ names: ['ua-auto-config.starttls.example.', '_ua-auto-config.starttls.example.'], reason: expect.stringContaining('PACC can describe none') }]);
    // A domain PACC serves has nothing left out.
    expect(JSON.parse((await run(['dns', 'example.net', '--target', 'h.example', '--json', '--config', SHIPPED_CONFIG])).stdout).leftOut).toEqual([]);
  });

  test('unknown domains and bad options are clear errors', async () => {
    expect((await run(['dns', 'unhosted.example', '--target', 'h.example', '--config', SHIPPED_CONFIG])).code).toBe(1);
    expect((await run(['dns', 'example.net', '--target', 'not a host', '--config', SHIPPED_CONFIG])).code).toBe(2);
    expect((await run(['dns', 'example.net', '--ttl', '-5', '--config', SHIPPED_CONFIG])).code).toBe(2);
  });
});
