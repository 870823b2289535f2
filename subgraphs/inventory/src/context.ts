import type { BaseRequestContext } from '@storefront/shared';
import type { InventoryDb } from './db.ts';
import { createLoaders, type InventoryLoaders } from './loaders.ts';

export interface InventoryContext extends BaseRequestContext {
  db: InventoryDb;
  loaders: InventoryLoaders;
}

export const createInventoryContext = (db: InventoryDb) => (base: BaseRequestContext): InventoryContext => ({ ...base, db, loaders: createLoaders(db) });
