import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createCatalogDb, type CatalogDb } from './db.ts';
import { createCatalogContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';

export interface CatalogServerOptions {
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
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log: options.log,
    secret: options.secret,
  });
}
