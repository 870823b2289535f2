import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHeaders } from '@storefront/shared/testing';
import { applyStockChanged } from '../src/index.ts';
import { asAdmin, asAnonymous, asCustomer, available, fixture, startCatalog, type CatalogHarness } from './support.ts';

let h: CatalogHarness;

beforeAll(async () => {
  h = await startCatalog({ searchCacheMs: 60_000 });
});

afterAll(async () => {
  await h?.stop();
});

const SEARCH = /* GraphQL */ `
  query Search($search: String, $first: Int) {
    products(first: $first, search: $search, filter: { inStock: true }) {
      totalCount
      facets { inStock brands { value count } }
      edges { node { id title variants { sku } } }
    }
  }
`;

// The same search with one more field: another document, so the response cache cannot answer it.
const SEARCH_WITH_BRAND = SEARCH.replace('title variants', 'title brand variants');

describe('the search cache', () => {
  it('answers a repeated search without any statement: the search from the cache, the products\' variants from the relation cache', async () => {
    h.statements.reset();
    const first = await h.gql(SEARCH, { search: 'hoodie', first: 5 });
    const cold = h.statements.statements.length;
    h.statements.reset();
    const again = await h.gql(SEARCH_WITH_BRAND, { search: 'hoodie', first: 5 });
    expect(again.data.products.totalCount).toBe(first.data.products.totalCount);
    expect(again.data.products.edges.map((e: any) => e.node.id)).toEqual(first.data.products.edges.map((e: any) => e.node.id));
    expect(h.statements.count).toBe(0);
    expect(cold).toBe(3); // the page, the facets (which count the total too) and the variants
    // Another page size shares the cached total and facets but not the page, and reads only the variants of the
    // product it adds.
    h.statements.reset();
    const six = await h.gql(SEARCH_WITH_BRAND, { search: 'hoodie', first: 6 });
    expect(h.statements.count).toBe(2);
    const added = six.data.products.edges[5].node.id;
    expect(h.statements.statements.find((s) => s.includes('"Variant"'))).toBeDefined();
    expect(six.data.products.edges[5].node.variants.map((v: any) => v.sku)).toEqual(
      fixture.products.find((p) => p.id === added)!.variants.map((v) => v.sku),
    );
  });

  it('loads a customer\'s relations from memory until a write clears them; editors and other services read the database', async () => {
    const product = fixture.products[5];
    const variant = product.variants[0];
    const PRICES = 'query($id: ID!) { product(id: $id) { variants { id price { amount } } } }';
    // Another document over the same relation, so the whole-response cache cannot answer it.
    const PRICES_AGAIN = 'query($id: ID!) { product(id: $id) { id variants { id price { amount } } } }';
    const priceOf = (data: any) => data.product.variants.find((v: any) => v.id === variant.id).price.amount;
    expect(priceOf((await h.gql(PRICES, { id: product.id })).data)).toBe(variant.price);

    // A change the cache is not told about (no write through this process, no CatalogChanged).
    await h.db.variant.update({ where: { id: variant.id }, data: { price: variant.price + 1 } });
    h.statements.reset();
    expect(priceOf((await h.gql(PRICES_AGAIN, { id: product.id })).data)).toBe(variant.price);
    expect(h.statements.statements.some((s) => s.includes('"Variant"'))).toBe(false);
    for (const headers of [asAdmin(), gatewayHeaders({ service: 'cart' })]) {
      expect(priceOf((await h.gql(PRICES_AGAIN, { id: product.id }, headers)).data)).toBe(variant.price + 1);
    }

    // Any write through this process clears them with the searches.
    const write = await h.gql(
      'mutation($input: UpdateVariantInput!) { updateVariant(input: $input) { userErrors { code } } }',
      { input: { id: variant.id, price: variant.price + 2 } },
      asAdmin(),
    );
    expect(write.data.updateVariant.userErrors).toEqual([]);
    expect(priceOf((await h.gql(PRICES_AGAIN, { id: product.id })).data)).toBe(variant.price + 2);
    await h.db.variant.update({ where: { id: variant.id }, data: { price: variant.price } });
    await h.gql('mutation($input: UpdateVariantInput!) { updateVariant(input: $input) { userErrors { code } } }', { input: { id: variant.id, price: variant.price } }, asAdmin());
  });

  it('answers a customer\'s repeated query whole, with no statement; an editor always reads the database', async () => {
    const product = fixture.products[2];
    const PRODUCT = 'query($id: ID!) { product(id: $id) { id title variants { sku price { amount } } } }';
    const first = await h.gql(PRODUCT, { id: product.id });
    expect(first.data.product.id).toBe(product.id);
    h.statements.reset();
    expect(await h.gql(PRODUCT, { id: product.id }, asAnonymous())).toEqual(first);
    expect(h.statements.count).toBe(0);
    // Other variables are another answer.
    expect((await h.gql(PRODUCT, { id: fixture.products[3].id })).data.product.id).toBe(fixture.products[3].id);
    expect(h.statements.count).toBeGreaterThan(0);

    // Editors and other services (cart pricing a line) always read the database.
    for (const headers of [asAdmin(), gatewayHeaders({ service: 'cart' })]) {
      h.statements.reset();
      await h.gql(PRODUCT, { id: product.id }, headers);
      await h.gql(PRODUCT, { id: product.id }, headers);
      expect(h.statements.count).toBeGreaterThanOrEqual(4);
    }
  });

  it('marks the answers it reuses public for what is left of their TTL; editors\', services\' and failed ones never', async () => {
    const cacheControl = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
      const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      await res.text();
      return res.headers.get('cache-control');
    };
    const PRODUCT = 'query($id: ID!) { product(id: $id) { id title } }';
    const id = fixture.products[4].id;
    expect(await cacheControl(PRODUCT, { id }, asCustomer())).toBe('public, max-age=60');
    await new Promise((r) => setTimeout(r, 1_100));
    // Served from memory, marked with what is left of its minute, not a fresh one.
    expect(await cacheControl(PRODUCT, { id }, asAnonymous())).toMatch(/^public, max-age=5\d$/);
    expect(await cacheControl(PRODUCT, { id }, asAdmin())).toBeNull();
    expect(await cacheControl(PRODUCT, { id }, gatewayHeaders({ service: 'cart' }))).toBeNull();
    expect(await cacheControl('query { products(first: 500) { totalCount } }', {}, asCustomer())).toBeNull(); // refused: first above 100
  });

  it('shows another writer\'s change only after clear (or the TTL), and its own writes at once', async () => {
    const product = fixture.products.slice(1).find((p) => p.variants.some((v) => available(v.sku) > 0))!;
    const before = (await h.gql(SEARCH, { search: product.title, first: 24 })).data;
    expect(before.products.edges.map((e: any) => e.node.id)).toContain(product.id);
    // A stock event (another writer, through the database) sells the product out: the cached answer stays.
    for (const v of product.variants) await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: v.id, available: 0 });
    expect((await h.gql(SEARCH, { search: product.title, first: 24 })).data).toEqual(before);

    // A catalog write through this process clears the cache: the sold-out product is gone from the inStock listing.
    const renamed = await h.gql(
      'mutation($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { code } } }',
      { input: { id: fixture.products[0].id, description: 'Updated to clear the search cache.' } },
      asAdmin(),
    );
    expect(renamed.data.updateProduct.userErrors).toEqual([]);
    const after = (await h.gql(SEARCH, { search: product.title, first: 24 })).data;
    expect(after.products.edges.map((e: any) => e.node.id)).not.toContain(product.id);
    expect(after.products.totalCount).toBe(before.products.totalCount - 1);
  });
});
