/**
 * `mail-autoconfig import` and `export`, run through the CLI's command dispatcher: what an
 * admin sees on stdout and stderr, and the exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runCommand } from '../src/cli/index';
import { ISPDB_FIXTURES, parseXml } from './support/app';
import { clientConfigMeaning, expectSameMeaning } from './support/client-config-meaning';

const ISPDB_SAMPLE = ISPDB_FIXTURES;

/** Runs a command as the CLI entry does, capturing what an admin would see. */
const run = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: {} });
  return { code, stdout, stderr };
};

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
  expect(help.stdout).toMatch(/^usage: mail-autoconfig import FILE\.xml/);
});
