export { createCatalogServer, type CatalogServerOptions } from './server.ts';
export { createCatalogDb, type CatalogDb } from './db.ts';
export { seedCatalog } from './seed.ts';
