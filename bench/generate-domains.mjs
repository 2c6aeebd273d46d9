/**
 * Writes a config directory with many hosted domains spread over many providers, for the
 * scale check: `node bench/generate-domains.mjs DIR [--domains 100000] [--providers 1000]
 * [--format yaml|json]`. Provider i hosts d<n>.example for its share of n; every provider
 * has IMAP, POP3 and two SMTP servers, like the shipped example.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

function providerYaml(index, domains) {
  const host = `mail${index}.example`;
  const server = (type, port, socketType) =>
    `  - type: ${type}\n    hostname: ${host}\n    port: ${port}\n    socketType: ${socketType}\n    username: "%EMAILADDRESS%"\n    authentication: [password-cleartext]\n`;
  return [
    `id: provider${index}.example`,
    `displayName: Provider ${index}`,
    'domains:',
    ...domains.map((domain) => `  - ${domain}`),
    'incoming:',
    server('imap', 993, 'SSL') + server('pop3', 995, 'SSL').trimEnd(),
    'outgoing:',
    server('smtp', 465, 'SSL') + server('smtp', 587, 'STARTTLS').trimEnd(),
    '',
  ].join('\n');
}

function providerJson(index, domains) {
  const server = (type, port, socketType) => ({ type, hostname: `mail${index}.example`, port, socketType, username: '%EMAILADDRESS%', authentication: ['password-cleartext'] });
  return JSON.stringify({
    id: `provider${index}.example`,
    displayName: `Provider ${index}`,
    domains,
    incoming: [server('imap', 993, 'SSL'), server('pop3', 995, 'SSL')],
    outgoing: [server('smtp', 465, 'SSL'), server('smtp', 587, 'STARTTLS')],
  });
}

export async function generateDomains(dir, { domains, providers, format = 'yaml' }) {
  const providersDir = path.join(dir, 'providers');
  mkdirSync(providersDir, { recursive: true });
  for (let index = 0; index < providers; index += 1) {
    const own = [];
    for (let n = index; n < domains; n += providers) own.push(`d${n}.example`);
    const text = format === 'json' ? providerJson(index, own) : providerYaml(index, own);
    writeFileSync(path.join(providersDir, `provider${index}.${format}`), text);
  }
  return { domains, providers };
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { domains: { type: 'string', default: '100000' }, providers: { type: 'string', default: '1000' }, format: { type: 'string', default: 'yaml' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node bench/generate-domains.mjs DIR [--domains N] [--providers N]\n');
    process.exit(2);
  }
  const written = await generateDomains(positionals[0], { domains: Number(values.domains), providers: Number(values.providers), format: values.format });
  process.stdout.write(`${written.domains} domains over ${written.providers} providers in ${positionals[0]}\n`);
}
