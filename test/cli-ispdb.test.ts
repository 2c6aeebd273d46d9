/**
 * `mail-autoconfig import` and `export`, run as a process from the TypeScript source: what
 * an admin sees on stdout and stderr, and the exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { REPO_ROOT, SHARED, parseXml } from './helpers';
import { clientConfigMeaning, expectSameMeaning } from './support/client-config-meaning';

const ISPDB_SAMPLE = path.join(SHARED, 'ispdb-sample');

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['-r', path.join(REPO_ROOT, 'test/support/register-ts.js'), path.join(REPO_ROOT, 'src/cli/index.ts'), ...args],
      { cwd: REPO_ROOT },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

// Each run transpiles the CLI's imports on the fly (a few seconds on a busy machine); this
// is a ceiling against hangs, not a timing assertion.
jest.setTimeout(60_000);

const scratch = mkdtempSync(path.join(tmpdir(), 'cli-ispdb-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('import prints a YAML provider file, warnings go to stderr, and export gives the same meaning back', async () => {
  const source = path.join(ISPDB_SAMPLE, 'current/nili.ca.xml');
  const imported = await run('import', source);
  expect(imported.code).toBe(0);
  expect(imported.stderr).toMatch(/^warning: .*nili\.ca\.xml:6: clientConfig\/emailProvider\/displayNameShort: unknown element <displayNameShort> ignored\n$/);
  expect(YAML.parse(imported.stdout)).toMatchObject({ id: 'nili.ca', domains: ['nili.ca'], incoming: [{ type: 'imap', port: 993 }, { type: 'pop3' }] });

  const yamlFile = path.join(scratch, 'nili.ca.yaml');
  writeFileSync(yamlFile, imported.stdout);
  const exported = await run('export', yamlFile);
  expect(exported.code).toBe(0);
  expect(exported.stderr).toBe('');
  parseXml(exported.stdout);
  expectSameMeaning(clientConfigMeaning(exported.stdout), clientConfigMeaning(readFileSync(source, 'utf8')), 'nili.ca via YAML');
});

test('import of a broken file names file and line and exits 1', async () => {
  const result = await run('import', path.join(ISPDB_SAMPLE, 'unmerged-pr/purelymail.com.xml'));
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/purelymail\.com\.xml:19: not well-formed XML: Expected closing tag 'socketType'/);
});

test('usage errors exit 2; --help prints the usage', async () => {
  const noFile = await run('import');
  expect(noFile.code).toBe(2);
  expect(noFile.stderr).toMatch(/expects exactly one FILE/);
  const missing = await run('export', path.join(scratch, 'missing.yaml'));
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/cannot read .*missing\.yaml/);
  const help = await run('import', '--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/mail-autoconfig import FILE\.xml/);
});
