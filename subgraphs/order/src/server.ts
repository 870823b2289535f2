import type { EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createOrderDb, type OrderDb } from './db.ts';
import { createOrderContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';

export interface OrderServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: OrderDb;
  log?: Logger;
  secret?: string;
}

export async function createOrderServer(options: OrderServerOptions) {
  const db = options.db ?? createOrderDb(options.databaseUrl);
  return createSubgraphServer({
    name: 'order',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createOrderContext(db),
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db } : undefined,
  });
}
