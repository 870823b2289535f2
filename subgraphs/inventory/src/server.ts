import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createInventoryDb, type InventoryDb } from './db.ts';
import { createInventoryContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';

export interface InventoryServerOptions {
  databaseUrl: string;
  db?: InventoryDb;
  log?: Logger;
  secret?: string;
}

export async function createInventoryServer(options: InventoryServerOptions) {
  const db = options.db ?? createInventoryDb(options.databaseUrl);
  return createSubgraphServer({
    name: 'inventory',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createInventoryContext(db),
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
  });
}
