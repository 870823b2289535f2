import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createCatalogDb, createCatalogServer, seedCatalog, type CatalogDb } from '../src/index.ts';

const fixture = demoFixture();
let database: TestDatabase;
let db: CatalogDb;
let server: Awaited<ReturnType<typeof createCatalogServer>>;
let url: string;
let statements: ReturnType<typeof countStatements>;
const asCustomer = gatewayHeaders({ userId: fixture.customer.id, roles: ['CUSTOMER'] });

beforeAll(async () => {
  database = await createTestDatabase('catalog');
  db = createCatalogDb(database.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedCatalog(db, fixture);
  // Statement counts are about the database path, so no search cache (searchCache.test.ts covers the cached one).
  server = await createCatalogServer({ databaseUrl: database.url, db, searchCacheMs: 0 });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

const PRODUCTS = /* GraphQL */ `
  query Products($first: Int, $after: String) {
    products(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title category { name } variants { sku price { amount currencyCode } } } }
    }
  }
`;

describe('catalog subgraph', () => {
  it('pages through seeded products newest first with stable cursors', async () => {
    const first = await postGraphQL(url, PRODUCTS, { first: 5 }, asCustomer);
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data.products;
    expect(page.totalCount).toBe(fixture.products.length);
    expect(page.edges).toHaveLength(5);
    const newest = [...fixture.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    expect(page.edges.map((e: any) => e.node.title)).toEqual(newest.slice(0, 5).map((p) => p.title));
    expect(page.edges[0].node.variants[0].price.amount).toBe(newest[0].variants[0].price);

    const second = await postGraphQL(url, PRODUCTS, { first: 5, after: page.pageInfo.endCursor }, asCustomer);
    expect(second.body.data.products.edges.map((e: any) => e.node.id)).toEqual(newest.slice(5, 10).map((p) => p.id));
  });

  it('makes the same number of SQL statements for 5 and for 50 products', async () => {
    statements.reset();
    await postGraphQL(url, PRODUCTS, { first: 5 }, asCustomer);
    const small = statements.count;
    statements.reset();
    await postGraphQL(url, PRODUCTS, { first: 50 }, asCustomer);
    expect(statements.count).toBe(small);
    expect(small).toBeLessThanOrEqual(4);
  });

  it('makes the same number of SQL statements for a search page with facets, variants, images and category at 5 and 50', async () => {
    const SEARCH_PAGE = /* GraphQL */ `
      query Search($first: Int, $filter: ProductFilter) {
        products(first: $first, search: "trail", filter: $filter) {
          totalCount
          pageInfo { hasNextPage endCursor }
          facets {
            inStock
            brands { value count }
            categories { category { id name } count }
            options { name values { value count } }
            priceRanges { min { amount } max { amount } count }
          }
          edges { node { id title priceFrom { amount } images { url } category { name } variants { sku price { amount } } } }
        }
      }
    `;
    const apparel = fixture.categories.find((c) => c.slug === 'apparel')!.id;
    for (const filter of [{ inStock: true }, { inStock: true, categoryId: apparel, options: [{ name: 'Size', values: ['M', 'L'] }] }]) {
      statements.reset();
      const small = await postGraphQL(url, SEARCH_PAGE, { first: 5, filter }, asCustomer);
      const smallCount = statements.count;
      expect(small.body.errors).toBeUndefined();
      expect(small.body.data.products.edges).toHaveLength(5);

      statements.reset();
      const large = await postGraphQL(url, SEARCH_PAGE, { first: 50, filter }, asCustomer);
      expect(large.body.errors).toBeUndefined();
      const total = large.body.data.products.totalCount;
      expect(total).toBeGreaterThan(5);
      expect(large.body.data.products.edges).toHaveLength(Math.min(50, total));
      expect(large.body.data.products.edges.every((e: any) => e.node.variants.length > 0 && e.node.images.length > 0)).toBe(true);
      expect(statements.count).toBe(smallCount);
      // (category lookup,) page, total, facets, variants, images, product categories, facet categories
      expect(smallCount).toBeLessThanOrEqual(filter.categoryId ? 8 : 7);
    }
  });

  it('resolves variant entity references in one batch', async () => {
    const ids = fixture.products.slice(0, 10).map((p) => p.variants[0].id);
    statements.reset();
    const res = await postGraphQL(
      url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Variant { id sku product { title } } } }',
      { r: [...ids.map((id) => ({ __typename: 'Variant', id })), { __typename: 'Variant', id: 'unknown' }] },
      asCustomer,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities.slice(0, 10).map((v: any) => v.id)).toEqual(ids);
    expect(res.body.data._entities[10]).toBeNull();
    expect(statements.count).toBe(2);
  });

  it('answers an unknown id with null and a forged cursor with BAD_USER_INPUT', async () => {
    const missing = await postGraphQL(url, '{ product(id: "nope") { id } }', {}, asCustomer);
    expect(missing.body.data.product).toBeNull();
    const forged = await postGraphQL(url, PRODUCTS, { first: 5, after: 'not-a-cursor' }, asCustomer);
    expect(forged.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await postGraphQL(url, PRODUCTS, { first: 1000 }, asCustomer);
    expect(tooMany.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('walks the category tree with breadcrumbs and descendant products', async () => {
    const res = await postGraphQL(url, '{ categories { name children { id name breadcrumbs { name } products(first: 3) { totalCount } } } }', {}, asCustomer);
    expect(res.body.errors).toBeUndefined();
    const apparel = res.body.data.categories.find((c: any) => c.name === 'Apparel');
    const hoodies = apparel.children.find((c: any) => c.name === 'Hoodies');
    expect(hoodies.breadcrumbs.map((c: any) => c.name)).toEqual(['Apparel', 'Hoodies']);
    expect(hoodies.products.totalCount).toBe(fixture.products.filter((p) => p.categorySlug === 'hoodies').length);
  });

  it('refuses requests that do not carry the gateway signature', async () => {
    const res = await postGraphQL(url, '{ _service { sdl } }');
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, '{ _service { sdl } }', {}, { ...asCustomer, 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
  });
});
