import DataLoader from 'dataloader';

/**
 * One loader per request and per kind of lookup. `fetch` receives every key asked for in one
 * tick and makes one query; results are matched back to keys, missing ones become null.
 */
export function loaderById<T, K extends string = string>(fetch: (ids: readonly K[]) => Promise<T[]>, keyOf: (row: T) => K) {
  return new DataLoader<K, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((r) => [keyOf(r), r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Like loaderById, for one-to-many relations: each key gets the (possibly empty) list of its rows. */
export function loaderByGroup<T, K extends string = string>(fetch: (keys: readonly K[]) => Promise<T[]>, groupOf: (row: T) => K) {
  return new DataLoader<K, T[]>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<K, T[]>();
    for (const row of rows) {
      const key = groupOf(row);
      const list = groups.get(key);
      if (list) list.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}
