import { loaderById, loaderByGroup } from '@storefront/shared';
import type { IdentityDb } from './db.ts';

/** Per-request DataLoaders: every User reference and relation goes through one of these. */
export function createLoaders(db: IdentityDb) {
  return {
    user: loaderById((ids) => db.user.findMany({ where: { id: { in: [...ids] } } }), (u) => u.id),
    addressesByUser: loaderByGroup(
      (ids) => db.address.findMany({ where: { userId: { in: [...ids] } }, orderBy: [{ isDefault: 'desc' }, { createdAt: 'asc' }, { id: 'asc' }] }),
      (a) => a.userId,
    ),
  };
}

export type IdentityLoaders = ReturnType<typeof createLoaders>;
