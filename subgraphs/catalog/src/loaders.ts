import { loaderById, loaderByGroup } from '@storefront/shared';
import type { CatalogDb } from './db.ts';

/** Per-request DataLoaders: every entity reference and relation in catalog goes through one of these. */
export function createLoaders(db: CatalogDb) {
  return {
    product: loaderById((ids) => db.product.findMany({ where: { id: { in: [...ids] } } }), (p) => p.id),
    variant: loaderById((ids) => db.variant.findMany({ where: { id: { in: [...ids] } } }), (v) => v.id),
    category: loaderById((ids) => db.category.findMany({ where: { id: { in: [...ids] } } }), (c) => c.id),
    variantsByProduct: loaderByGroup(
      (ids) => db.variant.findMany({ where: { productId: { in: [...ids] } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }] }),
      (v) => v.productId,
    ),
    imagesByProduct: loaderByGroup(
      (ids) => db.productImage.findMany({ where: { productId: { in: [...ids] } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }] }),
      (i) => i.productId,
    ),
    childrenByCategory: loaderByGroup(
      (ids) => db.category.findMany({ where: { parentId: { in: [...ids] } }, orderBy: [{ position: 'asc' }, { name: 'asc' }] }),
      (c) => c.parentId!,
    ),
  };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
