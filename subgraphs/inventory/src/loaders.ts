import { loaderById, loaderByGroup } from '@storefront/shared';
import type { InventoryDb } from './db.ts';

/** Per-request DataLoaders: every variant's stock and every location reference goes through one of these. */
export function createLoaders(db: InventoryDb) {
  return {
    stockByVariant: loaderByGroup(
      (variantIds) => db.stockLevel.findMany({ where: { variantId: { in: [...variantIds] } }, orderBy: [{ variantId: 'asc' }, { locationId: 'asc' }] }),
      (s) => s.variantId,
    ),
    location: loaderById((ids) => db.location.findMany({ where: { id: { in: [...ids] } } }), (l) => l.id),
  };
}

export type InventoryLoaders = ReturnType<typeof createLoaders>;
