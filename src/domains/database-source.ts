/**
 * Hosted domains from PostgreSQL: which provider (defined in the files) serves which
 * domain, asked of the database with the configured query and remembered in a bounded
 * cache. Built to degrade, never to fail the process: while the database is slow or
 * gone, cached domains (even expired ones) keep being served and every other lookup gets
 * DomainSourceUnavailable within a bounded time, which the HTTP layer answers with 503.
 */
import { Client, Pool, type ClientConfig } from 'pg';
import type { Logger } from 'pino';
import { toDomainKey } from '../model/domain';
import { ExpiringLruCache } from './lru-cache';
import { redactDatabaseUrl, redactSecrets } from './redact';
import { ALL_DOMAINS_CHANGED, DOMAIN_CHANNEL } from './schema';
import { listensForChanges, type DatabaseSettings } from './settings';

export interface DomainMatch {
  readonly providerId: string;
  /** Which of the looked-up domain keys is hosted. */
  readonly domain: string;
}

/** What the cache alone can say: a definite answer, or that the database must be asked. */
export type PeekResult = { readonly cached: true; readonly match: DomainMatch | undefined } | { readonly cached: false };

export type DomainSourceHealth =
  | { readonly state: 'ok'; readonly cachedDomains: number }
  | { readonly state: 'degraded'; readonly reason: string; readonly since: string; readonly cachedDomains: number };

/** The database cannot say whether a domain is hosted right now; try again after `retryAfterSeconds`. */
export class DomainSourceUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`the domain database is unavailable: ${reason}`);
    this.name = 'DomainSourceUnavailable';
  }
}

export interface DatabaseDomainSourceOptions {
  readonly settings: DatabaseSettings;
  /** Whether a provider file defines this id; asked on every answer, so reloads count at once. */
  readonly isKnownProvider: (providerId: string) => boolean;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

const NOT_CACHED: PeekResult = { cached: false };
const CACHED_MISS: PeekResult = { cached: true, match: undefined };
/** Unknown provider ids are logged once each, up to this many, so a bad table cannot flood the log. */
const MAX_REPORTED_UNKNOWN_IDS = 1_000;

// Errors after which the database counts as unreachable rather than merely slow or refusing
// one query: socket errors, and PostgreSQL's connection-exception and shutdown codes.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300',
]);

function isConnectionFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (code !== undefined && CONNECTION_ERROR_CODES.has(code)) || /^Connection terminated|connection is closed|not queryable/i.test(message ?? '');
}

/**
 * A hosted domain's cache entry holds its match and the peek answer made from it (so a
 * cache hit allocates nothing); a domain that is not hosted holds null.
 */
type Cached = { readonly match: DomainMatch; readonly peeked: PeekResult } | null;

export class DatabaseDomainSource {
  private readonly settings: DatabaseSettings;
  private readonly isKnownProvider: (providerId: string) => boolean;
  private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
  private readonly listens: boolean;
  private readonly pool: Pool;
  private readonly cache: ExpiringLruCache<Cached>;
  private readonly pending = new Map<string, Promise<Cached>>();
  /** Domains a notification invalidated while their query ran: that answer may predate the change. */
  private readonly invalidatedWhilePending = new Set<string>();
  private flushes = 0;
  private readonly reportedUnknownIds = new Set<string>();
  private unreachable: { readonly reason: string; readonly since: Date } | undefined;
  private queryProblem: { readonly reason: string; readonly since: Date } | undefined;
  private reconnectDelayMs: number;
  private reconnectAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnecting: Promise<void> | undefined;
  private listener: Client | undefined;
  private closed = false;

  constructor(options: DatabaseDomainSourceOptions) {
    this.settings = options.settings;
    this.isKnownProvider = options.isKnownProvider;
    this.logger = options.logger;
    this.listens = listensForChanges(options.settings);
    this.cache = new ExpiringLruCache<Cached>(options.settings.cacheEntries);
    this.reconnectDelayMs = options.settings.reconnectMinMs;
    this.pool = new Pool({
      ...this.connectionConfig(),
      max: options.settings.poolMax,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
    });
    // An idle pooled connection that dies (a database restart) must not crash the process.
    this.pool.on('error', (error) => this.connectionLost(error));
  }

  private connectionConfig(applicationName = 'mail-autoconfig'): ClientConfig {
    const { url, queryTimeoutMs, connectTimeoutMs } = this.settings;
    return {
      connectionString: url,
      connectionTimeoutMillis: connectTimeoutMs,
      // The server cancels a slow lookup; the client gives up a little later in case the server cannot.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 250,
      application_name: applicationName,
      keepAlive: true,
    };
  }

