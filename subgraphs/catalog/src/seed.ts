import type { DemoFixture } from '@storefront/shared/fixtures';
import type { CatalogDb } from './db.ts';

/** Writes the demo catalog. Idempotent: rows that exist are left as they are. */
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
    })),
    skipDuplicates: true,
  });
  await db.variantOption.createMany({
    data: variants.flatMap((v) => v.options.map((o) => ({ variantId: v.id, name: o.name, value: o.value }))),
    skipDuplicates: true,
  });
}
