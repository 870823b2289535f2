import type { BaseRequestContext } from '@storefront/shared';
import type { OrderDb } from './db.ts';
import { createLoaders, type OrderLoaders } from './loaders.ts';

export interface OrderContext extends BaseRequestContext {
  db: OrderDb;
  loaders: OrderLoaders;
}

export const createOrderContext = (db: OrderDb) => (base: BaseRequestContext): OrderContext => ({ ...base, db, loaders: createLoaders(db) });