  /** The database URL as it may be shown: without its password. */
  get displayUrl(): string {
    return redactDatabaseUrl(this.settings.url);
  }

  /**
   * Connects (and LISTENs, when configured). Never throws: with the database down the
   * source starts degraded and keeps reconnecting in the background.
   */
  async start(): Promise<void> {
    await this.reconnect();
  }

  /**
   * The answer for `domainKeys` (lower-case A-labels, first hosted one wins) if the cache
   * alone can give it. Fresh entries only, unless the database is unreachable, when
   * expired ones are served too.
   */
  peek(domainKeys: readonly (string | undefined)[]): PeekResult {
    const serveExpired = this.unreachable !== undefined;
    for (const domain of domainKeys) {
      if (domain === undefined) continue;
      // No canonical-form check here, so a request's cache hit stays a Map lookup: only canonical keys are ever cached.
      const entry = this.cache.get(domain);
      if (entry === undefined || (!serveExpired && !this.cache.isFresh(entry))) return NOT_CACHED;
      if (entry.value !== null && this.known(entry.value)) return entry.value.peeked;
    }
    return CACHED_MISS;
  }

  /**
   * The provider for the first of `domainKeys` that the database hosts, or undefined.
   * Throws DomainSourceUnavailable when the database cannot tell in time and the cache
   * has nothing to fall back on; never anything else.
   */
  async lookup(domainKeys: readonly (string | undefined)[]): Promise<DomainMatch | undefined> {
    const domains = domainKeys.filter((domain): domain is string => domain !== undefined && isDomainKey(domain));
    // All at once, then in order: the first hosted domain wins, but only if no earlier one is unknown.
    const answers = await Promise.allSettled(domains.map((domain) => this.resolve(domain)));
    for (const answer of answers) {
      if (answer.status === 'rejected') throw answer.reason;
      const match = this.known(answer.value);
      if (match) return match;
    }
    return undefined;
  }

  health(): DomainSourceHealth {
    const problem = this.unreachable ?? this.queryProblem;
    const cachedDomains = this.cache.size;
    if (problem === undefined) return { state: 'ok', cachedDomains };
    return { state: 'degraded', reason: problem.reason, since: problem.since.toISOString(), cachedDomains };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.reconnecting;
    const listener = this.listener;
    this.listener = undefined;
    await Promise.allSettled([listener?.end(), this.pool.end()]);
  }

  private async resolve(domain: string): Promise<Cached> {
    const entry = this.cache.get(domain);
    if (entry !== undefined && (this.cache.isFresh(entry) || this.unreachable !== undefined)) return entry.value;
    if (this.closed) throw new DomainSourceUnavailable('the domain source is closed', 1);
    // While reconnecting, fail at once rather than send every request into a dead connection.
    if (this.unreachable !== undefined) throw new DomainSourceUnavailable(this.unreachable.reason, this.retryAfterSeconds());
    let running = this.pending.get(domain);
    if (running === undefined) {
      if (this.pending.size >= this.settings.maxPendingLookups) {
        if (entry !== undefined) return entry.value;
        throw new DomainSourceUnavailable('too many lookups waiting for the database', 1);
      }
      running = this.query(domain).finally(() => this.pending.delete(domain));
      this.pending.set(domain, running);
    }
    try {
      return await running;
    } catch (error) {
      // An expired answer beats none while the database is slow or failing.
      if (entry !== undefined) return entry.value;
      throw error;
    }
  }

  private async query(domain: string): Promise<Cached> {
    const flushes = this.flushes;
    let row: unknown[] | undefined;
    try {
      const result = await this.pool.query({ text: this.settings.domainQuery, values: [domain], rowMode: 'array' });
      row = result.rows[0] as unknown[] | undefined;
    } catch (error) {
      throw this.failure(error);
    }
    this.queryProblem = undefined;
    const providerId: unknown = row?.[0];
    const match = providerId === undefined || providerId === null ? undefined : { providerId: String(providerId), domain };
    const value: Cached = match === undefined ? null : { match, peeked: { cached: true, match } };
    const invalidated = this.invalidatedWhilePending.delete(domain) || flushes !== this.flushes;
    if (!invalidated) this.cache.set(domain, value, value === null ? this.settings.missTtlMs : this.settings.cacheTtlMs);
    return value;
  }

