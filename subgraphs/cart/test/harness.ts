import { createTestDatabase } from '@storefront/shared/testing';
import type { DemoFixture } from '@storefront/shared/fixtures';
// Prices come from a real catalog subgraph built in-process, on its own test database.
import { createCatalogDb, createCatalogServer, seedCatalog, type CatalogDb } from '@storefront/catalog';
import { createCartDb, createCartServer, createCatalogClient, type CartDb } from '../src/index.ts';

export interface CartHarness {
  /** The cart subgraph's GraphQL URL. */
  url: string;
  db: CartDb;
  catalogDb: CatalogDb;
  stop(): Promise<void>;
}

/** The cart subgraph in-process, pricing from a seeded catalog subgraph; both databases fresh and dropped by stop(). */
export async function startCartWithCatalog(fixture: DemoFixture): Promise<CartHarness> {
  const [catalogDatabase, cartDatabase] = await Promise.all([createTestDatabase('catalog'), createTestDatabase('cart')]);
  const catalogDb = createCatalogDb(catalogDatabase.url);
  await seedCatalog(catalogDb, fixture);
  const catalog = await createCatalogServer({ databaseUrl: catalogDatabase.url, db: catalogDb });
  const catalogUrl = `${await catalog.listen(0)}/graphql`;
  const db = createCartDb(cartDatabase.url);
  const server = await createCartServer({ databaseUrl: cartDatabase.url, db, catalog: createCatalogClient({ url: catalogUrl }), checkoutSweepIntervalMs: 0 });
  const url = `${await server.listen(0)}/graphql`;
  return {
    url,
    db,
    catalogDb,
    async stop() {
      await server.close();
      await catalog.close();
      await db.$disconnect();
      await catalogDb.$disconnect();
      await Promise.all([cartDatabase.drop(), catalogDatabase.drop()]);
    },
  };
}
