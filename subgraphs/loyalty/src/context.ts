import type { BaseRequestContext } from '@storefront/shared';
import type { LoyaltyDb } from './db.ts';
import { createLoaders, type LoyaltyLoaders } from './loaders.ts';

export interface LoyaltyContext extends BaseRequestContext {
  db: LoyaltyDb;
  loaders: LoyaltyLoaders;
}

/** What the ledger's write services need: a database and who is asking. The seed has no request. */
export type LoyaltyWriteContext = Pick<LoyaltyContext, 'db' | 'viewer'>;

export const createLoyaltyContext = (db: LoyaltyDb) => (base: BaseRequestContext): LoyaltyContext => ({ ...base, db, loaders: createLoaders(db) });
