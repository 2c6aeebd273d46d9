/**
 * A bounded least-recently-used cache whose entries expire, but are kept after expiry so
 * that they can still be served while their source is unreachable. Built on Map's
 * insertion order (a hit re-inserts its key; the first key is the oldest), which is all an
 * LRU needs: a dependency would add a second notion of staleness to reason about.
 */
export interface CacheEntry<V> {
  readonly value: V;
  /** When the entry stops being fresh (ms since the epoch). */
  readonly freshUntil: number;
  /** The cache generation it was stored in; older generations are stale whatever the time. */
  readonly generation: number;
}

export class ExpiringLruCache<V> {
  private readonly entries = new Map<string, CacheEntry<V>>();
  private generation = 0;

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key`, fresh or not, marked as recently used; undefined when absent. */
  get(key: string): CacheEntry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  isFresh(entry: CacheEntry<V>): boolean {
    return entry.generation === this.generation && this.now() < entry.freshUntil;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, freshUntil: this.now() + ttlMs, generation: this.generation });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Makes every entry stale at once (kept for serving while the source is down). */
  expireAll(): void {
    this.generation += 1;
  }

  clear(): void {
    this.entries.clear();
  }
}
