/**
 * Provider files: validation errors that name the file, the field and the problem,
 * duplicate domains naming both files, domain normalisation, and start-up refusing a
 * broken config with exit code 1.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatProblem } from '../src/config/errors';
import { loadProviders, parseProviderFile } from '../src/config/load-providers';
import { SHIPPED_CONFIG } from './support/app';
import { buildServer, runServerToExit, startServerProcess, type Build } from './support/server-process';

const VALID = `id: acme.example
domains: [acme.example]
incoming:
  - { type: imap, hostname: imap.acme.example, port: 993, socketType: SSL }
outgoing:
  - { type: smtp, hostname: smtp.acme.example, port: 465, socketType: SSL }
`;

function problemsOf(file: string, text: string): string[] {
  const result = parseProviderFile(file, text);
  return 'problems' in result ? result.problems.map(formatProblem) : [];
}

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-config-'));
  mkdirSync(path.join(dir, 'providers'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'providers', name), text);
  return dir;
}

describe('validation messages name the file, the field and the problem', () => {
  test.each([
    ['a port out of range', VALID.replace('port: 993', 'port: 99999'), 'config/providers/acme.yaml:4:48: incoming[0].port: must be 1..65535, got 99999'],
    ['a port that is not a number', VALID.replace('port: 993', 'port: imaps'), 'config/providers/acme.yaml:4:48: incoming[0].port: must be a number from 1 to 65535, got "imaps"'],
    ['an unknown socketType', VALID.replace('socketType: SSL }\noutgoing', 'socketType: TLS }\noutgoing'), 'config/providers/acme.yaml:4:59: incoming[0].socketType: must be one of SSL, STARTTLS, plain (exact case), got "TLS"; did you mean SSL or STARTTLS? SSL is implicit TLS, encrypted from the first byte (usually ports 993, 995, 465); STARTTLS connects in plain and then upgrades (usually 143, 110, 587)'],
    ['a lower-case socketType', VALID.replace('port: 465, socketType: SSL', 'port: 465, socketType: ssl'), 'config/providers/acme.yaml:6:59: outgoing[0].socketType: must be one of SSL, STARTTLS, plain (exact case), got "ssl"; did you mean SSL?'],
    ['an unknown server type', VALID.replace('type: imap', 'type: nntp'), 'config/providers/acme.yaml:4:7: incoming[0].type: must be imap or pop3 (other types go in otherIncoming), got "nntp"'],
    ['an unknown authentication', VALID.replace('socketType: SSL }\noutgoing', 'socketType: SSL, authentication: [password] }\noutgoing'), 'config/providers/acme.yaml:4:93: incoming[0].authentication[0]: must be one of password-cleartext, password-encrypted, NTLM, GSSAPI, client-IP-address, TLS-client-cert, OAuth2, none, smtp-after-pop, got "password"'],
    ['a misspelt field', VALID.replace('hostname: imap', 'host: imap.acme.example, hostname: imap'), 'config/providers/acme.yaml:4:19: incoming[0].host: unknown field; known fields here: type, hostname, port, socketType, username, authentication, saslMechanisms, useGlobalPreferredServer (see "Provider files" in docs/configuration.md)'],
    ['no domains', VALID.replace('domains: [acme.example]', 'domains: []'), 'config/providers/acme.yaml:2:1: domains: must list at least one domain'],
    ['an invalid domain', VALID.replace('domains: [acme.example]', 'domains: ["acme example"]'), 'config/providers/acme.yaml:2:11: domains[0]: not a valid domain name: "acme example"'],
    ['a non-hostname id', VALID.replace('id: acme.example', 'id: "Acme Mail!"'), 'config/providers/acme.yaml:1:1: id: must be hostname-shaped (usually the primary domain)'],
    ['no outgoing server', VALID.replace(/outgoing:[\s\S]*$/, 'outgoing: []\n'), 'config/providers/acme.yaml:5:1: outgoing: must list at least one outgoing server'],
    ['a bad host name', VALID.replace('hostname: imap.acme.example', 'hostname: "imap acme"'), 'config/providers/acme.yaml:4:19: incoming[0].hostname: must be a host name (letters, digits, hyphens and dots; placeholders allowed)'],
  ])('%s', (_name, text, message) => {
    expect(problemsOf('config/providers/acme.yaml', text)).toContain(message);
  });

  test('a YAML syntax error names the line', () => {
    const [problem] = problemsOf('config/providers/acme.yaml', `${VALID}incoming: [unclosed\n`);
    expect(problem).toMatch(/^config\/providers\/acme\.yaml:\d+:\d+: YAML syntax error: /);
    expect(problemsOf('a.yaml', 'id: a\nid: b\n')).toEqual(['a.yaml:2:1: YAML syntax error: Map keys must be unique; a field may appear once per entry: remove or merge the second one']);
  });

  test("YAML 1.2's core schema: a date-like name stays text, a merge key is just a key", () => {
    const result = parseProviderFile('a.yaml', VALID.replace('id: acme.example', 'id: acme.example\ndisplayName: 2024-01-01'));
    expect('definition' in result && result.definition.displayName).toBe('2024-01-01');
    expect(problemsOf('a.yaml', `${VALID}base: &b { x: 1 }\n<<: *b\n`).join('\n')).toMatch(/<<|base/);
  });

  test('a JSON syntax error is reported for .json files', () => {
    expect(problemsOf('config/providers/acme.json', '{"id": ')).toEqual(['config/providers/acme.json:1:8: JSON syntax error: Unexpected end of JSON input']);
  });

  test('defaults are applied once at load: ports, username, authentication, display name', () => {
    const result = parseProviderFile('x.yaml', `id: d.example
domains: [D.Example.]
incoming: [{ type: pop3, hostname: pop.d.example, socketType: STARTTLS }]
outgoing: [{ hostname: smtp.d.example, socketType: STARTTLS }, { hostname: smtp.d.example, socketType: plain }]
`);
    if ('problems' in result) throw new Error(JSON.stringify(result.problems));
    const { definition } = result;
    expect(definition.domains).toEqual(['d.example']);
    expect(definition.displayName).toBe('d.example');
    expect(definition.incoming[0]).toMatchObject({ port: 110, username: '%EMAILADDRESS%', authentication: ['password-cleartext'] });
    expect(definition.outgoing.map((server) => [server.type, server.port])).toEqual([['smtp', 587], ['smtp', 25]]);
  });
});

describe('loading a config directory', () => {
  test('two providers claiming one domain (in any case or form) is an error naming both files', async () => {
    const dir = configDir({
      'a.yaml': VALID,
      'b.json': JSON.stringify({
        id: 'b.example',
        domains: ['b.example', 'ACME.example'],
        incoming: [{ type: 'imap', hostname: 'imap.b.example', socketType: 'SSL' }],
        outgoing: [{ type: 'smtp', hostname: 'smtp.b.example', socketType: 'SSL' }],
      }),
    });
    const error = (await loadProviders(dir).catch((caught: unknown) => caught)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `${path.join(dir, 'providers', 'b.json')}:1:42: domains[1]: domain acme.example is already claimed by ${path.join(dir, 'providers', 'a.yaml')}:2:11 (provider acme.example); a domain belongs to one provider: remove it from one of the two files`,
    );
  });

  test('every problem in every file is reported at once', async () => {
    const dir = configDir({ 'a.yaml': VALID.replace('port: 993', 'port: 0'), 'b.yml': 'id: [', 'notes.txt': 'ignored' });
    const error = (await loadProviders(dir).catch((caught: unknown) => caught)) as ConfigError;
    expect(error.problems.map((p) => path.basename(p.file))).toEqual(['a.yaml', 'b.yml']);
  });

  test('an empty or missing providers directory is an error', async () => {
    await expect(loadProviders(configDir({}))).rejects.toThrow(/no provider files/);
    await expect(loadProviders('/nonexistent/config')).rejects.toThrow(/cannot read directory/);
  });

  test('the shipped config loads', async () => {
    const loaded = await loadProviders(SHIPPED_CONFIG);
    expect(loaded.map((provider) => provider.definition.id).sort()).toEqual(['example.com', 'hotmail.com']);
  });
});

describe('the server process', () => {
  // Compiling takes a few seconds on a busy machine: not part of any one test's time.
  let build: Build;
  beforeAll(async () => {
    build = await buildServer();
  }, 120_000);
  afterAll(() => build.remove());

  test('refuses to start on a broken config: exit 1, the message on stderr', async () => {
    const dir = configDir({ 'acme.yaml': VALID.replace('port: 993', 'port: 99999') });
    const finished = await runServerToExit(build, ['--config', dir]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain(`${path.join(dir, 'providers', 'acme.yaml')}:4:48: incoming[0].port: must be 1..65535, got 99999`);
  }, 30_000);

  test('MAIL_AUTOCONFIG_CONFIG names the directory too; a valid one is served', async () => {
    const dir = configDir({ 'acme.yaml': VALID });
    const server = await startServerProcess(build, undefined, { MAIL_AUTOCONFIG_CONFIG: dir });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/mail/config-v1.1.xml?emailaddress=a%40acme.example`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<hostname>imap.acme.example</hostname>');
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 30_000);
});
