/**
 * The mistakes admins make most in config files, each written into a real config
 * directory, loaded as the server loads it and checked with `mail-autoconfig check`: every
 * message names the file, the line and column, the field and what to do.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../src/config/errors';
import { loadConfiguration } from '../src/config/load';
import { closestNames, editDistance } from '../src/config/suggest';
import { runCommand } from '../src/cli/index';

/** A provider file in block style, so each field has a line of its own. */
const ACME = [
  'id: acme.example', // 1
  'domains:', // 2
  '  - acme.example', // 3
  '  - acme-mail.example', // 4
  'incoming:', // 5
  '  - type: imap', // 6
  '    hostname: imap.acme.example', // 7
  '    port: 993', // 8
  '    socketType: SSL', // 9
  'outgoing:', // 10
  '  - type: smtp', // 11
  '    hostname: smtp.acme.example', // 12
  '    port: 465', // 13
  '    socketType: SSL', // 14
  '',
].join('\n');

const OTHER = ACME.replaceAll('acme.example', 'other.example').replace('acme-mail.example', 'other-mail.example');

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

async function configDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mail-autoconfig-errors-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'providers'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

/** The lines the server prints when it refuses the directory, and those `check` prints. */
async function refusal(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{ loaded: string[]; checked: string[] }> {
  const error = await loadConfiguration(dir, env).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  let stderr = '';
  const code = await runCommand(['check', '--config', dir], { stdout: () => undefined, stderr: (text) => void (stderr += text), env });
  expect(code).toBe(1);
  const [heading, ...checked] = stderr.trimEnd().split('\n');
  expect(heading).toBe(`invalid configuration in ${dir}:`);
  return { loaded: error.message.split('\n'), checked };
}

describe('the six common mistakes, as the server and `check` report them', () => {
  const file = (dir: string, name = 'acme.yaml') => path.join(dir, 'providers', name);

  test.each([
    [
      'bad indentation',
      ACME.replace('    port: 993', '   port: 993'),
      '8:1: YAML syntax error: Sequence item without - indicator; check the indentation: a field indented less than its entry starts a new one, and lists need "- " before each entry',
    ],
    ['a port that is not a number', ACME.replace('port: 993', 'port: "abc"'), '8:5: incoming[0].port: must be a number from 1 to 65535, got "abc"'],
    ['a quoted port', ACME.replace('port: 465', 'port: "465"'), '13:5: outgoing[0].port: must be a number from 1 to 65535, got the text "465": write it without quotes'],
    [
      'socketType TLS',
      ACME.replace('socketType: SSL', 'socketType: TLS'),
      '9:5: incoming[0].socketType: must be one of SSL, STARTTLS, plain (exact case), got "TLS"; did you mean SSL or STARTTLS? SSL is implicit TLS, encrypted from the first byte (usually ports 993, 995, 465); STARTTLS connects in plain and then upgrades (usually 143, 110, 587)',
    ],
    ['a missing hostname', ACME.replace('    hostname: imap.acme.example\n', ''), '6:5: incoming[0].hostname: required'],
    [
      'a misspelt field',
      ACME.replace('    hostname: smtp', '    hostnme: smtp'),
      '12:5: outgoing[0].hostnme: unknown field; did you mean hostname? (see "Provider files" in docs/configuration.md)',
    ],
    ['a domain listed twice in one file', ACME.replace('  - acme-mail.example', '  - ACME.example.'), '4:5: domains[1]: domain acme.example is listed twice (first as domains[0] on line 3): remove one'],
  ])('%s', async (_name, text, expected) => {
    const dir = await configDir({ 'providers/acme.yaml': text });
    const { loaded, checked } = await refusal(dir);
    expect(loaded).toEqual([`${file(dir)}:${expected}`]);
    expect(checked).toEqual(loaded);
  });

  test('a domain claimed by two files names both files and lines', async () => {
    const dir = await configDir({ 'providers/acme.yaml': ACME, 'providers/other.yaml': OTHER.replace('  - other-mail.example', '  - Acme-Mail.example') });
    const { loaded, checked } = await refusal(dir);
    expect(loaded).toEqual([
      `${file(dir, 'other.yaml')}:4:5: domains[1]: domain acme-mail.example is already claimed by ${file(dir)}:4:5 (provider acme.example); a domain belongs to one provider: remove it from one of the two files`,
    ]);
    expect(checked).toEqual(loaded);
  });

  test("a file that repeats another's domains gets ten lines and a count, not one line per domain", async () => {
    const many = Array.from({ length: 2_000 }, (_, index) => `  - d${index}.acme.example`).join('\n');
    const withMany = ACME.replace('  - acme-mail.example', many);
    const dir = await configDir({ 'providers/acme.yaml': withMany, 'providers/copy.yaml': withMany.replace('id: acme.example', 'id: copy.example').replace('  - acme.example\n', '') });
    const { loaded } = await refusal(dir);
    expect(loaded).toHaveLength(11);
    expect(loaded[0]).toBe(
      `${file(dir, 'copy.yaml')}:3:5: domains[0]: domain d0.acme.example is already claimed by ${file(dir)}:4:5 (provider acme.example); a domain belongs to one provider: remove it from one of the two files`,
    );
    expect(loaded[10]).toBe(`${file(dir, 'copy.yaml')}: domains: and 1990 more domains already claimed by ${file(dir)} (provider acme.example)`);


    const pasted = await configDir({ 'providers/acme.yaml': ACME.replace('  - acme-mail.example', `${many}\n${many}`) });
    const twice = (await refusal(pasted)).loaded;
    expect(twice).toHaveLength(11);
    expect(twice[0]).toBe(`${file(pasted)}:2004:5: domains[2001]: domain d0.acme.example is listed twice (first as domains[1] on line 4): remove one`);
    expect(twice[10]).toBe(`${file(pasted)}: domains: and 1990 more domains listed twice`);
  });

  test('a JSON provider file gets lines and columns too, and stays strict JSON', async () => {
    const json = JSON.stringify(
      { id: 'json.example', domains: ['json.example'], incoming: [{ type: 'imap', hostnme: 'imap.json.example', socketType: 'SSL' }], outgoing: [{ hostname: 'smtp.json.example', socketType: 'STARTTLS' }] },
      null,
      2,
    );
    const dir = await configDir({ 'providers/json.json': json });
    expect((await refusal(dir)).loaded).toEqual([
      `${file(dir, 'json.json')}:9:7: incoming[0].hostnme: unknown field; did you mean hostname? (see "Provider files" in docs/configuration.md)`,
    ]);
    // A trailing comma is YAML but not JSON: still refused, where JSON.parse gave up (the closing brace).
    await writeFile(file(dir, 'json.json'), json.replace('"STARTTLS"', '"STARTTLS",'));
    expect((await refusal(dir)).loaded).toEqual([`${file(dir, 'json.json')}:17:5: JSON syntax error: Expected double-quoted property name`]);
  });

  test('every problem of every file, in file order', async () => {
    const dir = await configDir({
      'providers/acme.yaml': ACME.replace('port: 993', 'port: 0').replace('socketType: SSL\noutgoing', 'socketType: ssl\noutgoing').replace('    hostname: smtp', '    hostnam: smtp'),
      'providers/other.yaml': OTHER.replace('id: other.example', 'id: other.example\nid: again.example'),
    });
    const { loaded } = await refusal(dir);
    expect(loaded.map((line) => line.slice(dir.length).split(': ').slice(0, 2).join(': '))).toEqual([
      '/providers/acme.yaml:8:5: incoming[0].port',
      '/providers/acme.yaml:9:5: incoming[0].socketType',
      '/providers/acme.yaml:12:5: outgoing[0].hostnam',
      '/providers/other.yaml:2:1: YAML syntax error',
    ]);
    expect(loaded[1]).toMatch(/got "ssl"; did you mean SSL\?$/);
  });
});

describe('settings.yaml', () => {
  const settings = (dir: string) => path.join(dir, 'settings.yaml');

  test('a misspelt setting points at the settings reference, with its line', async () => {
    const dir = await configDir({ 'providers/acme.yaml': ACME, 'settings.yaml': 'host: 127.0.0.1\nprot: 8080\n' });
    const { loaded, checked } = await refusal(dir);
    expect(loaded).toEqual([`${settings(dir)}:2:1: prot: unknown setting; did you mean port? (see "Server settings" in docs/configuration.md)`]);
    expect(checked).toEqual(loaded);
  });

  test('a bad value names its line; one from the environment names the variable', async () => {
    const dir = await configDir({ 'providers/acme.yaml': ACME, 'settings.yaml': '# limits\nrateLimitRequests: -5\nlogLevel: verbose\n' });
    const { loaded } = await refusal(dir, { PORT: '99999' });
    expect(loaded).toEqual([
      expect.stringMatching(/^environment variable PORT: port: .*65535/),
      expect.stringMatching(new RegExp(`^${escape(settings(dir))}:2:1: rateLimitRequests: `)),
      `${settings(dir)}:3:1: logLevel: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"`,
    ]);
  });

  test('a settings.yaml that is a list, not settings, is refused', async () => {
    const dir = await configDir({ 'providers/acme.yaml': ACME, 'settings.yaml': '# server\n- port: 8080\n' });
    expect((await refusal(dir)).loaded).toEqual([`${settings(dir)}:2:1: must be a mapping of settings (name: value), not a single value or a list`]);
  });

  test('a YAML syntax error in settings.yaml has its line and column', async () => {
    const dir = await configDir({ 'providers/acme.yaml': ACME, 'settings.yaml': 'port: 8080\n\tlogLevel: debug\n' });
    expect((await refusal(dir)).loaded).toEqual([`${settings(dir)}:2:1: YAML syntax error: Tabs are not allowed as indentation; indent with spaces: YAML does not allow tabs there`]);
  });
});

describe('messages never carry the file', () => {
  test('a long value is cut, and a syntax error does not quote its line', async () => {
    const secret = 'x9'.repeat(2_000);
    const dir = await configDir({ 'providers/acme.yaml': ACME.replace('socketType: SSL', `socketType: "${secret}"`) });
    const [message = ''] = (await refusal(dir)).loaded;
    expect(message).toMatch(/incoming\[0\]\.socketType: must be one of SSL, STARTTLS, plain \(exact case\), got "(x9){20}…"$/);
    expect(message.length).toBeLessThan(dir.length + 200);

    await writeFile(path.join(dir, 'providers', 'acme.yaml'), ACME.replace('    port: 993', `   password: ${secret}`));
    const [syntax = ''] = (await refusal(dir)).loaded;
    expect(syntax).toMatch(/acme\.yaml:8:1: YAML syntax error/);
    expect(syntax).not.toContain('x9x9');
  });

  test('an alias bomb is refused with its place, not expanded', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]', ''];
    const dir = await configDir({ 'providers/bomb.yaml': bomb.join('\n') });
    expect((await refusal(dir)).loaded).toEqual([expect.stringMatching(/bomb\.yaml:2:8: YAML syntax error: Excessive alias count/)]);
  });
});

describe('suggestions', () => {
  test('a swap of neighbours is one edit', () => {
    expect(editDistance('hostnme', 'hostname')).toBe(1);
    expect(editDistance('hostnmae', 'hostname')).toBe(1);
    expect(editDistance('sockettype', 'socketType')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('only close names are suggested, ignoring case', () => {
    const fields = ['type', 'hostname', 'port', 'socketType', 'username', 'authentication'];
    expect(closestNames('Hostname', fields)).toEqual(['hostname']);
    expect(closestNames('sockettype', fields)).toEqual(['socketType']);
    expect(closestNames('authentification', fields)).toEqual(['authentication']);
    expect(closestNames('prot', fields)).toEqual(['port']);
    expect(closestNames('server', fields)).toEqual([]);
    expect(closestNames('colour', fields)).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
