/**
 * A short-lived, per-process cache of catalog reads: search results (page rows, totals, facets) keyed by the
 * validated query plan, and whole customer-facing responses (responseCache.ts). The storefront's traffic repeats
 * itself (the same popular searches and category pages from many shoppers), and catalog processes scale out while
 * the database does not: each hit saves the database the statements that dominate a search page.
 *
 * Freshness: a catalog write made through this process clears the cache at once; CatalogChanged (any process's
 * write, a variant going in or out of stock) clears it when it arrives; `ttlMs` bounds the rest (a lost event).
 * Concurrent misses on one key share a single computation, so a burst on a cold query costs the database one
 * round of statements. A failed computation is not kept.
 *
 * It also holds the rows of relations customer-facing reads load (a product's variants and images, a category;
 * see `rowsOf`), apart from the searches so that they do not evict them: every search page loads the variants
 * of its 24 products, and popular products appear on many different pages.
 */
export class SearchCache {
  private readonly entries = new Map<string, { until: number; value: Promise<unknown>; settled?: { value: unknown } }>();

  private readonly rows = new Map<string, { until: number; rows: readonly unknown[] }>();

  /** Row keys being fetched, with their rows to come: a concurrent request needing one waits rather than fetch it again. */
  private readonly fetching = new Map<string, Promise<readonly unknown[]>>();

  private clears = 0;

  constructor(readonly ttlMs: number, private readonly maxEntries = 1_000, private readonly maxRowKeys = 20_000) {}

  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return compute();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) {
      // Re-inserting keeps the Map in least-recently-used order for eviction.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    const entry = { until: now + this.ttlMs, value: compute() as Promise<unknown> };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry.value as Promise<T>;
  }

  /** A fresh value stored with `put`, without waiting, and how long it stays fresh. */
  peek<T>(key: string): { value: T; remainingMs: number } | undefined {
    const hit = this.entries.get(key);
    const remainingMs = hit ? hit.until - Date.now() : 0;
    return hit?.settled && remainingMs > 0 ? { value: hit.settled.value as T, remainingMs } : undefined;
  }

  /**
   * Stores a value computed outside `get`. Pass the `generation` read before computing it: a value computed
   * across a clear() may predate the write that cleared, so it is dropped.
   */
  put(key: string, value: unknown, generation = this.generation): void {
    if (this.ttlMs <= 0 || generation !== this.generation) return;
    this.entries.delete(key);
    this.entries.set(key, { until: Date.now() + this.ttlMs, value: Promise.resolve(value), settled: { value } });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /**
   * The rows of `keys` (of one `kind`: the variants of products, categories by id): those held fresh from memory,
   * those another request is fetching from its fetch, the others through one `fetch` of the keys missing, whose
   * rows are then kept by `keyOf` (a key without rows as an empty list). Rows fetched across a clear() are returned
   * but not kept. Cached rows are shared between requests and must not be modified.
   */
  async rowsOf<T>(kind: string, keys: readonly string[], fetch: (missing: string[]) => Promise<T[]>, keyOf: (row: T) => string): Promise<T[]> {
    if (this.ttlMs <= 0) return fetch([...keys]);
    const rowKey = (key: string) => `${kind}\u0000${key}`;
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    const keep = (key: string, entry: { until: number; rows: readonly unknown[] }) => {
      this.rows.delete(rowKey(key));
      this.rows.set(rowKey(key), entry);
    };
    const now = Date.now();
    const held: T[] = [];
    const others: Promise<readonly unknown[]>[] = [];
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.rows.get(rowKey(key));
      const pending = this.fetching.get(rowKey(key));
      if (hit && hit.until > now) {
        held.push(...(hit.rows as T[]));
        keep(key, hit);
      } else if (pending) others.push(pending);
      else missing.push(key);
    }
    const fetched = missing.length ? await this.fetchRows(missing, rowKey, fetch, keyOf, keep) : [];
    return [...held, ...fetched, ...((await Promise.all(others)).flat() as T[])];
  }

  private async fetchRows<T>(
    missing: string[],
    rowKey: (key: string) => string,
    fetch: (missing: string[]) => Promise<T[]>,
    keyOf: (row: T) => string,
    keep: (key: string, entry: { until: number; rows: readonly unknown[] }) => void,
  ): Promise<T[]> {
    const generation = this.generation;
    const batch = fetch(missing);
    const byKey = batch.then((rows) => {
      const grouped = new Map<string, T[]>(missing.map((key) => [key, []]));
      for (const row of rows) grouped.get(keyOf(row))?.push(row);
      return grouped;
    });
    const promised = missing.map((key) => {
      const rows = byKey.then((grouped) => grouped.get(key)!);
      rows.catch(() => undefined); // a failure reaches whoever waits on it, not the process
      this.fetching.set(rowKey(key), rows);
      return rows;
    });
    try {
      const grouped = await byKey;
      if (generation === this.generation) {
        const until = Date.now() + this.ttlMs;
        for (const [key, rows] of grouped) keep(key, { until, rows });
        while (this.rows.size > this.maxRowKeys) this.rows.delete(this.rows.keys().next().value!);
      }
      return batch;
    } finally {
      missing.forEach((key, i) => this.fetching.get(rowKey(key)) === promised[i] && this.fetching.delete(rowKey(key)));
    }
  }

  /** Forgets everything: after every catalog write this process makes, and on CatalogChanged. */
  clear(): void {
    this.clears++;
    this.entries.clear();
    this.rows.clear();
    // Requests after the clear fetch for themselves: a fetch under way may predate the write.
    this.fetching.clear();
  }

  /** Counts clear() calls. */
  get generation(): number {
    return this.clears;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** CATALOG_SEARCH_CACHE_MS (default 5000; 0 turns the cache off). */
export function searchCacheTtl(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CATALOG_SEARCH_CACHE_MS;
  if (raw === undefined || raw === '') return 5_000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`CATALOG_SEARCH_CACHE_MS must be a non-negative integer, got "${raw}"`);
  return ms;
}
