import { deterministicId } from '@storefront/shared';
import { stockFor, type DemoFixture } from '@storefront/shared/fixtures';
import type { CatalogDb } from './db.ts';

/** The demo collections: curated, ordered lists of fixture products (catalog-only data, derived from the fixture). */
export function demoCollections(fixture: DemoFixture) {
  const newest = [...fixture.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, 12);
  const picks = fixture.products.filter((_, i) => i % 11 === 3).slice(0, 8).reverse();
  return [
    { id: deterministicId('collection', 'new-arrivals'), handle: 'new-arrivals', title: 'New arrivals', description: 'The latest additions to the catalog.', productIds: newest.map((p) => p.id) },
    { id: deterministicId('collection', 'staff-picks'), handle: 'staff-picks', title: 'Staff picks', description: 'Chosen by the team.', productIds: picks.map((p) => p.id) },
  ];
}

/**
 * Writes the demo catalog. Idempotent: rows that exist are left as they are. Variant.available starts as the
 * fixture's stock (both warehouses), the same numbers the inventory seed writes, so the inStock filter works
 * before any StockChanged event arrives.
 */
export async function seedCatalog(db: CatalogDb, fixture: DemoFixture): Promise<void> {
  const bySlug = new Map(fixture.categories.map((c) => [c.slug, c]));
  const pathOf = (slug: string): string => {
    const c = bySlug.get(slug)!;
    return c.parentSlug ? `${pathOf(c.parentSlug)}/${c.id}` : c.id;
  };
  await db.category.createMany({
    data: fixture.categories.filter((c) => !c.parentSlug).concat(fixture.categories.filter((c) => c.parentSlug)).map((c, i) => ({
      id: c.id, slug: c.slug, name: c.name, parentId: c.parentSlug ? bySlug.get(c.parentSlug)!.id : null, path: pathOf(c.slug), position: i,
    })),
    skipDuplicates: true,
  });
  await db.product.createMany({
    data: fixture.products.map((p) => ({
      id: p.id, slug: p.slug, title: p.title, description: p.description, brand: p.brand, status: 'ACTIVE' as const,
      categoryId: bySlug.get(p.categorySlug)!.id, minPrice: Math.min(...p.variants.map((v) => v.price)), createdAt: p.createdAt,
    })),
    skipDuplicates: true,
  });
  await db.productImage.createMany({
    data: fixture.products.flatMap((p) => p.images.map((img, i) => ({ id: `${p.id}-img-${i}`, productId: p.id, url: img.url, altText: img.altText, position: i }))),
    skipDuplicates: true,
  });
  const variants = fixture.products.flatMap((p) => p.variants.map((v, position) => ({ ...v, productId: p.id, position })));
  await db.variant.createMany({
    data: variants.map((v) => ({
      id: v.id, productId: v.productId, sku: v.sku, title: v.title, options: v.options, price: v.price,
      compareAtPrice: v.compareAtPrice, weightGrams: v.weightGrams, position: v.position,
      available: stockFor(v.sku).reduce((sum, n) => sum + n, 0),
    })),
    skipDuplicates: true,
  });
  await db.variantOption.createMany({
    data: variants.flatMap((v) => v.options.map((o) => ({ variantId: v.id, name: o.name, value: o.value }))),
    skipDuplicates: true,
  });
  const collections = demoCollections(fixture);
  await db.collection.createMany({
    data: collections.map(({ productIds: _ids, ...c }) => c),
    skipDuplicates: true,
  });
  await db.collectionProduct.createMany({
    data: collections.flatMap((c) => c.productIds.map((productId, position) => ({ collectionId: c.id, productId, position }))),
    skipDuplicates: true,
  });
}
