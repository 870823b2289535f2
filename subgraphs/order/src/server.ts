import { LiveEvents, type EventTransport } from '@storefront/shared/events';
import { LIVE_EVENT_TYPES } from './services/live.ts';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createOrderDb, type OrderDb } from './db.ts';
import { createOrderContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute, userDeletedConsumer } from './privacy.ts';

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
  const live = options.events ? new LiveEvents(options.events, 'order', LIVE_EVENT_TYPES) : undefined;
  return createSubgraphServer({
    name: 'order',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createOrderContext(db, live),
    routes: [privacyExportRoute(db, options.secret)],
    subscriptions: true,
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: async () => {
      await live?.close();
      if (!options.db) await db.$disconnect();
    },
    log: options.log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db, listenUrl: options.databaseUrl, consumers: [userDeletedConsumer(db)] } : undefined,
  });
}
