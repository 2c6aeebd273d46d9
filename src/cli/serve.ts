/**
 * `mail-autoconfig serve` (the default command, and `npm start`): loads and validates the
 * configuration, says what it serves, listens, reloads on SIGHUP and stops gracefully on
 * SIGTERM/SIGINT. Unlike the admin commands it owns the process: its signals, and its exit
 * once the server has stopped.
 */
import path from 'node:path';
import { startServer } from '../server';
import { serviceLog } from '../service';
import { ALLOW_EXAMPLES_VARIABLE, exampleProviderFiles, examplesPolicy } from './examples';
import { EXIT, loadConfigurationFor, parseCommandArgs, type CliIo } from './io';
import { versionCommand } from './version';

export const SERVE_USAGE = `usage: mail-autoconfig serve [--config DIR]

Runs the server. Settings come from DIR/settings.yaml, then the environment (PORT, HOST,
TRUST_PROXY, METRICS_ENABLED, METRICS_PORT, LOG_EMAIL_ADDRESSES, LOG_LEVEL,
MAIL_AUTOCONFIG_BODY_LIMIT, ...). SIGHUP reloads the configuration; SIGTERM stops
gracefully. The example providers shipped in the package's config/ are served with a
warning; ${ALLOW_EXAMPLES_VARIABLE}=false refuses to start on them (the container image
sets it), =true serves them without the warning.

  --config DIR   configuration directory (default: $MAIL_AUTOCONFIG_CONFIG or ./config)
  -h, --help     show this help
  -V, --version  print the version

Exit status: 0 stopped by SIGTERM/SIGINT, 1 invalid configuration, example providers
refused, or the address cannot be listened on; 2 wrong usage.
`;

/**
 * Starts the server and resolves with EXIT.ok once it listens (it then runs until a signal
 * stops it), or with the exit code after saying on stderr why it cannot start.
 */
export async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { usage: SERVE_USAGE, options: { version: { type: 'boolean', short: 'V' } } }, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.values.version) return versionCommand(io);
  const policy = examplesPolicy(io.env);
  if (typeof policy === 'object') {
    io.stderr(`mail-autoconfig: ${policy.error}\n`);
    return EXIT.failure;
  }

  // Absolute, so the log says which directory is served whatever the working directory was.
  const configDir = path.resolve(parsed.configDir);
  const configuration = await loadConfigurationFor(configDir, io);
  if (typeof configuration === 'number') return configuration;
  const { settings, signing, providerDirectory } = configuration;

  const examples = await exampleProviderFiles(providerDirectory);
  if (examples.length > 0 && policy === 'refuse') {
    io.stderr(
      `mail-autoconfig: refusing to serve the example providers shipped with mail-autoconfig (${examples.join(', ')}): ` +
        `put your own provider files in ${path.join(configDir, 'providers')} and remove these, or set ${ALLOW_EXAMPLES_VARIABLE}=true to serve them anyway\n`,
    );
    return EXIT.failure;
  }

  const { logger, accessLogLines } = serviceLog(settings.logLevel);
  if (examples.length > 0 && policy === 'warn') {
    logger.warn(
      { files: examples },
      `serving the example providers shipped with mail-autoconfig, which are not for production: put your own provider files in ${path.join(configDir, 'providers')} and remove these`,
    );
  }
  if (examples.length > 0 && policy === 'allow') logger.info({ files: examples }, `serving the example providers, as ${ALLOW_EXAMPLES_VARIABLE}=true asks`);
  if (signing) logger.info({ subject: signing.subject, expires: signing.expires }, 'Apple profiles will be signed');

  let running;
  try {
    running = await startServer(settings, configuration, logger, accessLogLines);
  } catch (error) {
    const reason = listenFailure(error as NodeJS.ErrnoException);
    if (reason === undefined) throw error;
    io.stderr(`mail-autoconfig: ${reason}\n`);
    return EXIT.failure;
  }
  process.on('SIGHUP', () => void running.reload());
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // Exit explicitly: nothing left behind by a library (a timer, a handle) may keep a stopped server's process alive.
    void running.close().then(() => process.exit(EXIT.ok));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return EXIT.ok;
}

/** The admin's explanation of a failed listen(), for the errors a configuration can cause; undefined for any other error. */
function listenFailure(error: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }): string | undefined {
  const where = `${error.address ?? '?'}:${error.port ?? '?'}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is in use`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: the address is not one of this machine's`;
    case 'ENOTFOUND':
      return `cannot listen on ${error.hostname ?? '?'}: no such host`;
    default:
      return undefined;
  }
}
