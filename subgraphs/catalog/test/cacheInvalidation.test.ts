import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTransport, type DomainEvent } from '@storefront/shared/events';
import { createTestDatabase, postGraphQL, waitUntil, type TestDatabase } from '@storefront/shared/testing';
import { createCatalogDb, createCatalogServer, seedCatalog } from '../src/index.ts';
import { asAdmin, asCustomer, available, fixture } from './support.ts';

// Two catalog processes on one database and one event bus, each caching for a minute: what one of them changes
// must reach the other's readers long before that.
let database: TestDatabase;
const transport = new MemoryTransport();
const servers: Awaited<ReturnType<typeof createCatalogServer>>[] = [];
let a: string;
let b: string;

beforeAll(async () => {
  database = await createTestDatabase('catalog');
  const db = createCatalogDb(database.url);
  await seedCatalog(db, fixture);
  await db.$disconnect();
  for (let i = 0; i < 2; i++) servers.push(await createCatalogServer({ databaseUrl: database.url, events: transport, searchCacheMs: 60_000 }));
  [a, b] = await Promise.all(servers.map(async (s) => `${await s.listen(0)}/graphql`));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await transport.close();
  await database?.drop();
});

const gql = async (url: string, query: string, variables: Record<string, unknown> = {}, headers = asCustomer()) => {
  const res = await postGraphQL(url, query, variables, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
};

describe('CatalogChanged across catalog processes', () => {
  it("drops another process's cached answers when an editor writes", async () => {
    const product = fixture.products[7];
    const TITLE = 'query($id: ID!) { product(id: $id) { title } }';
    expect((await gql(b, TITLE, { id: product.id })).product.title).toBe(product.title);
    expect((await gql(b, TITLE, { id: product.id })).product.title).toBe(product.title); // now from b's cache

    const renamed = `${product.title} (renamed)`;
    const update = await gql(a, 'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { userErrors { code } } }', { i: { id: product.id, title: renamed } }, asAdmin());
    expect(update.updateProduct.userErrors).toEqual([]);
    // b would serve its cached answer for a minute without the event.
    await waitUntil(async () => (await gql(b, TITLE, { id: product.id })).product.title === renamed, 10_000);
  });

  it('drops every process\'s cached listings when a stock event sells a product out, whichever process applied it', async () => {
    // One event (so exactly one process applies it): a product with a single variant in stock.
    const product = fixture.products.find((p) => p.variants.filter((v) => available(v.sku) > 0).length === 1)!;
    const IN_STOCK = 'query($s: String!) { products(first: 10, search: $s, filter: { inStock: true }) { edges { node { id } } } }';
    const listed = async (url: string) => (await gql(url, IN_STOCK, { s: product.title })).products.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const url of [a, b]) expect(await listed(url)).toContain(product.id);

    const last = product.variants.find((v) => available(v.sku) > 0)!;
    const soldOut: DomainEvent = { id: randomUUID(), type: 'StockChanged', aggregateId: last.id, payload: { available: 0 }, occurredAt: new Date().toISOString(), source: 'inventory' };
    await transport.publish([soldOut]);
    await waitUntil(async () => !(await listed(a)).includes(product.id) && !(await listed(b)).includes(product.id), 10_000);
  });
});
