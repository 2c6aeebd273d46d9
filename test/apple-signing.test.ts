/**
 * Signed profiles, checked the way an admin would: a throw-away CA made with openssl
 * (root → intermediate → signer), and `openssl cms -verify` trusting only the root, so a
 * signature verifies only when the chain travels inside the profile.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ConfigError } from '../src/config/errors';
import { loadConfiguration, loadRegistry } from '../src/config/load';
import { loadSigningIdentity, type SigningIdentity } from '../src/config/signing';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { startServer } from '../src/server';
import { eventually } from './support/eventually';
import { download, parsePlist, SHIPPED_CONFIG } from './support/formats';

let dir: string;
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function issue(name: string, subject: string, keyArgs: string[], issuer: string, extensions: string): void {
  openssl('req', '-new', '-newkey', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(file(`${name}.ext`), extensions);
  const serial = `0x${execFileSync('openssl', ['rand', '-hex', '8']).toString().trim()}`;
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', serial, '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

const EC = ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
const SIGNER_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-signing-'));
  openssl('req', '-x509', '-newkey', ...EC, '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '2', '-subj', '/CN=Test Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  issue('intermediate', '/CN=Test Intermediate CA', EC, 'root', CA_EXTENSIONS);
  issue('signer-rsa', '/CN=profiles.example.com', ['rsa:2048'], 'intermediate', SIGNER_EXTENSIONS);
  issue('signer-ec', '/CN=profiles.example.net', EC, 'intermediate', SIGNER_EXTENSIONS);
  writeFileSync(file('signer-ec-fullchain.pem'), readFileSync(file('signer-ec.pem'), 'utf8') + readFileSync(file('intermediate.pem'), 'utf8'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function profiles(signing: SigningIdentity) {
  const registry = await loadRegistry(SHIPPED_CONFIG);
  const settings = defaultSettings({ configDir: SHIPPED_CONFIG });
  const target = '/email.mobileconfig?email=fred%40example.com';
  const signed = await download(createApp({ registry, settings, signing }), target).expect(200);
  const unsigned = await download(createApp({ registry, settings }), target).expect(200);
  return { signed, unsigned: unsigned.body };
}

/** `openssl cms -verify` trusting only the test root; the embedded content, or the failure. */
function verify(der: Buffer): { ok: boolean; content: Buffer; stderr: string } {
  writeFileSync(file('signed.mobileconfig'), der);
  rmSync(file('content.out'), { force: true });
  const result = spawnSync(
    'openssl',
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'signed.mobileconfig', '-CAfile', 'root.pem', '-out', 'content.out'],
    { cwd: dir, encoding: 'utf8' },
  );
  return {
    ok: result.status === 0,
    content: result.status === 0 ? readFileSync(file('content.out')) : Buffer.alloc(0),
    stderr: result.stderr,
  };
}

test('RSA signer with a separate chain file: verifies against the root, embeds the profile byte for byte', async () => {
  const signing = await loadSigningIdentity({
    signingCert: file('signer-rsa.pem'),
    signingKey: file('signer-rsa.key'),
    signingChain: file('intermediate.pem'),
  });
  const { signed, unsigned } = await profiles(signing!);
  expect(signed.headers['content-type']).toBe('application/x-apple-aspen-config');
  expect(signed.headers['content-disposition']).toBe('attachment; filename="example.com.mobileconfig"');
  expect(signed.body[0]).toBe(0x30); // a DER SEQUENCE, not XML
  const result = verify(signed.body);
  expect(result.stderr).toMatch(/Verification successful/);
  expect(result.ok).toBe(true);
  expect(result.content.equals(unsigned)).toBe(true);
  expect(parsePlist(result.content).PayloadType).toBe('Configuration');

  const structure = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'signed.mobileconfig').toString();
  expect(structure).toMatch(/contentType: pkcs7-signedData/);
  expect(structure).toMatch(/digestAlgorithms:\s*\n\s*algorithm: sha256/);
  expect(structure).toMatch(/eContentType: pkcs7-data/);
  const certificates = openssl('pkcs7', '-inform', 'DER', '-in', 'signed.mobileconfig', '-print_certs', '-noout').toString();
  expect(certificates).toMatch(/subject=CN ?= ?profiles\.example\.com/);
  expect(certificates).toMatch(/subject=CN ?= ?Test Intermediate CA/);
});

