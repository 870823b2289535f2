import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, waitUntil } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

const fixture = demoFixture();
let stack: Stack;
let token: string;
const auth = () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startTestStack();
  token = await login(stack.gatewayUrl, 'customer');
});
afterAll(async () => {
  await stack?.stop({ dropDatabases: true });
});

const ALL_SEVEN = /* GraphQL */ `
  query Storefront {
    products(first: 2) {
      totalCount
      edges { node { title variants { sku price { amount currencyCode } stock { available inStock } } } }
    }
    me {
      email
      cart { itemCount lines { quantity variant { sku } } }
      orders(first: 5) { edges { node { number status total { amount currencyCode } payment { status card { brand last4 } } } } }
      loyalty { points tier }
    }
  }
`;

describe('the supergraph through the gateway', () => {
  it('answers one query with seeded data from all seven subgraphs', async () => {
    const res = await postGraphQL(stack.gatewayUrl, ALL_SEVEN, {}, auth());
    expect(res.body.errors).toBeUndefined();
    const { products, me } = res.body.data;
    expect(products.totalCount).toBe(fixture.products.length);
    const variant = products.edges[0].node.variants[0];
    const seeded = fixture.products.flatMap((p) => p.variants).find((v) => v.sku === variant.sku)!;
    expect(variant.price).toEqual({ amount: seeded.price, currencyCode: 'USD' });
    const [ams, nyc] = (await import('@storefront/shared/fixtures')).stockFor(variant.sku);
    expect(variant.stock.available).toBe(ams + nyc);
    expect(me.email).toBe('customer@storefront.dev');
    expect(me.cart.lines.map((l: any) => l.quantity)).toEqual(fixture.cart.lines.map((l) => l.quantity));
    expect(me.orders.edges.map((e: any) => e.node.number).sort()).toEqual(fixture.orders.map((o) => o.number).sort());
    for (const edge of me.orders.edges) {
      expect(edge.node.payment.status).toBe('CAPTURED');
      expect(edge.node.payment.card.last4).toBe('4242');
    }
    expect(me.loyalty.tier).toBe('BRONZE');
    expect(me.loyalty.points).toBeGreaterThan(0);
  });

  it("keeps catalog's in-stock filter current from inventory's StockChanged events", async () => {
    const { stockFor } = await import('@storefront/shared/fixtures');
    const soldOut = fixture.products.find((p) => p.variants.every((v) => stockFor(v.sku).every((n) => n === 0)))!;
    const search = () => postGraphQL(stack.gatewayUrl, 'query($s: String!) { products(first: 5, search: $s, filter: { inStock: true }) { edges { node { id } } } }', { s: soldOut.title });
    expect((await search()).body.data.products.edges.map((e: any) => e.node.id)).not.toContain(soldOut.id);
    const admin = await login(stack.gatewayUrl, 'admin');
    const restock = await postGraphQL(
      stack.gatewayUrl,
      'mutation($i: RestockVariantInput!) { restockVariant(input: $i) { userErrors { code } } }',
      { i: { variantId: soldOut.variants[0].id, locationId: fixture.warehouses[1].id, quantity: 3, reason: 'e2e restock' } },
      { authorization: `Bearer ${admin}` },
    );
    expect(restock.body.data.restockVariant.userErrors).toEqual([]);
    const start = Date.now();
    let ids: string[] = [];
    // The catalog works through inventory's seed events first; allow for a loaded machine.
    while (Date.now() - start < 45_000) {
      ids = (await search()).body.data.products.edges.map((e: any) => e.node.id);
      if (ids.includes(soldOut.id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toContain(soldOut.id);
  });

  it("answers a shopper's repeated search page with stock from the gateway's cache; an editor's change shows to the editor at once and to shoppers on CatalogChanged", async () => {
    const product = fixture.products[5];
    const PAGE = 'query Page($s: String!) { products(first: 5, search: $s) { edges { node { id title variants { sku price { amount } stock { available inStock } } } } } }';
    const page = async (headers: Record<string, string> = {}) => {
      const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: PAGE, variables: { s: product.title } }) });
      const body = (await res.json()) as any;
      expect(body.errors).toBeUndefined();
      return { cacheControl: res.headers.get('cache-control'), titles: body.data.products.edges.map((e: any) => e.node.title) as string[], body };
    };
    const stats = () => stack.gateway.responseCache!.stats();

    const first = await page();
    expect(first.titles).toContain(product.title);
    expect(first.cacheControl).toMatch(/^max-age=[12], public$/); // inventory's stock max-age is the shortest
    const hits = stats().hits;
    const again = await page(auth());
    expect(again.body).toEqual(first.body);
    expect(stats().hits).toBe(hits + 1);

    const admin = { authorization: `Bearer ${await login(stack.gatewayUrl, 'admin')}` };
    const renamed = `${product.title} Renamed`;
    const clears = stats().clears;
    const update = await postGraphQL(stack.gatewayUrl, 'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { userErrors { code } } }', { i: { id: product.id, title: renamed } }, admin);
    expect(update.body.data.updateProduct.userErrors).toEqual([]);
    const editor = await page(admin);
    expect(editor.titles).toContain(renamed);
    expect(editor.cacheControl).toBe('no-store');
    // Catalog's CatalogChanged empties the gateway's cache: shoppers get the new title from then on, without
    // waiting out the cached page's max-age.
    await waitUntil(() => stats().clears > clears, 10_000);
    expect((await page()).titles).toContain(renamed);
  });

  it('gives 400 for malformed JSON', async () => {
    const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
  });

  it('gives GRAPHQL_VALIDATION_FAILED for an invalid query', async () => {
    const res = await postGraphQL(stack.gatewayUrl, '{ products(first: 1) { edges { node { noSuchField } } } }');
    expect(res.body.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('gives null for an unknown id', async () => {
    const res = await postGraphQL(stack.gatewayUrl, '{ product(id: "00000000-0000-0000-0000-000000000000") { title } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.product).toBeNull();
  });

  it('ignores identity headers sent by a client', async () => {
    const forged = { 'x-storefront-identity': Buffer.from(JSON.stringify({ userId: fixture.customer.id, roles: ['ADMIN'], scopes: [] })).toString('base64url'), 'x-storefront-timestamp': String(Date.now()), 'x-storefront-signature': 'forged' };
    const res = await postGraphQL(stack.gatewayUrl, '{ me { email } }', {}, forged);
    expect(res.body.data.me).toBeNull();
  });

  it('serves partial data with an error naming a stopped subgraph, and recovers when it returns', async () => {
    await stack.stopSubgraph('inventory');
    const query = '{ products(first: 1) { edges { node { title variants { sku stock { available } } } } } }';
    const down = await postGraphQL(stack.gatewayUrl, query);
    expect(down.status).toBe(200);
    expect(down.body.data.products.edges[0].node.title).toBeTruthy();
    expect(down.body.errors![0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory' });
    expect(down.body.errors![0].message).toContain('inventory');

    await stack.startSubgraph('inventory');
    const up = await postGraphQL(stack.gatewayUrl, query);
    expect(up.body.errors).toBeUndefined();
    expect(typeof up.body.data.products.edges[0].node.variants[0].stock.available).toBe('number');
  });
});
