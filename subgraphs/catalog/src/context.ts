import type { BaseRequestContext } from '@storefront/shared';
import type { CatalogDb } from './db.ts';
import { createLoaders, type CatalogLoaders } from './loaders.ts';

export interface CatalogContext extends BaseRequestContext {
  db: CatalogDb;
  loaders: CatalogLoaders;
}

export const createCatalogContext = (db: CatalogDb) => (base: BaseRequestContext): CatalogContext => ({ ...base, db, loaders: createLoaders(db) });
