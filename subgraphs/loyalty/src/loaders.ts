import { loaderById } from '@storefront/shared';
import type { LoyaltyDb } from './db.ts';

/** Per-request DataLoaders: every entity reference and relation in loyalty goes through one of these. */
export function createLoaders(db: LoyaltyDb) {
  return {
    account: loaderById((userIds) => db.loyaltyAccount.findMany({ where: { userId: { in: [...userIds] } } }), (a) => a.userId),
  };
}

export type LoyaltyLoaders = ReturnType<typeof createLoaders>;
