import { loaderById, loaderByGroup } from '@storefront/shared';
import type { CatalogDb } from './db.ts';
import { isId } from './services/input.ts';

/**
 * Per-request DataLoaders: every entity reference and relation in catalog goes through one of these. Keys that
 * are not ids (UUIDs) cannot exist and never reach the database.
 */
const ids = (keys: readonly string[]) => keys.filter(isId);

export function createLoaders(db: CatalogDb) {
  return {
    product: loaderById(async (keys) => (ids(keys).length ? db.product.findMany({ where: { id: { in: ids(keys) } } }) : []), (p) => p.id),
    variant: loaderById(async (keys) => (ids(keys).length ? db.variant.findMany({ where: { id: { in: ids(keys) } } }) : []), (v) => v.id),
    category: loaderById(async (keys) => (ids(keys).length ? db.category.findMany({ where: { id: { in: ids(keys) } } }) : []), (c) => c.id),
    variantsByProduct: loaderByGroup(
      (keys) => db.variant.findMany({ where: { productId: { in: [...keys] } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }, { id: 'asc' }] }),
      (v) => v.productId,
    ),
    imagesByProduct: loaderByGroup(
      (keys) => db.productImage.findMany({ where: { productId: { in: [...keys] } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }] }),
      (i) => i.productId,
    ),
    childrenByCategory: loaderByGroup(
      (keys) => db.category.findMany({ where: { parentId: { in: [...keys] } }, orderBy: [{ position: 'asc' }, { name: 'asc' }] }),
      (c) => c.parentId!,
    ),
  };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