test('a profile changed after signing fails verification', async () => {
  const signing = await loadSigningIdentity({ signingCert: file('signer-ec-fullchain.pem'), signingKey: file('signer-ec.key') });
  const { signed } = await profiles(signing!);
  const tampered = Buffer.from(signed.body);
  const at = tampered.indexOf('imap.example.com');
  expect(at).toBeGreaterThan(0);
  tampered.write('evil', at);
  const result = verify(tampered);
  expect(result.ok).toBe(false);
  expect(result.stderr).toMatch(/digest failure|content verify error/i);
});

test('ECDSA signer whose certificate file carries the chain (fullchain.pem)', async () => {
  const signing = await loadSigningIdentity({ signingCert: file('signer-ec-fullchain.pem'), signingKey: file('signer-ec.key') });
  expect(signing!.chain).toHaveLength(1);
  const { signed, unsigned } = await profiles(signing!);
  const result = verify(signed.body);
  expect(result.ok).toBe(true);
  expect(result.content.equals(unsigned)).toBe(true);
});

test('without the intermediate the same check fails: the chain is what makes it verify', async () => {
  const signing = await loadSigningIdentity({ signingCert: file('signer-ec.pem'), signingKey: file('signer-ec.key') });
  const { signed } = await profiles(signing!);
  const result = verify(signed.body);
  expect(result.ok).toBe(false);
  expect(result.stderr).toMatch(/unable to get local issuer certificate/);
});

describe('start-up stops on bad signing material, naming the file', () => {
  const env = (overrides: Record<string, string>) => ({ MAIL_AUTOCONFIG_SIGNING_CERT: file('signer-rsa.pem'), MAIL_AUTOCONFIG_SIGNING_KEY: file('signer-rsa.key'), ...overrides });

  test('the environment variables configure signing', async () => {
    const { signing } = await loadConfiguration(SHIPPED_CONFIG, env({ MAIL_AUTOCONFIG_SIGNING_CHAIN: file('intermediate.pem') }));
    expect(signing?.subject).toBe('CN=profiles.example.com');
    expect(signing?.chain).toHaveLength(1);
  });

  test.each([
    ['a key that belongs to another certificate', { MAIL_AUTOCONFIG_SIGNING_KEY: 'signer-ec.key' }, /signer-ec\.key: this key does not belong to the certificate/],
    ['an unreadable key', { MAIL_AUTOCONFIG_SIGNING_KEY: 'missing.key' }, /missing\.key: cannot read: ENOENT/],
    ['a certificate file without a certificate', { MAIL_AUTOCONFIG_SIGNING_CERT: 'signer-rsa.key' }, /signer-rsa\.key: no PEM certificate/],
    ['a key file that is not a key', { MAIL_AUTOCONFIG_SIGNING_KEY: 'root.pem' }, /root\.pem: not an unencrypted PEM private key/],
    ['an unreadable chain', { MAIL_AUTOCONFIG_SIGNING_CHAIN: 'missing-chain.pem' }, /missing-chain\.pem: cannot read/],
  ])('%s', async (_name, overrides, message) => {
    const absolute = Object.fromEntries(Object.entries(overrides).map(([key, value]) => [key, file(value)]));
    const loading = loadConfiguration(SHIPPED_CONFIG, env(absolute));
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(message);
  });

  test('an encrypted key', async () => {
    openssl('pkey', '-in', 'signer-rsa.key', '-aes256', '-passout', 'pass:secret', '-out', 'encrypted.key');
    await expect(loadConfiguration(SHIPPED_CONFIG, env({ MAIL_AUTOCONFIG_SIGNING_KEY: file('encrypted.key') }))).rejects.toThrow(
      /encrypted\.key: not an unencrypted PEM private key/,
    );
  });

  test('a certificate without its key', async () => {
    await expect(loadConfiguration(SHIPPED_CONFIG, { MAIL_AUTOCONFIG_SIGNING_CERT: file('signer-rsa.pem') })).rejects.toThrow(
      /signingKey: signingCert and signingKey must be given together/,
    );
  });

  test('relative paths in settings.yaml are relative to the config directory', async () => {
    const configDir = path.join(dir, 'config');
    cpSync(SHIPPED_CONFIG, configDir, { recursive: true });
    cpSync(file('signer-rsa.pem'), path.join(configDir, 'signer.pem'));
    cpSync(file('signer-rsa.key'), path.join(configDir, 'signer.key'));
    writeFileSync(path.join(configDir, 'settings.yaml'), 'signingCert: signer.pem\nsigningKey: signer.key\n');
    const { settings, signing } = await loadConfiguration(configDir, {});
    expect(settings.signingCert).toBe(path.join(configDir, 'signer.pem'));
    expect(signing?.subject).toBe('CN=profiles.example.com');
  });
});

