import { loaderById, loaderByGroup } from '@storefront/shared';
import type { CatalogDb } from './db.ts';
import { isId } from './services/input.ts';
import type { SearchCache } from './services/searchCache.ts';

/**
 * Per-request DataLoaders: every entity reference and relation in catalog goes through one of these. Keys that
 * are not ids (UUIDs) cannot exist and never reach the database.
 *
 * Given the process's cache (customer-facing reads only, see context.ts), each batch takes the rows it holds
 * from memory and fetches only the rest; without it (editors, other services), every batch reads the database.
 */
const ids = (keys: readonly string[]) => keys.filter(isId);

export function createLoaders(db: CatalogDb, cache: SearchCache | null = null) {
  const through = <T>(kind: string, keys: readonly string[], fetch: (keys: string[]) => Promise<T[]>, keyOf: (row: T) => string): Promise<T[]> =>
    keys.length === 0 ? Promise.resolve([]) : cache ? cache.rowsOf(kind, keys, fetch, keyOf) : fetch([...keys]);
  return {
    product: loaderById((keys) => through('product', ids(keys), (k) => db.product.findMany({ where: { id: { in: k } } }), (p) => p.id), (p) => p.id),
    variant: loaderById((keys) => through('variant', ids(keys), (k) => db.variant.findMany({ where: { id: { in: k } } }), (v) => v.id), (v) => v.id),
    category: loaderById((keys) => through('category', ids(keys), (k) => db.category.findMany({ where: { id: { in: k } } }), (c) => c.id), (c) => c.id),
    variantsByProduct: loaderByGroup(
      (keys) =>
        through('variantsByProduct', keys, (k) => db.variant.findMany({ where: { productId: { in: k } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }, { id: 'asc' }] }), (v) => v.productId),
      (v) => v.productId,
    ),
    imagesByProduct: loaderByGroup(
      (keys) => through('imagesByProduct', keys, (k) => db.productImage.findMany({ where: { productId: { in: k } }, orderBy: [{ productId: 'asc' }, { position: 'asc' }] }), (i) => i.productId),
      (i) => i.productId,
    ),
    childrenByCategory: loaderByGroup(
      (keys) => through('childrenByCategory', keys, (k) => db.category.findMany({ where: { parentId: { in: k } }, orderBy: [{ position: 'asc' }, { name: 'asc' }] }), (c) => c.parentId!),
      (c) => c.parentId!,
    ),
  };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
