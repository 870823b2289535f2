import { performance } from 'node:perf_hooks';
import { withDatabase } from '@storefront/shared';
import { applyMigrations, dropDatabase, ensureDatabase } from '@storefront/shared/db';
import { createCatalogDb } from '../../subgraphs/catalog/src/index.ts';
import { createInventoryDb } from '../../subgraphs/inventory/src/index.ts';
import { generateCatalog, writeCatalog, type BenchCatalog } from './catalogData.ts';

/**
 * The large catalog of the catalog-search bench, in two databases on the given PostgreSQL server: `bench_catalog`
 * (products, variants, the denormalised availability) and `bench_inventory` (one stock level per variant at one
 * location, agreeing with catalog's copy). Seeding takes a minute or more, so a database already holding this
 * exact catalog is reused; BENCH_RESEED=1 rebuilds both.
 */
export interface CatalogBench {
  catalog: BenchCatalog;
  catalogUrl: string;
  inventoryUrl: string;
  seedSeconds: number | null;
}

const LOCATION = { id: 'bench-location-main', code: 'BENCH-MAIN', name: 'Bench warehouse', priority: 0 };

async function isSeeded(catalogUrl: string, inventoryUrl: string, catalog: BenchCatalog): Promise<boolean> {
  const db = createCatalogDb(catalogUrl, { max: 1 });
  const inv = createInventoryDb(inventoryUrl, { max: 1 });
  try {
    const [products, variants, levels] = await Promise.all([db.product.count(), db.variant.count(), inv.stockLevel.count()]);
    const last = catalog.variants[catalog.variants.length - 1];
    const sample = await db.variant.findUnique({ where: { id: last.id }, select: { available: true } });
    return products === catalog.products.length && variants === catalog.variants.length && levels === catalog.variants.length && sample?.available === last.available;
  } catch {
    return false;
  } finally {
    await Promise.all([db.$disconnect(), inv.$disconnect()]);
  }
}

export async function prepareCatalogBench(serverUrl: string, productCount: number): Promise<CatalogBench> {
  const catalog = generateCatalog(productCount, 5);
  const catalogUrl = withDatabase(serverUrl, 'bench_catalog');
  const inventoryUrl = withDatabase(serverUrl, 'bench_inventory');
  if (!process.env.BENCH_RESEED) {
    await Promise.all([ensureDatabase(catalogUrl), ensureDatabase(inventoryUrl)]);
    await Promise.all([applyMigrations('catalog', catalogUrl), applyMigrations('inventory', inventoryUrl)]);
    if (await isSeeded(catalogUrl, inventoryUrl, catalog)) return { catalog, catalogUrl, inventoryUrl, seedSeconds: null };
  }
  const started = performance.now();
  await Promise.all([dropDatabase(catalogUrl), dropDatabase(inventoryUrl)]);
  await Promise.all([ensureDatabase(catalogUrl), ensureDatabase(inventoryUrl)]);
  await Promise.all([applyMigrations('catalog', catalogUrl), applyMigrations('inventory', inventoryUrl)]);
  const db = createCatalogDb(catalogUrl, { max: 2 });
  const inv = createInventoryDb(inventoryUrl, { max: 2 });
  try {
    await writeCatalog(db, catalog);
    await inv.location.create({ data: LOCATION });
    for (let i = 0; i < catalog.variants.length; i += 5_000) {
      await inv.stockLevel.createMany({
        data: catalog.variants.slice(i, i + 5_000).map((v) => ({ variantId: v.id, locationId: LOCATION.id, sku: v.sku, onHand: v.available })),
      });
    }
    await inv.$executeRaw`VACUUM ANALYZE`;
  } finally {
    await Promise.all([db.$disconnect(), inv.$disconnect()]);
  }
  return { catalog, catalogUrl, inventoryUrl, seedSeconds: Math.round((performance.now() - started) / 100) / 10 };
}
