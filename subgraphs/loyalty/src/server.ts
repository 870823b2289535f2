import type { EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createLoyaltyDb, type LoyaltyDb } from './db.ts';
import { createLoyaltyContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';

export interface LoyaltyServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: LoyaltyDb;
  log?: Logger;
  secret?: string;
}

export async function createLoyaltyServer(options: LoyaltyServerOptions) {
  const db = options.db ?? createLoyaltyDb(options.databaseUrl);
  return createSubgraphServer({
    name: 'loyalty',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createLoyaltyContext(db),
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db } : undefined,
  });
}
