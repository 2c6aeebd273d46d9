/**
 * Keeps the server's provider directory and signing identity current: reloads them on
 * request (SIGHUP) and, optionally, when files in the config directory or the signing
 * files change (debounced, so an editor's save, a deployment's burst of writes or a
 * renewed certificate and key cause one reload). A reload that fails keeps the last good
 * provider directory and identity, and is remembered as `lastReloadError` until a later reload succeeds.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from './errors';
import type { ConfigProblem } from '../model/loaded-provider';
import type { LoadedConfig } from './load';
import type { SigningIdentity } from '../model/signing-identity';
import type { ProviderDirectory } from '../model/provider-directory';

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
export function healthReport(providerDirectory: ProviderDirectory, status: ReloadStatus = {}): HealthReport {
  const { providers, domainCount: domains } = providerDirectory;
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
  /** How often the files' fingerprint is compared, for changes the watches missed. */
  readonly pollIntervalMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 5_000;

export class ConfigReloader {
  private current: LoadedConfig;
  private lastError: ReloadError | undefined;
  /** The reload in progress, if any; a request during it schedules exactly one more. */
  private running: Promise<boolean> | undefined;
  private queued: Promise<boolean> | undefined;
  /** The watch on the config directory's parent, which outlives the directory. */
  private readonly watchers: FSWatcher[] = [];
  /** The watches re-established before every reload. */
  private readonly fileWatchers: FSWatcher[] = [];
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Schedules a reload after the quiet time; set when watching. */
  private changed: (() => void) | undefined;
  /** The fingerprint of the files as the latest reload found them. */
  private fingerprint: string | undefined;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.current = options.initial;
    if (options.watchDebounceMs !== undefined) this.watch(options.watchDebounceMs);
  }

  readonly providerDirectory = (): ProviderDirectory => this.current.providerDirectory;

  readonly signing = (): SigningIdentity | undefined => this.current.signing;

  readonly status = (): ReloadStatus => (this.lastError ? { lastReloadError: this.lastError } : {});

  /**
   * Loads the config directory and swaps the provider directory in if it is valid. Reloads
   * never overlap: one requested while another runs starts after it, so the provider
   * directory served is always from the newest read of the files.
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
    clearInterval(this.pollTimer);
    this.changed = undefined;
    for (const watcher of [...this.watchers.splice(0), ...this.fileWatchers.splice(0)]) watcher.close();
  }

  private async loadOnce(): Promise<boolean> {
    const { configDir, load, logger } = this.options;
    if (this.changed) {
      // Before reading, so a change made while this reload reads is seen by the next.
      this.watchFiles();
      this.fingerprint = await this.takeFingerprint();
    }
    try {
      this.current = await load();
      this.lastError = undefined;
      const { providerDirectory, signing } = this.current;
      // The signer's expiry shows an admin that a renewed certificate was taken.
      const signer = signing && { subject: signing.subject, expires: signing.expires };
      logger.info({ providers: providerDirectory.providers.length, domains: providerDirectory.domainCount, signer }, 'configuration reloaded');
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

  /**
   * Watches with fs.watch, non-recursively, on the config directory, its providers/ and
   * the signing files' directories (re-established before every reload, so a directory
   * that was deleted and made anew is watched again), plus the config directory's parent,
   * which sees the directory itself come back. Directory watches see a file replaced by
   * rename (`mv`, editors, Kubernetes' `..data` swap) every time, where a watch on the
   * file follows the old inode and goes deaf after the first. As a safety net for events
   * lost in between (or file systems without them), a fingerprint of the files is
   * compared every pollIntervalMs. Plain fs.watch rather than a watcher library: these
   * few directories are all there is to watch, and the fingerprint covers the rest.
   */
  private watch(debounceMs: number): void {
    const { configDir, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS } = this.options;
    this.changed = () => {
      clearTimeout(this.debounceTimer);
      this.debounceTimer = setTimeout(() => void this.reload(), debounceMs);
    };
    const name = path.basename(path.resolve(configDir));
    this.watchDirectory(path.dirname(path.resolve(configDir)), (changedName) => changedName === null || changedName === name, this.watchers);
    this.watchFiles();
    void this.takeFingerprint().then((fingerprint) => (this.fingerprint ??= fingerprint));
    this.pollTimer = setInterval(() => void this.poll(), pollIntervalMs);
    this.pollTimer.unref();
  }

  /** (Re)creates the watches on the config directory, providers/ and the signing files' directories. */
  private watchFiles(): void {
    if (!this.changed) return;
    for (const watcher of this.fileWatchers.splice(0)) watcher.close();
    const { configDir, alsoWatch = [] } = this.options;
    for (const directory of [configDir, path.join(configDir, 'providers')]) this.watchDirectory(directory, () => true, this.fileWatchers);
    const namesByDirectory = new Map<string, Set<string>>();
    for (const file of alsoWatch) {
      const directory = path.dirname(file);
      namesByDirectory.set(directory, (namesByDirectory.get(directory) ?? new Set()).add(path.basename(file)));
    }
    // Only the named files, since such a directory (/etc/ssl/private) may hold others, and
    // the names Kubernetes' atomic writer swaps in a Secret or ConfigMap volume: its files
    // are links through `..data`, and an update renames `..data_tmp` over `..data`.
    for (const [directory, names] of namesByDirectory) {
      this.watchDirectory(directory, (name) => name === null || names.has(name) || name.startsWith('..'), this.fileWatchers);
    }
  }

  private watchDirectory(directory: string, relevant: (name: string | null) => boolean, into: FSWatcher[]): void {
    const { logger } = this.options;
    try {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        if (relevant(name)) this.changed?.();
      });
      // A watched directory that is deleted ends its watch; the next reload watches anew.
      watcher.on('error', () => this.changed?.());
      into.push(watcher);
    } catch (error) {
      // A missing directory is expected (deleted, or not made yet); the parent's watch and the fingerprint cover it.
      logger.debug({ err: error, directory }, 'cannot watch for changes now');
    }
  }

  private async poll(): Promise<void> {
    const fingerprint = await this.takeFingerprint();
    if (this.fingerprint !== undefined && fingerprint !== this.fingerprint) this.changed?.();
  }

  /**
   * What the files a reload reads look like: names, link targets, sizes, modification
   * times and inodes. Stat calls only, so polling costs little even for a thousand files;
   * every way of changing a file (in place, by rename, by swapping a link) changes one.
   */
  private async takeFingerprint(): Promise<string> {
    const { configDir, alsoWatch = [] } = this.options;
    const providersDir = path.join(configDir, 'providers');
    let names: string[] = [];
    try {
      names = (await readdir(providersDir)).sort();
    } catch (error) {
      names = [`unreadable:${(error as NodeJS.ErrnoException).code ?? ''}`];
    }
    const files = [...names.map((name) => path.join(providersDir, name)), ...alsoWatch];
    const parts = await Promise.all(
      files.map(async (file) => {
        try {
          const [stats, real] = await Promise.all([stat(file), realpath(file)]);
          return `${file}>${real}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
        } catch {
          return `${file}:missing`;
        }
      }),
    );
    return parts.join('\n');
  }
}
