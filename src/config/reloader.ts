/**
 * Keeps the server's registry and signing identity current: reloads them on request
 * (SIGHUP) and, optionally, when files in the config directory or the signing files
 * change (debounced, so an editor's save, a deployment's burst of writes or a renewed
 * certificate and key cause one reload). A reload that fails keeps the last good registry
 * and identity, and is remembered as `lastReloadError` until a later reload succeeds.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type ConfigProblem } from './errors';
import type { LoadedConfig } from './load';
import type { SigningIdentity } from './signing';
import type { Registry } from '../registry';

export interface ReloadError {
  /** When the failed reload finished (ISO 8601). */
  readonly time: string;
  readonly problems: readonly ConfigProblem[];
}

/** The state of reloading, for /healthz (which publishes only counts, see healthReport). */
export interface ReloadStatus {
  readonly lastReloadError?: ReloadError;
}

/** What the public /healthz says. */
export interface HealthReport {
  /** `degraded` after a failed reload: the last good configuration is still served. */
  readonly status: 'ok' | 'degraded';
  readonly providers: number;
  readonly domains: number;
  /** How many problems the failed reload found; what they are is in the log. */
  readonly reloadProblems?: number;
}

/**
 * The public health answer: counts only. Problems quote paths, errno texts and what a
 * file held (a provider linked to /etc/shadow put its lines there), so they go to the log.
 */
export function healthReport(registry: Registry, status: ReloadStatus = {}): HealthReport {
  const { providers, domainCount: domains } = registry;
  const failed = status.lastReloadError;
  return failed
    ? { status: 'degraded', providers: providers.length, domains, reloadProblems: failed.problems.length }
    : { status: 'ok', providers: providers.length, domains };
}

export interface ConfigReloaderOptions {
  /** Watched for changes, and named in problems that have no file of their own. */
  readonly configDir: string;
  /** Reads and validates the configuration; throws ConfigError when it is invalid. */
  readonly load: () => Promise<LoadedConfig>;
  readonly initial: LoadedConfig;
  readonly logger: Logger;
  /**
   * Files a reload reads besides the config directory (the signing certificate, key and
   * chain). They are watched too, through their directories: renewals replace
   * links (certbot re-points those in `live/`, Kubernetes swaps `..data`), which changes
   * the directory and not the files the old links pointed to.
   */
  readonly alsoWatch?: readonly string[];
  /** Quiet time after the last file change before reloading; no watching when undefined. */
  readonly watchDebounceMs?: number;
  /** Told the result of every reload (metrics count them). */
  readonly onReload?: (succeeded: boolean) => void;
}

export class ConfigReloader {
  private current: LoadedConfig;
  private lastError: ReloadError | undefined;
  /** The reload in progress, if any; a request during it schedules exactly one more. */
  private running: Promise<boolean> | undefined;
  private queued: Promise<boolean> | undefined;
  private readonly watchers: FSWatcher[] = [];
  private debounceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.current = options.initial;
    if (options.watchDebounceMs !== undefined) this.watch(options.watchDebounceMs);
  }

  readonly registry = (): Registry => this.current.registry;

  readonly signing = (): SigningIdentity | undefined => this.current.signing;

  readonly status = (): ReloadStatus => (this.lastError ? { lastReloadError: this.lastError } : {});

  /**
   * Loads the config directory and swaps the registry in if it is valid. Reloads never
   * overlap: one requested while another runs starts after it, so the registry served is
   * always from the newest read of the files.
   */
  reload(): Promise<boolean> {
    if (!this.running) {
      this.running = this.loadOnce().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload();
    });
    return this.queued;
  }

  close(): void {
    clearTimeout(this.debounceTimer);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  private async loadOnce(): Promise<boolean> {
    const { configDir, load, logger } = this.options;
    try {
      this.current = await load();
      this.lastError = undefined;
      const { registry, signing } = this.current;
      // The signer's expiry shows an admin that a renewed certificate was taken.
      const signer = signing && { subject: signing.subject, expires: signing.expires };
      logger.info({ providers: registry.providers.length, domains: registry.domainCount, signer }, 'configuration reloaded');
      this.options.onReload?.(true);
      return true;
    } catch (error) {
      const problems =
        error instanceof ConfigError ? error.problems : [{ file: configDir, field: '', message: (error as Error).message }];
      this.lastError = { time: new Date().toISOString(), problems };
      logger.error({ problems }, 'configuration reload failed; still serving the last good configuration');
      this.options.onReload?.(false);
      return false;
    }
  }

  private watch(debounceMs: number): void {
    const { configDir, alsoWatch = [] } = this.options;
    const changed = () => {
      clearTimeout(this.debounceTimer);
      this.debounceTimer = setTimeout(() => void this.reload(), debounceMs);
    };
    // Recursive, so providers/ is covered, and so is a directory swapped in by a deployment.
    this.watchDirectory(configDir, { recursive: true }, changed);
    // A file inside the config directory is seen twice; the debounce makes that one reload.
    const namesByDirectory = new Map<string, Set<string>>();
    for (const file of alsoWatch) {
      const directory = path.dirname(file);
      namesByDirectory.set(directory, (namesByDirectory.get(directory) ?? new Set()).add(path.basename(file)));
    }
    // Only the named files, since such a directory (/etc/ssl/private) may hold others, and
    // the names Kubernetes' atomic writer swaps in a Secret or ConfigMap volume: its files
    // are links through `..data`, and an update renames `..data_tmp` over `..data`.
    for (const [directory, names] of namesByDirectory) {
      this.watchDirectory(directory, { recursive: false }, (_event, name) => {
        if (name === null || names.has(name) || name.startsWith('..')) changed();
      });
    }
  }

  private watchDirectory(directory: string, { recursive }: { recursive: boolean }, listener: (event: string, name: string | null) => void): void {
    const { logger } = this.options;
    try {
      const watcher = watch(directory, { recursive, persistent: false }, listener);
      watcher.on('error', (error) => logger.warn({ err: error, directory }, 'watching for changes failed; reload with SIGHUP'));
      this.watchers.push(watcher);
    } catch (error) {
      logger.warn({ err: error, directory }, 'cannot watch for changes; reload with SIGHUP');
    }
  }
}
