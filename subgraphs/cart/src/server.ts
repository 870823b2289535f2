import type { EventTransport } from '@storefront/shared/events';
import { createLimiter, createLogger, createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createCartDb, type CartDb } from './db.ts';
import { createCartContext } from './context.ts';
import { createCatalogClient, type CatalogClient } from './clients/catalog.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute, userDeletedConsumer } from './privacy.ts';
import { createSagaClients, createServiceCaller } from './clients/services.ts';
import { createLoyaltyHolds, startCheckoutSweeper } from './services/checkout.ts';

export interface CartServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: CartDb;
  log?: Logger;
  secret?: string;
  /** Where prices come from; defaults to the catalog subgraph at subgraphUrl('catalog'). */
  catalog?: CatalogClient;
  /** How often stuck checkouts are recovered (ms); 0 turns the sweeper off. Default 5000. */
  checkoutSweepIntervalMs?: number;
}

export async function createCartServer(options: CartServerOptions) {
  const db = options.db ?? createCartDb(options.databaseUrl);
  const catalog = options.catalog ?? createCatalogClient({ secret: options.secret });
  const log = options.log ?? createLogger('cart');
  const call = createServiceCaller({ secret: options.secret });
  const saga = createSagaClients(call);
  const gate = createLimiter(Number(process.env.CHECKOUT_CONCURRENCY ?? 4));
  const checkout = { db, catalog, saga, loyalty: createLoyaltyHolds(call), gate };
  const interval = options.checkoutSweepIntervalMs ?? 5_000;
  const sweeper = interval > 0 ? startCheckoutSweeper({ ...checkout, log: log.child({ component: 'checkout-sweeper' }) }, interval) : null;
  return createSubgraphServer({
    name: 'cart',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createCartContext({ db, catalog, checkout }),
    routes: [privacyExportRoute(db, options.secret)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: async () => {
      await sweeper?.stop();
      if (!options.db) await db.$disconnect();
    },
    log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db, listenUrl: options.databaseUrl, consumers: [userDeletedConsumer(db)] } : undefined,
  });
}
