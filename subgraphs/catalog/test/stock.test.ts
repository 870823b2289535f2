import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_CHANGED } from '@storefront/shared/events';
import { applyStockChanged, STOCK_CONSUMER } from '../src/index.ts';
import { available, fixture, productMatches, startCatalog, type CatalogHarness } from './support.ts';

let h: CatalogHarness;

beforeAll(async () => {
  h = await startCatalog();
});

afterAll(async () => {
  await h?.stop();
});

const IN_STOCK = '{ products(first: 0, filter: { inStock: true }) { totalCount facets { inStock } } }';
const availableOf = async (variantId: string) => (await h.db.variant.findUniqueOrThrow({ where: { id: variantId } })).available;

describe('Variant.available, the catalog copy of stock', () => {
  it('is seeded from the fixture stock of both warehouses', async () => {
    const rows = await h.db.variant.findMany({ select: { sku: true, available: true } });
    expect(rows).toHaveLength(fixture.products.reduce((n, p) => n + p.variants.length, 0));
    for (const row of rows) expect(row.available, row.sku).toBe(available(row.sku));
    expect(rows.some((r) => r.available === 0)).toBe(true);
    const res = await h.gql(IN_STOCK);
    expect(res.data.products.totalCount).toBe(fixture.products.filter((p) => productMatches(p, { inStock: true })).length);
  });

  it('applies a StockChanged event once, recording it in the same transaction', async () => {
    const variant = fixture.products[3].variants[0];
    const eventId = crypto.randomUUID();
    expect(await applyStockChanged(h.db, { eventId, variantId: variant.id, available: 7 })).toBe('APPLIED');
    expect(await availableOf(variant.id)).toBe(7);
    // A redelivery (even with a different payload) changes nothing.
    expect(await applyStockChanged({ db: h.db }, { eventId, variantId: variant.id, available: 99 })).toBe('DUPLICATE');
    expect(await availableOf(variant.id)).toBe(7);
    const recorded = await h.db.processedEvent.findMany({ where: { eventId } });
    expect(recorded.map((r) => r.consumer)).toEqual([STOCK_CONSUMER]);
    expect(STOCK_CONSUMER).toBe('catalog.stock');
  });

  it('queues CatalogChanged, in the same transaction, when a variant crosses the in-stock line, and only then', async () => {
    const variant = fixture.products[5].variants[0];
    const announced = () => h.db.outboxEvent.count({ where: { type: CATALOG_CHANGED, payload: { equals: { reason: 'stock' } } } });
    const apply = async (available: number) => {
      const before = await announced();
      await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: variant.id, available });
      return (await announced()) - before;
    };
    await apply(5);
    expect(await apply(4)).toBe(0);
    expect(await apply(0)).toBe(1);
    expect(await apply(-2)).toBe(0);
    expect(await apply(3)).toBe(1);
  });

  it('applies concurrent deliveries of the same event exactly once', async () => {
    const variant = fixture.products[4].variants[0];
    const eventId = crypto.randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => applyStockChanged(h.db, { eventId, variantId: variant.id, available: 100 + i })));
    expect(outcomes.filter((o) => o === 'APPLIED')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'DUPLICATE')).toHaveLength(4);
    const applied = 100 + outcomes.indexOf('APPLIED');
    expect(await availableOf(variant.id)).toBe(applied);
  });

  it('keeps the product facet summary (inStock, prices, options) in step with its variants', async () => {
    const product = fixture.products[6];
    const summary = () => h.db.product.findUniqueOrThrow({ where: { id: product.id }, select: { inStock: true, variantPrices: true, facetOptions: true } });
    // The per-variant summary that searches with variant-level filters read, one element per variant in position order.
    const variantSummary = () => h.db.$queryRaw<{ pos: number; price: number; in_stock: boolean; options: string[] }[]>`
      SELECT v.pos, v.price, v.in_stock, v.options FROM "Product" p, unnest(p."variantSummary") WITH ORDINALITY AS v(pos, price, in_stock, options, n)
      WHERE p."id" = ${product.id} ORDER BY v.n`;
    const variantsNow = () => h.db.variant.findMany({ where: { productId: product.id }, orderBy: [{ position: 'asc' }, { id: 'asc' }] });
    const expectedSummary = async () => (await variantsNow()).map((v) => ({
      pos: v.position, price: v.price, in_stock: v.available > 0,
      options: (v.options as { name: string; value: string }[]).map((o) => `${o.name}\u001f${o.value}`),
    }));
    expect(await variantSummary()).toEqual(await expectedSummary());
    const before = (await h.gql(IN_STOCK)).data.products.facets.inStock;
    const wasInStock = (await summary()).inStock;
    expect(wasInStock).toBe(productMatches(product, { inStock: true }));
    for (const v of product.variants) await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: v.id, available: 0 });
    expect((await summary()).inStock).toBe(false);
    expect((await variantSummary()).every((v) => !v.in_stock)).toBe(true);
    const soldOut = (await h.gql(IN_STOCK)).data.products.facets.inStock;
    expect(soldOut).toBe(before - (wasInStock ? 1 : 0));
    await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: product.variants[0].id, available: 2 });
    expect((await summary()).inStock).toBe(true);
    expect((await h.gql(IN_STOCK)).data.products.facets.inStock).toBe(soldOut + 1);

    // Direct variant writes (any writer) move the summary too: a price change, a new option value, a deletion.
    await h.db.variant.update({ where: { id: product.variants[0].id }, data: { price: 123_456 } });
    expect((await summary()).variantPrices).toContain(123_456);
    const extra = await h.db.variant.create({
      data: { id: `${product.id}-extra`, productId: product.id, sku: `EXTRA-${product.id.slice(0, 8)}`, title: 'Extra', price: 77, options: [{ name: 'Finish', value: 'Matte' }] },
    });
    expect((await summary()).facetOptions).toContain(`Finish\u001fMatte\u001f${extra.position}`);
    expect(await variantSummary()).toEqual(await expectedSummary());
    expect((await variantSummary()).find((v) => v.price === 77)).toEqual({ pos: extra.position, price: 77, in_stock: false, options: ['Finish\u001fMatte'] });
    await h.db.variant.delete({ where: { id: extra.id } });
    const after = await summary();
    expect(after.variantPrices).not.toContain(77);
    expect(after.facetOptions.some((o) => o.startsWith('Finish'))).toBe(false);
    expect(await variantSummary()).toEqual(await expectedSummary());
    expect((await variantSummary()).some((v) => v.price === 77)).toBe(false);
  });

  it('ignores an event older than the level it already has', async () => {
    const variant = fixture.products[5].variants[1];
    const at = (s: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, s));
    expect(await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: variant.id, available: 3, occurredAt: at(10) })).toBe('APPLIED');
    expect(await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: variant.id, available: 9, occurredAt: at(5) })).toBe('STALE');
    expect(await availableOf(variant.id)).toBe(3);
    expect(await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: variant.id, available: 4, occurredAt: at(20).toISOString() })).toBe('APPLIED');
    expect(await availableOf(variant.id)).toBe(4);
  });

  it('records events about unknown variants so they are not redelivered forever', async () => {
    const eventId = crypto.randomUUID();
    expect(await applyStockChanged(h.db, { eventId, variantId: crypto.randomUUID(), available: 1 })).toBe('UNKNOWN_VARIANT');
    expect(await applyStockChanged(h.db, { eventId, variantId: crypto.randomUUID(), available: 1 })).toBe('DUPLICATE');
  });

  it('refuses malformed events', async () => {
    const variantId = fixture.products[0].variants[0].id;
    await expect(applyStockChanged(h.db, { eventId: '', variantId, available: 1 })).rejects.toThrow(/eventId/);
    await expect(applyStockChanged(h.db, { eventId: 'e', variantId, available: 1.5 })).rejects.toThrow(/available/);
    await expect(applyStockChanged(h.db, { eventId: 'e', variantId, available: 1, occurredAt: 'yesterday' })).rejects.toThrow(/occurredAt/);
    expect(await h.db.processedEvent.count({ where: { eventId: 'e' } })).toBe(0);
  });

  it('drives the inStock filter and facet', async () => {
    const before = (await h.gql(IN_STOCK)).data.products;
    // A pair of sneakers: one variant per size, every one in stock to begin with.
    const product = fixture.products.find((p) => p.categorySlug === 'sneakers' && p.variants.every((v) => available(v.sku) > 0))!;
    for (const v of product.variants) await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: v.id, available: 0 });
    const after = (await h.gql(IN_STOCK)).data.products;
    expect(after.totalCount).toBe(before.totalCount - 1);
    expect(after.facets.inStock).toBe(before.facets.inStock - 1);
    const SEARCH = 'query($f: ProductFilter) { products(first: 100, filter: $f) { edges { node { id } } } }';
    const filter = { inStock: true, brands: [product.brand], categoryId: fixture.categories.find((c) => c.slug === product.categorySlug)!.id };
    expect((await h.gql(SEARCH, { f: filter })).data.products.edges.map((e: any) => e.node.id)).not.toContain(product.id);

    // One size back in stock brings the product back, but only for that size.
    await applyStockChanged(h.db, { eventId: crypto.randomUUID(), variantId: product.variants[1].id, available: 2 });
    expect((await h.gql(SEARCH, { f: filter })).data.products.edges.map((e: any) => e.node.id)).toContain(product.id);
    const size = (i: number) => ({ ...filter, options: [{ name: 'Size', values: [product.variants[i].options[0].value] }] });
    expect((await h.gql(SEARCH, { f: size(1) })).data.products.edges.map((e: any) => e.node.id)).toContain(product.id);
    expect((await h.gql(SEARCH, { f: size(0) })).data.products.edges.map((e: any) => e.node.id)).not.toContain(product.id);
  });
});