describe('a reload re-reads the signing material', () => {
  /** The subject of the certificate that signed a profile, as openssl reads it from the CMS. */
  function signerSubject(der: Buffer): string {
    writeFileSync(file('reloaded.mobileconfig'), der);
    const printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'reloaded.mobileconfig').toString();
    // The first certificate in the SignedData is the signer (the chain follows it).
    return /subject: (.+)/.exec(printed)?.[1]?.trim() ?? '';
  }

  /**
   * Starts the server on `configDir` with the shipped providers and these settings; its log
   * lines, and the subject of the certificate that signs the profile it serves now.
   */
  async function serveSignedProfiles(configDir: string, settingsYaml: string) {
    cpSync(SHIPPED_CONFIG, configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'settings.yaml'), settingsYaml);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const configuration = await loadConfiguration(configDir, { PORT: '0', HOST: '127.0.0.1' });
    const running = await startServer(configuration.settings, configuration, logger);
    const profileSigner = async () => {
      const { body } = await download(running.server, '/email.mobileconfig?email=fred%40example.com').expect(200);
      expect(verify(body).ok).toBe(true);
      return signerSubject(body);
    };
    return { running, lines, profileSigner };
  }

  test('a renewed certificate signs from the next reload on; a broken one keeps the last good and is reported', async () => {
    const configDir = path.join(dir, 'reload-config');
    mkdirSync(configDir);
    const install = (certificate: string, key: string) => {
      cpSync(file(certificate), path.join(configDir, 'signer.pem'));
      cpSync(file(key), path.join(configDir, 'signer.key'));
    };
    install('signer-rsa.pem', 'signer-rsa.key');
    cpSync(file('intermediate.pem'), path.join(configDir, 'intermediate.pem'));
    const { running, lines, profileSigner: profile } = await serveSignedProfiles(
      configDir,
      'signingCert: signer.pem\nsigningKey: signer.key\nsigningChain: intermediate.pem\nwatchConfig: false\nrateLimitRequests: 0\n',
    );
    try {
      expect(await profile()).toMatch(/CN ?= ?profiles\.example\.com/);

      // The renewal: another key and certificate in the same files, then SIGHUP's reload.
      install('signer-ec.pem', 'signer-ec.key');
      expect(await running.reload()).toBe(true);
      expect(await profile()).toMatch(/CN ?= ?profiles\.example\.net/);
      const reloaded = JSON.parse(lines.find((line) => line.includes('configuration reloaded'))!);
      expect(reloaded.signer).toEqual({ subject: 'CN=profiles.example.net', expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

      // A key that is not a key: the reload fails, naming the file, and the last good identity signs on.
      writeFileSync(path.join(configDir, 'signer.key'), 'not a key\n');
      expect(await running.reload()).toBe(false);
      expect(await profile()).toMatch(/CN ?= ?profiles\.example\.net/);
      const health = (await download(running.server, '/healthz').expect(200)).body.toString('utf8');
      expect(JSON.parse(health)).toEqual({ status: 'degraded', providers: expect.any(Number), domains: expect.any(Number), reloadProblems: 1 });
      const failed = JSON.parse(lines.find((line) => line.includes('configuration reload failed'))!);
      expect(failed.problems).toEqual([
        { file: path.join(configDir, 'signer.key'), field: '', message: expect.stringMatching(/^not an unencrypted PEM private key/) },
      ]);
    } finally {
      await running.close();
    }
  });

  /**
   * How certificates outside the config directory get renewed: each layout's files as the
   * settings name them, and the nth renewal, which puts a signer's certificate and key there.
   */
  const RENEWALS: Record<string, (base: string) => { cert: string; key: string; renew: (signer: string, generation: number) => void }> = {
    // certbot: live/<name>/*.pem are symlinks into archive/<name>/; a renewal writes new
    // archive files and re-points the links.
    certbot(base) {
      const [archive, live] = [path.join(base, 'archive'), path.join(base, 'live')];
      return {
        cert: path.join(live, 'cert.pem'),
        key: path.join(live, 'privkey.pem'),
        renew(signer, generation) {
          mkdirSync(archive, { recursive: true });
          mkdirSync(live, { recursive: true });
          for (const [link, source] of [['cert', `${signer}.pem`], ['privkey', `${signer}.key`]] as const) {
            cpSync(file(source), path.join(archive, `${link}${generation}.pem`));
            rmSync(path.join(live, `${link}.pem`), { force: true });
            symlinkSync(path.join('..', 'archive', `${link}${generation}.pem`), path.join(live, `${link}.pem`));
          }
        },
      };
    },
    // A Kubernetes Secret volume (cert-manager's tls.crt and tls.key): the files are links
    // through ..data, and an update swaps ..data to a new directory with one rename, so no
    // file of the names the settings give changes.
    'Kubernetes Secret'(base) {
      return {
        cert: path.join(base, 'tls.crt'),
        key: path.join(base, 'tls.key'),
        renew(signer, generation) {
          const version = path.join(base, `..version${generation}`);
          mkdirSync(version, { recursive: true });
          cpSync(file(`${signer}.pem`), path.join(version, 'tls.crt'));
          cpSync(file(`${signer}.key`), path.join(version, 'tls.key'));
          symlinkSync(path.basename(version), path.join(base, '..data_tmp'));
          renameSync(path.join(base, '..data_tmp'), path.join(base, '..data'));
          for (const name of ['tls.crt', 'tls.key']) {
            if (generation === 1) symlinkSync(path.join('..data', name), path.join(base, name));
          }
        },
      };
    },
  };

  test.each(Object.keys(RENEWALS))('a certificate renewed outside the config directory (%s) is taken without a signal', async (layout) => {
    const base = path.join(dir, `renewal-${layout.replace(/\W/g, '-')}`);
    const { cert, key, renew } = RENEWALS[layout]!(base);
    renew('signer-rsa', 1);
    const { running, lines, profileSigner } = await serveSignedProfiles(
      path.join(base, 'config'),
      // The chain's directory is watched too, and each check of a profile writes files there: those are not reloaded for.
      `signingCert: ${cert}\nsigningKey: ${key}\nsigningChain: ${file('intermediate.pem')}\nwatchConfig: true\nreloadDebounceMs: 100\nrateLimitRequests: 0\n`,
    );
    try {
      expect(await profileSigner()).toMatch(/CN ?= ?profiles\.example\.com/);
      renew('signer-ec', 2);
      await eventually(async () => /CN ?= ?profiles\.example\.net/.test(await profileSigner()));
      const reloads = lines.filter((line) => line.includes('configuration reload'));
      expect(reloads.length).toBeLessThanOrEqual(2);
      expect(reloads.at(-1)).toContain('profiles.example.net');
    } finally {
      await running.close();
    }
  });

  test('at start-up, broken providers and broken signing material are reported together', async () => {
    const configDir = path.join(dir, 'broken-config');
    cpSync(SHIPPED_CONFIG, configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'providers', 'broken.yaml'), 'id: [not, a, hostname]\n');
    const loading = loadConfiguration(configDir, { MAIL_AUTOCONFIG_SIGNING_CERT: file('signer-rsa.pem'), MAIL_AUTOCONFIG_SIGNING_KEY: file('missing.key') });
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(/broken\.yaml/);
    await expect(loading).rejects.toThrow(/missing\.key: cannot read/);
  });
});

test('a profile that cannot be signed is a 500 on both paths, logged, and the server keeps serving', async () => {
  const good = await loadSigningIdentity({ signingCert: file('signer-ec.pem'), signingKey: file('signer-ec.key') });
  // A public key, which WebCrypto refuses to sign with: signing rejects.
  const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const broken: SigningIdentity = { ...good!, privateKey: publicKey };
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const settings = defaultSettings({ configDir: SHIPPED_CONFIG, port: 0, host: '127.0.0.1', rateLimitRequests: 0, watchConfig: false });
  const running = await startServer(settings, { registry: await loadRegistry(SHIPPED_CONFIG), signing: broken }, logger);
  try {
    const target = '/mobileconfig?emailaddress=fred%40example.com';
    // The running server answers on its lean path; createApp is Express alone.
    for (const server of [running.server, createApp({ registry: await loadRegistry(SHIPPED_CONFIG), settings, logger, signing: broken })]) {
      const res = await download(server, target).expect(500);
      expect(res.body.toString('utf8')).toBe('Internal server error\n');
    }
    expect(lines.filter((line) => line.includes('"request failed"'))).toHaveLength(2);
    await download(running.server, '/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
  } finally {
    await running.close();
  }
});
