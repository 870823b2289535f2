import { describe, expect, it } from 'vitest';
import { SearchCache, searchCacheTtl } from './searchCache.ts';

const counter = () => {
  let calls = 0;
  return { compute: async () => ++calls, get calls() { return calls; } };
};

describe('SearchCache', () => {
  it('computes a key once while fresh, and shares one computation between concurrent misses', async () => {
    const cache = new SearchCache(60_000);
    const c = counter();
    const [a, b] = await Promise.all([cache.get('k', c.compute), cache.get('k', c.compute)]);
    expect([a, b, await cache.get('k', c.compute)]).toEqual([1, 1, 1]);
    expect(c.calls).toBe(1);
    expect(await cache.get('other', c.compute)).toBe(2);
  });

  it('computes again once the entry is older than the TTL, or after clear()', async () => {
    const cache = new SearchCache(30);
    const c = counter();
    await cache.get('k', c.compute);
    await new Promise((r) => setTimeout(r, 60));
    expect(await cache.get('k', c.compute)).toBe(2);
    cache.clear();
    expect(await cache.get('k', c.compute)).toBe(3);
  });

  it('does not keep a failed computation', async () => {
    const cache = new SearchCache(60_000);
    await expect(cache.get('k', async () => { throw new Error('database down'); })).rejects.toThrow('database down');
    expect(await cache.get('k', async () => 'recovered')).toBe('recovered');
  });

  it('evicts the least recently used entry beyond its size', async () => {
    const cache = new SearchCache(60_000, 2);
    const c = counter();
    await cache.get('a', c.compute);
    await cache.get('b', c.compute);
    await cache.get('a', c.compute); // a is now the most recent
    await cache.get('c', c.compute); // evicts b
    expect(cache.size).toBe(2);
    expect(await cache.get('a', c.compute)).toBe(1);
    expect(await cache.get('b', c.compute)).toBe(4);
  });

  it('is off with a TTL of 0, and reads its TTL from CATALOG_SEARCH_CACHE_MS', async () => {
    const cache = new SearchCache(0);
    const c = counter();
    await cache.get('k', c.compute);
    await cache.get('k', c.compute);
    expect(c.calls).toBe(2);
    expect(searchCacheTtl({})).toBe(5_000);
    expect(searchCacheTtl({ CATALOG_SEARCH_CACHE_MS: '0' })).toBe(0);
    expect(() => searchCacheTtl({ CATALOG_SEARCH_CACHE_MS: '-1' })).toThrow(/non-negative/);
  });

  it('keeps values stored with put for peek until the TTL or clear(), and never with a TTL of 0', async () => {
    const cache = new SearchCache(30);
    expect(cache.peek('r')).toBeUndefined();
    cache.put('r', { data: 1 });
    const fresh = cache.peek('r');
    expect(fresh?.value).toEqual({ data: 1 });
    expect(fresh?.remainingMs).toBeGreaterThan(0);
    expect(fresh?.remainingMs).toBeLessThanOrEqual(30);
    expect(await cache.get('r', async () => 'computed')).toEqual({ data: 1 });
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.peek('r')).toBeUndefined();
    cache.put('r', 2);
    cache.clear();
    expect(cache.peek('r')).toBeUndefined();
    const before = cache.generation;
    cache.clear();
    cache.put('r', 'computed before the clear', before);
    expect(cache.peek('r')).toBeUndefined();
    const off = new SearchCache(0);
    off.put('r', 3);
    expect(off.peek('r')).toBeUndefined();
  });

  describe('rowsOf', () => {
    type Row = { productId: string; n: number };
    const table: Row[] = [{ productId: 'p1', n: 1 }, { productId: 'p1', n: 2 }, { productId: 'p2', n: 3 }];
    const fetcher = () => {
      const calls: string[][] = [];
      return { calls, fetch: async (keys: string[]) => (calls.push(keys), table.filter((r) => keys.includes(r.productId))) };
    };
    const byProduct = (r: Row) => r.productId;

    it('fetches only the keys it does not hold, keeps keys without rows too, and answers the rest from memory', async () => {
      const cache = new SearchCache(60_000);
      const f = fetcher();
      expect(await cache.rowsOf('variants', ['p1', 'p3'], f.fetch, byProduct)).toEqual([table[0], table[1]]);
      const again = await cache.rowsOf('variants', ['p3', 'p2', 'p1'], f.fetch, byProduct);
      expect(again).toHaveLength(3);
      expect(new Set(again)).toEqual(new Set(table));
      expect(f.calls).toEqual([['p1', 'p3'], ['p2']]);
      // Another kind of rows is another key space.
      await cache.rowsOf('images', ['p1'], f.fetch, byProduct);
      expect(f.calls).toEqual([['p1', 'p3'], ['p2'], ['p1']]);
    });

    it('fetches again after the TTL or clear(), does not keep rows fetched across a clear(), and is off with a TTL of 0', async () => {
      const cache = new SearchCache(30);
      const f = fetcher();
      await cache.rowsOf('variants', ['p1'], f.fetch, byProduct);
      await new Promise((r) => setTimeout(r, 60));
      await cache.rowsOf('variants', ['p1'], f.fetch, byProduct);
      cache.clear();
      await cache.rowsOf('variants', ['p1'], f.fetch, byProduct);
      expect(f.calls).toHaveLength(3);

      const racing = new SearchCache(60_000);
      const slow = async (keys: string[]) => {
        racing.clear(); // a write lands while the rows are being read
        return f.fetch(keys);
      };
      expect(await racing.rowsOf('variants', ['p2'], slow, byProduct)).toEqual([table[2]]);
      await racing.rowsOf('variants', ['p2'], f.fetch, byProduct);
      expect(f.calls.slice(3)).toEqual([['p2'], ['p2']]);

      const off = new SearchCache(0);
      await off.rowsOf('variants', ['p1'], f.fetch, byProduct);
      await off.rowsOf('variants', ['p1'], f.fetch, byProduct);
      expect(f.calls).toHaveLength(7);
    });

    it('lets a concurrent request wait for the rows another is fetching rather than fetch them again', async () => {
      const cache = new SearchCache(60_000);
      const calls: string[][] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = async (keys: string[]) => {
        calls.push(keys);
        await gate;
        return table.filter((r) => keys.includes(r.productId));
      };
      const first = cache.rowsOf('variants', ['p1'], slow, byProduct);
      const second = cache.rowsOf('variants', ['p1', 'p2'], slow, byProduct);
      release();
      expect(await first).toEqual([table[0], table[1]]);
      expect(new Set(await second)).toEqual(new Set(table));
      expect(calls).toEqual([['p1'], ['p2']]);
    });

    it('passes a failed fetch on to whoever waits for it and keeps nothing of it; after a clear() nobody waits for an older fetch', async () => {
      const cache = new SearchCache(60_000);
      let fail!: (e: Error) => void;
      const failing = () => new Promise<Row[]>((_, reject) => (fail = reject));
      const first = cache.rowsOf('variants', ['p1'], failing, byProduct);
      const waiting = cache.rowsOf('variants', ['p1'], failing, byProduct);
      fail(new Error('database down'));
      await expect(first).rejects.toThrow('database down');
      await expect(waiting).rejects.toThrow('database down');
      const f = fetcher();
      expect(await cache.rowsOf('variants', ['p1'], f.fetch, byProduct)).toEqual([table[0], table[1]]);

      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const old = cache.rowsOf('variants', ['p2'], async (keys) => (await gate, f.fetch(keys)), byProduct);
      cache.clear(); // a write lands while p2 is being read
      expect(await cache.rowsOf('variants', ['p2'], f.fetch, byProduct)).toEqual([table[2]]);
      release();
      await old;
      expect(f.calls).toEqual([['p1'], ['p2'], ['p2']]);
    });

    it('holds at most its number of row keys, dropping the least recently used', async () => {
      const cache = new SearchCache(60_000, 1_000, 2);
      const f = fetcher();
      await cache.rowsOf('variants', ['p1'], f.fetch, byProduct);
      await cache.rowsOf('variants', ['p2'], f.fetch, byProduct);
      await cache.rowsOf('variants', ['p1'], f.fetch, byProduct); // p1 is now the most recent
      await cache.rowsOf('variants', ['p3'], f.fetch, byProduct); // drops p2
      await cache.rowsOf('variants', ['p1', 'p2'], f.fetch, byProduct);
      expect(f.calls).toEqual([['p1'], ['p2'], ['p3'], ['p2']]);
    });
  });
});
