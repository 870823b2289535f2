import type { LiveEvents } from '@storefront/shared/events';
import type { BaseRequestContext } from '@storefront/shared';
import type { InventoryDb } from './db.ts';
import { createLoaders, type InventoryLoaders } from './loaders.ts';

export interface InventoryContext extends BaseRequestContext {
  db: InventoryDb;
  loaders: InventoryLoaders;
  /** Stock events for subscriptions; absent when the server runs without an event transport. */
  live?: LiveEvents;
}

export const createInventoryContext = (db: InventoryDb, live?: LiveEvents) => (base: BaseRequestContext): InventoryContext => ({ ...base, db, loaders: createLoaders(db), live });
