import { CATALOG_CHANGED, type EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createCatalogDb, type CatalogDb } from './db.ts';
import { createCatalogContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute } from './privacy.ts';
import { applyStockChanged, STOCK_CONSUMER } from './services/stock.ts';
import { responseCachePlugin } from './responseCache.ts';
import { SearchCache, searchCacheTtl } from './services/searchCache.ts';

export interface CatalogServerOptions {
  /** When given, the outbox relay runs and inventory's StockChanged events keep Variant.available current. */
  events?: EventTransport;
  databaseUrl: string;
  db?: CatalogDb;
  log?: Logger;
  secret?: string;
  /** How long search results are reused (ms); defaults to CATALOG_SEARCH_CACHE_MS, else 5000. 0 turns it off. */
  searchCacheMs?: number;
}

export async function createCatalogServer(options: CatalogServerOptions) {
  const db = options.db ?? createCatalogDb(options.databaseUrl);
  const searchCache = new SearchCache(options.searchCacheMs ?? searchCacheTtl());
  return createSubgraphServer({
    name: 'catalog',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createCatalogContext(db, searchCache),
    plugins: [responseCachePlugin()],
    routes: [privacyExportRoute(options.secret)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
    events: options.events
      ? {
          transport: options.events,
          outbox: db,
          listenUrl: options.databaseUrl,
          consumers: [
            {
              group: STOCK_CONSUMER,
              types: ['StockChanged'],
              handler: async (e) => {
                await applyStockChanged(db, { eventId: e.id, variantId: e.aggregateId, available: Number(e.payload.available), occurredAt: e.occurredAt });
              },
            },
            // A write through another process, or a stock event that moved a variant in or out of stock (whichever
            // process applied it): drop this process's cached answers.
            { group: 'catalog.cache', types: [CATALOG_CHANGED], broadcast: true, handler: async () => searchCache.clear() },
          ],
        }
      : undefined,
  });
}
