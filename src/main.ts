/**
 * Process entry: `node dist/main.js [--config DIR]`. Loads and validates the
 * configuration (exit 1 with file/field/problem on error), serves, reloads on SIGHUP,
 * stops gracefully on SIGTERM/SIGINT.
 */
import pino from 'pino';
import { ConfigError } from './config/errors';
import { loadConfiguration } from './config/load';
import { DEFAULT_CONFIG_DIR } from './config/settings';
import { standardOutputLog } from './log-destination';
import { startServer } from './server';

export function configDirFrom(args: readonly string[], env: NodeJS.ProcessEnv): string {
  const flag = args.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (flag !== -1) {
    const value = args[flag]?.includes('=') ? args[flag]?.split('=').slice(1).join('=') : args[flag + 1];
    if (value) return value;
  }
  return env.MAIL_AUTOCONFIG_CONFIG || DEFAULT_CONFIG_DIR;
}

export async function serve(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const configDir = configDirFrom(args, env);
  let configuration;
  try {
    configuration = await loadConfiguration(configDir, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`mail-autoconfig: invalid configuration in ${configDir}\n${error.message}\n`);
    process.exit(1);
  }
  const { settings, signing } = configuration;
  const logger = pino(
    { level: settings.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    standardOutputLog(),
  );
  if (signing) logger.info({ subject: signing.subject, expires: signing.expires }, 'Apple profiles will be signed');
  const running = await startServer(settings, configuration, logger);
  process.on('SIGHUP', () => void running.reload());
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  serve(process.argv.slice(2), process.env).catch((error: unknown) => {
    process.stderr.write(`mail-autoconfig: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