  /** The typed error for a failed query, after noting what it says about the database's state. */
  private failure(error: unknown): DomainSourceUnavailable {
    const reason = this.describe(error);
    if (isConnectionFailure(error)) {
      this.connectionLost(error);
      return new DomainSourceUnavailable(reason, this.retryAfterSeconds());
    }
    if (this.queryProblem?.reason !== reason) {
      this.queryProblem = { reason, since: new Date() };
      this.logger?.warn({ reason }, 'domain lookup in the database failed');
    }
    return new DomainSourceUnavailable(reason, 1);
  }

  private describe(error: unknown): string {
    const { code, message } = (error ?? {}) as { code?: string; message?: string };
    const text = /timeout/i.test(message ?? '') ? `timed out (${message})` : (message ?? String(error));
    return redactSecrets(code !== undefined && !text.includes(code) ? `${text} [${code}]` : text, this.settings.url);
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.reconnectAt - Date.now()) / 1000));
  }

  private connectionLost(error: unknown): void {
    if (this.closed) return;
    if (this.unreachable === undefined) {
      this.unreachable = { reason: `cannot reach the database: ${this.describe(error)}`, since: new Date() };
      this.logger?.warn({ database: this.displayUrl, reason: this.unreachable.reason }, 'domain database unreachable; serving cached domains');
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined || this.reconnecting !== undefined) return;
    // Jitter spreads many server processes' retries after a database restart.
    const delay = Math.round(this.reconnectDelayMs * (0.8 + Math.random() * 0.4));
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.settings.reconnectMaxMs);
    this.reconnectAt = Date.now() + delay;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private reconnect(): Promise<void> {
    this.reconnecting ??= this.tryReconnect().finally(() => {
      this.reconnecting = undefined;
      if (this.unreachable !== undefined) this.scheduleReconnect();
    });
    return this.reconnecting;
  }

  private async tryReconnect(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
      if (this.listens) await this.listen();
    } catch (error) {
      this.connectionLost(error);
      return;
    }
    if (this.unreachable !== undefined) {
      this.logger?.info({ database: this.displayUrl }, 'domain database reachable again');
      this.unreachable = undefined;
    }
    this.reconnectDelayMs = this.settings.reconnectMinMs;
    // Changes made while we were not listening went unannounced: re-ask before trusting the cache.
    this.cache.expireAll();
    this.flushes += 1;
  }

  private async listen(): Promise<void> {
    if (this.listener !== undefined || this.closed) return;
    // Its own name, so an admin (or a test) can tell it from the pool in pg_stat_activity.
    const client = new Client(this.connectionConfig('mail-autoconfig listen'));
    let current = true;
    const lost = (error: unknown) => {
      if (!current) return;
      current = false;
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      this.connectionLost(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('Connection terminated: the LISTEN connection ended')));
    client.on('notification', (notification) => this.invalidate(notification.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${DOMAIN_CHANNEL}`);
    } catch (error) {
      current = false;
      void client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      current = false;
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // A silent partition (a dropped NAT entry, a dead peer) loses every notification while
    // TCP keepalive takes minutes to notice, so the connection is asked a question of its
    // own; no answer within the query timeout counts as losing it (docs/operations.md).
    let checking = false;
    const check = setInterval(() => {
      // A lost connection stops its own check at the next tick; the new connection has its own.
      if (!current) return clearInterval(check);
      if (checking) return;
      checking = true;
      client.query('SELECT 1').then(
        () => void (checking = false),
        (error: unknown) => lost(new Error(`the LISTEN connection failed its check: ${(error as Error).message ?? String(error)}`)),
      );
    }, this.settings.listenCheckMs);
    check.unref();
  }

  private invalidate(domain: string | undefined): void {
    if (domain === undefined) return;
    if (domain === ALL_DOMAINS_CHANGED) {
      this.cache.clear();
      this.flushes += 1;
      return;
    }
    this.cache.delete(domain);
    if (this.pending.has(domain)) this.invalidatedWhilePending.add(domain);
  }

  /** The match if its provider exists in the loaded files; an unknown id counts as not hosted. */
  private known(value: Cached): DomainMatch | undefined {
    if (value === null) return undefined;
    const { match } = value;
    if (this.isKnownProvider(match.providerId)) return match;
    if (!this.reportedUnknownIds.has(match.providerId) && this.reportedUnknownIds.size < MAX_REPORTED_UNKNOWN_IDS) {
      this.reportedUnknownIds.add(match.providerId);
      this.logger?.warn(
        { providerId: match.providerId, domain: match.domain },
        'the domain database names a provider that no provider file defines; its domains are answered as not hosted',
      );
    }
    return undefined;
  }
}

/** Only canonical domain keys reach the database; anything else cannot be hosted. */
function isDomainKey(domain: string): boolean {
  return toDomainKey(domain) === domain;
}
