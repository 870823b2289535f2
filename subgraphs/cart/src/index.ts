export { createCartServer, type CartServerOptions } from './server.ts';
export { createCartDb, type CartDb } from './db.ts';
export { seedCart } from './seed.ts';
export { createCatalogClient, CatalogUnavailableError, type CatalogClient, type CatalogVariant } from './clients/catalog.ts';
export { expireStaleCarts } from './services/carts.ts';
export { CART_TTL_DAYS } from './services/policy.ts';
