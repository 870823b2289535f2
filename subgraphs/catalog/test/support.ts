import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture, stockFor, type FixtureProduct, type FixtureVariant } from '@storefront/shared/fixtures';
import { createCatalogDb, createCatalogServer, seedCatalog, type CatalogDb } from '../src/index.ts';

/**
 * Test support: a seeded catalog subgraph on its own database, and an independent model of the fixture that the
 * tests compute expected results from (plain loops over demoFixture(), no SQL).
 */

export const fixture = demoFixture();
export const customer = fixture.customer;
export const admin = fixture.users.find((u) => u.roles.includes('ADMIN'))!;
export const asCustomer = () => gatewayHeaders({ userId: customer.id, roles: ['CUSTOMER'] });
export const asAdmin = () => gatewayHeaders({ userId: admin.id, roles: ['ADMIN'] });
export const asAnonymous = () => gatewayHeaders({});

export interface CatalogHarness {
  database: TestDatabase;
  db: CatalogDb;
  statements: ReturnType<typeof countStatements>;
  url: string;
  /** POST a query; returns the parsed body. */
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: any; errors?: any[] }>;
  stop(): Promise<void>;
}

export async function startCatalog(options: { seed?: boolean; searchCacheMs?: number } = {}): Promise<CatalogHarness> {
  const database = await createTestDatabase('catalog');
  const db = createCatalogDb(database.url, { logQueries: true });
  const statements = countStatements(db as any);
  if (options.seed !== false) await seedCatalog(db, fixture);
  // No search cache: these tests write through the database directly and read straight after (searchCache.test.ts covers it).
  const server = await createCatalogServer({ databaseUrl: database.url, db, searchCacheMs: options.searchCacheMs ?? 0 });
  const url = `${await server.listen(0)}/graphql`;
  return {
    database, db, statements, url,
    gql: async (query, variables = {}, headers = asCustomer()) => (await postGraphQL(url, query, variables, headers)).body,
    async stop() {
      await server.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}

// ---- the model -------------------------------------------------------------------------------------------

export const available = (sku: string) => stockFor(sku)[0] + stockFor(sku)[1];
const categoryBySlug = new Map(fixture.categories.map((c) => [c.slug, c]));
export const categoryId = (slug: string) => categoryBySlug.get(slug)!.id;

/** The product's category and all its ancestors (ids). */
export function categoryChain(p: FixtureProduct): string[] {
  const chain: string[] = [];
  for (let c = categoryBySlug.get(p.categorySlug); c; c = c.parentSlug ? categoryBySlug.get(c.parentSlug) : undefined) chain.push(c.id);
  return chain;
}

export const minPrice = (p: FixtureProduct) => Math.min(...p.variants.map((v) => v.price));
export const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface ModelFilter {
  categoryId?: string;
  minPrice?: number;
  maxPrice?: number;
  options?: { name: string; values: string[] }[];
  brands?: string[];
  inStock?: boolean;
}

/** A filter dimension left out when counting that dimension's facet. */
export type Dimension = 'category' | 'brand' | 'price' | 'stock' | `option:${string}`;

export function variantMatches(v: FixtureVariant, f: ModelFilter, except?: Dimension): boolean {
  if (except !== 'stock' && f.inStock && available(v.sku) <= 0) return false;
  if (except !== 'price' && f.minPrice != null && v.price < f.minPrice) return false;
  if (except !== 'price' && f.maxPrice != null && v.price > f.maxPrice) return false;
  for (const o of f.options ?? []) {
    if (except === `option:${o.name}`) continue;
    if (!v.options.some((x) => x.name === o.name && o.values.includes(x.value))) return false;
  }
  return true;
}

export function productLevelMatches(p: FixtureProduct, f: ModelFilter, except?: Dimension): boolean {
  if (except !== 'brand' && f.brands?.length && !f.brands.includes(p.brand)) return false;
  if (except !== 'category' && f.categoryId && !categoryChain(p).includes(f.categoryId)) return false;
  return true;
}

export const productMatches = (p: FixtureProduct, f: ModelFilter, except?: Dimension) =>
  productLevelMatches(p, f, except) && p.variants.some((v) => variantMatches(v, f, except));

const tally = (keys: string[]) => {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
};

export function expectedFacets(products: FixtureProduct[], f: ModelFilter) {
  const brands = tally(products.filter((p) => productMatches(p, f, 'brand')).map((p) => p.brand));
  const categories = tally(products.filter((p) => productMatches(p, f, 'category')).flatMap(categoryChain));
  const names = [...new Set(products.flatMap((p) => p.variants.flatMap((v) => v.options.map((o) => o.name))))];
  const options: Record<string, Record<string, number>> = {};
  for (const name of names) {
    const values = products
      .filter((p) => productLevelMatches(p, f))
      .flatMap((p) => [...new Set(p.variants.filter((v) => variantMatches(v, f, `option:${name}`)).flatMap((v) => v.options.filter((o) => o.name === name).map((o) => o.value)))]);
    if (values.length) options[name] = tally(values);
  }
  /** Products with a variant (matching everything but the price filter) priced within [min, max]. */
  const inPriceRange = (min: number, max: number | null) =>
    products.filter((p) => productLevelMatches(p, f) && p.variants.some((v) => variantMatches(v, f, 'price') && v.price >= min && (max == null || v.price <= max))).length;
  const inStock = products.filter((p) => productMatches(p, { ...f, inStock: true })).length;
  return { brands, categories, options, inPriceRange, inStock, total: products.filter((p) => productMatches(p, f)).length };
}
