import type { ApolloServerPlugin } from '@apollo/server';
import { setPublicMaxAge } from '@storefront/shared';
import { readsFresh, type CatalogContext } from './context.ts';

/**
 * Reuses whole responses to customer-facing reads for the search cache's TTL. Every shopper on a popular search
 * or category page makes the gateway send catalog the same operation with the same variables, and what catalog
 * answers depends on nothing about the viewer except whether they may see unpublished products. So a query from
 * a viewer who may not (customers, partners, anonymous) that succeeded without errors is answered from memory
 * until the TTL passes or this process writes (the same invalidation as the search cache it lives in). Catalog
 * editors always read fresh, and so do other services (cart and order price lines and check availability with
 * what catalog says now, not what it said a few seconds ago). Mutations are never cached.
 *
 * Those same answers leave with `Cache-Control: public, max-age=N`, N being what is left of their TTL, so the
 * gateway (and a CDN behind it) may keep them no longer than catalog itself would.
 */
export function responseCachePlugin(): ApolloServerPlugin<CatalogContext> {
  return {
    async requestDidStart({ contextValue }) {
      const { viewer, searchCache } = contextValue;
      if (searchCache.ttlMs <= 0 || readsFresh(viewer)) return;
      const generation = searchCache.generation;
      let key: string | null = null;
      let servedFor = 0;
      return {
        async responseForOperation({ operation, request, response }) {
          if (operation.operation !== 'query' || request.query === undefined) return null;
          key = `response\u0000${request.operationName ?? ''}\u0000${request.query}\u0000${JSON.stringify(request.variables ?? {})}`;
          const hit = searchCache.peek<Record<string, unknown>>(key);
          if (hit === undefined) return null;
          servedFor = hit.remainingMs;
          return { http: response.http, body: { kind: 'single', singleResult: { data: hit.value } } };
        },
        async willSendResponse({ response }) {
          if (key === null || response.body.kind !== 'single') return;
          if (servedFor > 0) return setPublicMaxAge(response.http.headers, servedFor);
          const { data, errors } = response.body.singleResult;
          if (!data || errors) return;
          searchCache.put(key, data, generation);
          // Not when a write cleared the cache while this was computed: that answer may predate the write.
          if (searchCache.generation === generation) setPublicMaxAge(response.http.headers, searchCache.ttlMs);
        },
      };
    },
  };
}
