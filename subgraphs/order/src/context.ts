import type { LiveEvents } from '@storefront/shared/events';
import type { BaseRequestContext } from '@storefront/shared';
import type { OrderDb } from './db.ts';
import { createLoaders, type OrderLoaders } from './loaders.ts';

export interface OrderContext extends BaseRequestContext {
  db: OrderDb;
  loaders: OrderLoaders;
  /** Order events for subscriptions; absent when the server runs without an event transport. */
  live?: LiveEvents;
}

export const createOrderContext = (db: OrderDb, live?: LiveEvents) => (base: BaseRequestContext): OrderContext => ({ ...base, db, loaders: createLoaders(db), live });
