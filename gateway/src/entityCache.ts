import { createHash } from 'node:crypto';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { CacheHint } from './dataSource.ts';

/** What a subgraph answered to one fetch: the parsed body and its Cache-Control as a hint. */
export interface SubgraphAnswer {
  body: { data?: Record<string, unknown> | null; errors?: { path?: (string | number)[] }[] } & Record<string, unknown>;
  hint: CacheHint;
}

export interface EntityCacheStats {
  /** Entities of `_entities` fetches answered from memory. */
  hits: number;
  /** Entities fetched from their subgraph (stored when it marked the answer public). */
  misses: number;
}

export interface EntityCache {
  /**
   * Runs one `_entities` fetch for a viewer who shares public answers: the representations held fresh are
   * answered from memory, only the others are sent (`send` takes the variables to send), and what the subgraph
   * marked public is kept for its max-age. The hint returned is what the whole fetch may be cached for: what is
   * left of the held entities' max-age, in whole seconds, at most.
   */
  fetch(serviceName: string, query: string, variables: Record<string, unknown>, send: (variables: Record<string, unknown>) => Promise<SubgraphAnswer>): Promise<SubgraphAnswer>;
  stats(): EntityCacheStats;
}

/**
 * Stored as `<expiresAt ms>:<the entity as JSON>`: each hit parses its own copy of the entity, since the gateway
 * merges other subgraphs' fields into it.
 */
const stored = (raw: string) => {
  const colon = raw.indexOf(':');
  return { expiresAt: Number(raw.slice(0, colon)), entity: raw.slice(colon + 1) };
};

/**
 * Entity caching for `_entities` fetches, as a router's entity cache does: the same variant's stock appears on
 * every search and product page that lists it, under many different whole queries (another search, another price
 * cap, another page), so a whole-response cache misses where the entity is already known. Entries live in the
 * response cache's LRU (one memory bound), under the subgraph, the fetch's selection and its other variables, and
 * the representation. `generation` counts the response cache's clears: an answer fetched across one is not kept.
 */
export function createEntityCache(cache: KeyValueCache<string>, generation: () => number): EntityCache {
  const stats: EntityCacheStats = { hits: 0, misses: 0 };
  return {
    stats: () => ({ ...stats }),
    async fetch(serviceName, query, variables, send) {
      const { representations, ...rest } = variables as { representations: unknown[] };
      const selection = createHash('sha256').update(query).update('\u0000').update(JSON.stringify(rest)).digest('base64url');
      const keys = representations.map((r) => `entity:${serviceName}:${selection}:${JSON.stringify(r)}`);
      const now = Date.now();
      const held = await Promise.all(
        keys.map(async (key) => {
          const raw = await cache.get(key);
          const entry = raw === undefined ? null : stored(raw);
          // Max-age is in whole seconds: an entry with less than one left is as good as gone.
          return entry && entry.expiresAt - now >= 1_000 ? entry : null;
        }),
      );
      // Each entity missing is sent once, however often the list repeats it: `slot` is its place in what is sent.
      const slot = new Map<string, number>();
      const missing: number[] = [];
      held.forEach((h, i) => h || slot.has(keys[i]) || (slot.set(keys[i], missing.length), missing.push(i)));
      stats.hits += held.filter(Boolean).length;
      stats.misses += missing.length;
      const heldMaxAge = Math.min(...held.flatMap((h) => (h ? [Math.floor((h.expiresAt - now) / 1_000)] : [])));
      const entities: unknown[] = held.map((h) => (h ? JSON.parse(h.entity) : null));
      if (missing.length === 0) return { body: { data: { _entities: entities } }, hint: { maxAge: heldMaxAge, scope: 'PUBLIC' } };

      const before = generation();
      const answer = await send({ ...rest, representations: missing.map((i) => representations[i]) });
      // Error paths point into what was sent; the gateway reads them against the whole list.
      const errors = answer.body.errors?.map((e) =>
        e.path?.[0] === '_entities' && typeof e.path[1] === 'number' ? { ...e, path: ['_entities', missing[e.path[1]], ...e.path.slice(2)] } : e,
      );
      const fetched = answer.body.data?._entities;
      if (!Array.isArray(fetched) || fetched.length !== missing.length) return { body: { ...answer.body, ...(errors ? { errors } : {}) }, hint: answer.hint };
      held.forEach((h, i) => h || (entities[i] = fetched[slot.get(keys[i])!]));
      const maxAge = answer.hint.maxAge ?? 0;
      if (!errors && answer.hint.scope === 'PUBLIC' && maxAge > 0 && generation() === before) {
        const expiresAt = Date.now() + maxAge * 1_000;
        await Promise.all(
          fetched.map((entity, j) => cache.set(keys[missing[j]], `${expiresAt}:${JSON.stringify(entity)}`, { ttl: maxAge })),
        );
      }
      const hint: CacheHint = { ...answer.hint, maxAge: Math.min(maxAge, heldMaxAge) };
      return { body: { ...answer.body, data: { ...answer.body.data, _entities: entities }, ...(errors ? { errors } : {}) }, hint };
    },
  };
}
