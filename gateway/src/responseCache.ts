import type { ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { ROLE_SCOPES, type Logger, type Viewer } from '@storefront/shared';
import { broadcast, CATALOG_CHANGED, type EventTransport, type Subscription } from '@storefront/shared/events';
import type { GatewayContext } from './context.ts';
import { createCoalescing } from './responseCoalescing.ts';
import { createEntityCache, type EntityCache } from './entityCache.ts';

const CUSTOMER_SCOPES: ReadonlySet<string> = new Set(ROLE_SCOPES.CUSTOMER);

/**
 * Viewers for whom a subgraph's public answer is the whole answer: anonymous callers, customers, and partners
 * holding only customer scopes. Anyone with more (catalog editors see drafts, support sees any customer) never
 * reads or writes a shared cached answer, whatever the subgraphs said.
 */
export const sharesPublicAnswers = (viewer: Viewer) => viewer.service === undefined && viewer.scopes.every((s) => CUSTOMER_SCOPES.has(s));

export interface ResponseCacheStats {
  /** Queries answered from the cache. */
  hits: number;
  /** Queries the cache could have answered but did not hold (cached afterwards when every subgraph allowed it). */
  misses: number;
  /** Queries that missed while an identical one was being fetched, and took its answer (no fetch of their own). */
  coalesced: number;
  /** Queries from viewers who never share cached answers. */
  bypassed: number;
  /** Times the whole cache was emptied (CatalogChanged). */
  clears: number;
  /** Entities of queries' `_entities` fetches answered from the cache (entityCache.ts). */
  entityHits: number;
  /** Entities fetched from their subgraph. */
  entityMisses: number;
}

export interface ResponseCache {
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** The entity cache, in the same memory and emptied with it; the subgraph data sources use it. */
  entities: EntityCache;
  stats(): ResponseCacheStats;
  /** Drops every cached response and entity. */
  clear(): void;
}

/**
 * Whole-response caching driven by the subgraphs' own Cache-Control headers. Each subgraph fetch narrows the
 * response's cache policy (SignedDataSource); a response is stored only when every fetch said `public` with a
 * max-age, and only for that long. Catalog and inventory say so for customer-facing reads; every other subgraph
 * sends no header, so anything personal (a cart, an order, points) is never stored. Mutations and responses
 * with errors are never stored either. The same policy becomes the response's own Cache-Control header (Apollo's
 * cache control plugin), so a CDN in front of GET persisted queries caches what the gateway caches.
 *
 * The cache is per process (an LRU bounded in bytes): a hit costs no network round trip. What a replica holds
 * is at most max-age old, and catalog's CatalogChanged empties it sooner (clearOnCatalogChanges). The same LRU
 * holds single entities (entityCache.ts), so a query missing here still takes the entities it shares with
 * others (the stock of variants listed on many pages) from memory.
 */
export function createResponseCache(maxBytes: number, subgraphTimeoutMs: number): ResponseCache | null {
  if (maxBytes <= 0) return null;
  const stats: Omit<ResponseCacheStats, 'entityHits' | 'entityMisses'> = { hits: 0, misses: 0, coalesced: 0, bypassed: 0, clears: 0 };
  // Per request, set when it starts: whether its viewer shares public answers, and how many clears it started
  // after (an answer fetched across a clear may predate the change that caused it, so it is neither stored nor
  // shared).
  const requests = new WeakMap<GatewayContext, { shares: boolean; startedAfter: number }>();
  const shares = (context: GatewayContext) => requests.get(context)?.shares === true;
  const current = (context: GatewayContext) => requests.get(context)?.startedAfter === stats.clears;
  const cache = new InMemoryLRUCache<string>({ maxSize: maxBytes });
  const entities = createEntityCache(cache, () => stats.clears);
  const coalescing = createCoalescing({ shares, current, maxWaitMs: subgraphTimeoutMs });
  const store: ApolloServerPlugin<GatewayContext> = responseCachePlugin<GatewayContext>({
    cache,
    // Never per-session: private answers are not cached here at all.
    sessionId: async () => null,
    shouldReadFromCache: async ({ contextValue }) => shares(contextValue),
    // A request that took another's answer has nothing new to store: that one stores it.
    shouldWriteToCache: async ({ contextValue }) => shares(contextValue) && current(contextValue) && !coalescing.answeredByAnother(contextValue),
  });
  const bookkeeping: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ contextValue }) {
      const request = { shares: sharesPublicAnswers(contextValue.viewer), startedAfter: stats.clears };
      requests.set(contextValue, request);
      return {
        async willSendResponse({ operation, metrics, contextValue }) {
          if (operation?.operation !== 'query') return;
          if (!request.shares) stats.bypassed += 1;
          else if (metrics.responseCacheHit) stats.hits += 1;
          else if (coalescing.answeredByAnother(contextValue)) stats.coalesced += 1;
          else stats.misses += 1;
        },
      };
    },
  };
  const clear = () => {
    cache.clear();
    stats.clears += 1;
  };
  // Order matters: bookkeeping's requestDidStart runs first, so the others find the request's state; the cache
  // answers hits, so coalescing only ever sees misses.
  return {
    plugins: [bookkeeping, store, coalescing.plugin],
    entities,
    stats: () => {
      const { hits: entityHits, misses: entityMisses } = entities.stats();
      return { ...stats, entityHits, entityMisses };
    },
    clear,
  };
}

/**
 * Empties the cache whenever catalog announces a change (an editor's write, a variant going in or out of stock),
 * so shoppers see it at once rather than after the cached answers' max-age. Every gateway listens in a consumer
 * group of its own (broadcast), from now on, removed on close. A lost event costs at most that max-age.
 */
export function clearOnCatalogChanges(transport: EventTransport, cache: ResponseCache, log: Logger): Subscription {
  return transport.subscribe(
    broadcast('gateway.response-cache', [CATALOG_CHANGED], async (event) => {
      cache.clear();
      log.debug({ reason: event.payload.reason }, 'catalog changed: response cache cleared');
    }),
  );
}

/** GATEWAY_RESPONSE_CACHE_MB (default 64; 0 turns the cache off). */
export function responseCacheBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GATEWAY_RESPONSE_CACHE_MB;
  const mb = raw === undefined || raw === '' ? 64 : Number(raw);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`GATEWAY_RESPONSE_CACHE_MB must be a number of megabytes, 0 to turn the cache off; got ${raw}`);
  return Math.floor(mb * 1024 * 1024);
}
