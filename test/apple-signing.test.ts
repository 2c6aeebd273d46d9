/**
 * Signed profiles, checked the way a device would: a throw-away CA made in the test (root →
 * intermediate → signer, see ./support/test-pki), and a CMS verifier independent of the
 * signing code (./support/cms-verify) trusting only the root, so a signature verifies only
 * when the chain travels inside the profile.
 */
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ConfigError } from '../src/config/errors';
import { loadConfiguration, loadProviderDirectory } from '../src/config/load';
import { loadSigningIdentity } from '../src/config/signing';
import type { SigningIdentity } from '../src/model/signing-identity';
import { defaultSettings } from '../src/config/settings';
import { createApp } from '../src/http/app';
import { startServer } from '../src/server';
import { verifySignedProfile } from './support/cms-verify';
import { eventually } from './support/eventually';
import { download, parsePlist, SHIPPED_CONFIG } from './support/formats';
import { encryptedKeyPem, issue, writeIdentity, type TestIdentity } from './support/test-pki';

let dir: string;
let root: TestIdentity;
let signerRsa: TestIdentity;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mail-autoconfig-signing-'));
  root = await issue({ subject: 'CN=Test Root CA', kind: 'ec', ca: true });
  const intermediate = await issue({ subject: 'CN=Test Intermediate CA', kind: 'ec', issuer: root, ca: true });
  signerRsa = await issue({ subject: 'CN=profiles.example.com', kind: 'rsa', issuer: intermediate, ca: false });
  const signerEc = await issue({ subject: 'CN=profiles.example.net', kind: 'ec', issuer: intermediate, ca: false });
  writeIdentity(dir, 'root', root);
  writeIdentity(dir, 'intermediate', intermediate);
  writeIdentity(dir, 'signer-rsa', signerRsa);
  writeIdentity(dir, 'signer-ec', signerEc);
  writeFileSync(file('signer-ec-fullchain.pem'), signerEc.certificatePem + intermediate.certificatePem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function profiles(signing: SigningIdentity) {
  const providerDirectory = await loadProviderDirectory(SHIPPED_CONFIG);
  const settings = defaultSettings({ configDir: SHIPPED_CONFIG });
  const target = '/email.mobileconfig?email=fred%40example.com';
  const signed = await download(createApp({ providerDirectory, settings, signing }), target).expect(200);
  const unsigned = await download(createApp({ providerDirectory, settings }), target).expect(200);
  return { signed, unsigned: unsigned.body };
}

/** The signed profile checked against the test root alone: the embedded content, or why it fails. */
function verify(der: Buffer) {
  return verifySignedProfile(der, new X509Certificate(readFileSync(file('root.pem'))));
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
  expect(result.problem).toBe('');
  expect(result.ok).toBe(true);
  expect(result.content.equals(unsigned)).toBe(true);
  expect(parsePlist(result.content).PayloadType).toBe('Configuration');

  expect(result.contentType).toBe('1.2.840.113549.1.7.2'); // signedData
  expect(result.digestAlgorithms).toEqual(['2.16.840.1.101.3.4.2.1']); // SHA-256
  expect(result.encapsulatedContentType).toBe('1.2.840.113549.1.7.1'); // data
  expect(result.certificates.map((certificate) => certificate.subject)).toEqual(['CN=profiles.example.com', 'CN=Test Intermediate CA']);
  expect(result.signer?.fingerprint256).toBe(new X509Certificate(signerRsa.certificatePem).fingerprint256);
  expect(result.path.map((certificate) => certificate.subject)).toEqual(['CN=profiles.example.com', 'CN=Test Intermediate CA', 'CN=Test Root CA']);
});

test('checked after the certificates expired, the same profile fails verification', async () => {
  const signing = await loadSigningIdentity({ signingCert: file('signer-ec-fullchain.pem'), signingKey: file('signer-ec.key') });
  const { signed } = await profiles(signing!);
  const inThreeDays = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000);
  const result = verifySignedProfile(signed.body, new X509Certificate(root.certificatePem), inThreeDays);
  expect(result.ok).toBe(false);
  expect(result.problem).toBe('certificate CN=profiles.example.net is not valid now');
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
  expect(result.problem).toBe('message digest does not match the content');
});

test('signed attributes changed after signing fail verification: the signature covers them', async () => {
  const signing = await loadSigningIdentity({ signingCert: file('signer-rsa.pem'), signingKey: file('signer-rsa.key'), signingChain: file('intermediate.pem') });
  const { signed } = await profiles(signing!);
  expect(verify(signed.body).ok).toBe(true);
  // The signingTime attribute: its OID, the SET and UTCTime headers, then YYMMDDhhmmssZ; the seconds' last digit changes.
  const signingTimeOid = Buffer.from('06092a864886f70d010905', 'hex');
  const at = signed.body.indexOf(signingTimeOid);
  expect(at).toBeGreaterThan(0);
  const secondsDigit = at + signingTimeOid.length + 2 + 2 + 11;
  const tampered = Buffer.from(signed.body);
  tampered[secondsDigit] = tampered[secondsDigit] === 0x30 ? 0x31 : 0x30;
  const result = verify(tampered);
  expect(result.ok).toBe(false);
  expect(result.problem).toBe('signature does not verify');
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
  expect(result.problem).toBe('unable to get the issuer certificate of CN=profiles.example.net');
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
    writeFileSync(file('encrypted.key'), encryptedKeyPem(signerRsa, 'secret'));
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
      const result = verify(body);
      expect(result.problem).toBe('');
      return result.signer!.subject;
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
      'signingCert: signer.pem\nsigningKey: signer.key\nsigningChain: intermediate.pem\nwatchConfig: false\nrateLimitRequests: 0\nmetricsPort: 0\n',
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
      // The chain's directory is watched too; other files written there are not reloaded for.
      `signingCert: ${cert}\nsigningKey: ${key}\nsigningChain: ${file('intermediate.pem')}\nwatchConfig: true\nreloadDebounceMs: 100\nrateLimitRequests: 0\nmetricsPort: 0\n`,
    );
    try {
      expect(await profileSigner()).toMatch(/CN ?= ?profiles\.example\.com/);
      renew('signer-ec', 2);
      await eventually(async () => {
        writeFileSync(file('unrelated.txt'), `checked at ${Date.now()}\n`);
        return /CN ?= ?profiles\.example\.net/.test(await profileSigner());
      });
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
  const settings = defaultSettings({ configDir: SHIPPED_CONFIG, port: 0, host: '127.0.0.1', rateLimitRequests: 0, metricsPort: 0, watchConfig: false });
  const running = await startServer(settings, { providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), signing: broken }, logger);
  try {
    const target = '/mobileconfig?emailaddress=fred%40example.com';
    // The running server answers through its own request listener, createApp through Express: both must fail alike.
    for (const server of [running.server, createApp({ providerDirectory: await loadProviderDirectory(SHIPPED_CONFIG), settings, logger, signing: broken })]) {
      const res = await download(server, target).expect(500);
      expect(res.body.toString('utf8')).toBe('Internal server error\n');
    }
    expect(lines.filter((line) => line.includes('"request failed"'))).toHaveLength(2);
    await download(running.server, '/mail/config-v1.1.xml?emailaddress=fred%40example.com').expect(200);
  } finally {
    await running.close();
  }
});
