import { loaderById, loaderByGroup } from '@storefront/shared';
import type { CartDb } from './db.ts';

/** Per-request DataLoaders: every entity reference and relation in cart goes through one of these. */
export function createLoaders(db: CartDb) {
  return {
    cartById: loaderById((ids) => db.cart.findMany({ where: { id: { in: [...ids] } } }), (c) => c.id),
    /** The ACTIVE cart of each user (a partial unique index guarantees at most one). */
    activeCartByUser: loaderById(
      (userIds) => db.cart.findMany({ where: { userId: { in: [...userIds] }, status: 'ACTIVE' } }),
      (c) => c.userId!,
    ),
    linesByCart: loaderByGroup(
      (cartIds) => db.cartLine.findMany({ where: { cartId: { in: [...cartIds] } }, orderBy: [{ addedAt: 'asc' }, { id: 'asc' }] }),
      (l) => l.cartId,
    ),
  };
}

export type CartLoaders = ReturnType<typeof createLoaders>;
