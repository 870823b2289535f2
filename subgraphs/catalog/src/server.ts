import type { EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createCatalogDb, type CatalogDb } from './db.ts';
import { createCatalogContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute } from './privacy.ts';
import { applyStockChanged, STOCK_CONSUMER } from './services/stock.ts';

export interface CatalogServerOptions {
  /** When given, the outbox relay runs and inventory's StockChanged events keep Variant.available current. */
  events?: EventTransport;
  databaseUrl: string;
  db?: CatalogDb;
  log?: Logger;
  secret?: string;
}

export async function createCatalogServer(options: CatalogServerOptions) {
  const db = options.db ?? createCatalogDb(options.databaseUrl);
  return createSubgraphServer({
    name: 'catalog',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createCatalogContext(db),
    routes: [privacyExportRoute(options.secret)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
    events: options.events
      ? {
          transport: options.events,
          outbox: db,
          consumers: [
            {
              group: STOCK_CONSUMER,
              types: ['StockChanged'],
              handler: async (e) => {
                await applyStockChanged(db, { eventId: e.id, variantId: e.aggregateId, available: Number(e.payload.available), occurredAt: e.occurredAt });
              },
            },
          ],
        }
      : undefined,
  });
}
