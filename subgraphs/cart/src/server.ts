import type { EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createCartDb, type CartDb } from './db.ts';
import { createCartContext } from './context.ts';
import { createCatalogClient, type CatalogClient } from './clients/catalog.ts';
import { resolvers } from './resolvers/index.ts';

export interface CartServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: CartDb;
  log?: Logger;
  secret?: string;
  /** Where prices come from; defaults to the catalog subgraph at subgraphUrl('catalog'). */
  catalog?: CatalogClient;
}

export async function createCartServer(options: CartServerOptions) {
  const db = options.db ?? createCartDb(options.databaseUrl);
  const catalog = options.catalog ?? createCatalogClient({ secret: options.secret });
  return createSubgraphServer({
    name: 'cart',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createCartContext({ db, catalog }),
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db } : undefined,
  });
}
