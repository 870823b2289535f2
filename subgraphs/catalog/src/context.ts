import type { BaseRequestContext } from '@storefront/shared';
import type { CatalogDb } from './db.ts';
import { createLoaders, type CatalogLoaders } from './loaders.ts';
import type { SearchCache } from './services/searchCache.ts';
import { seesUnpublished } from './services/visibility.ts';

export interface CatalogContext extends BaseRequestContext {
  db: CatalogDb;
  loaders: CatalogLoaders;
  /** Shared by every request of this process. */
  searchCache: SearchCache;
}

/**
 * Customer-facing reads load relations through the process's cache; editors and other services (cart and order
 * pricing lines, checking availability) always read the database, as they do for searches and whole responses.
 */
export const readsFresh = (viewer: BaseRequestContext['viewer']) => viewer.service !== undefined || seesUnpublished(viewer);

export const createCatalogContext = (db: CatalogDb, searchCache: SearchCache) => (base: BaseRequestContext): CatalogContext => ({
  ...base, db, loaders: createLoaders(db, readsFresh(base.viewer) ? null : searchCache), searchCache,
});
