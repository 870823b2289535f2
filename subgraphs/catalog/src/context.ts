import type { BaseRequestContext } from '@storefront/shared';
import type { CatalogDb } from './db.ts';
import { createLoaders, type CatalogLoaders } from './loaders.ts';
import type { SearchCache } from './services/searchCache.ts';

export interface CatalogContext extends BaseRequestContext {
  db: CatalogDb;
  loaders: CatalogLoaders;
  /** Shared by every request of this process. */
  searchCache: SearchCache;
}

export const createCatalogContext = (db: CatalogDb, searchCache: SearchCache) => (base: BaseRequestContext): CatalogContext => ({
  ...base, db, loaders: createLoaders(db), searchCache,
});
