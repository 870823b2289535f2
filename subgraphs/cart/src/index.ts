export { createCartServer, type CartServerOptions } from './server.ts';
export { createCartDb, type CartDb } from './db.ts';
export { seedCart } from './seed.ts';
export { createCatalogClient, CatalogUnavailableError, type CatalogClient, type CatalogVariant } from './clients/catalog.ts';
export { expireStaleCarts } from './services/carts.ts';
export { CART_TTL_DAYS } from './services/policy.ts';
export { checkout, resumeStuckCheckouts, startCheckoutSweeper, type CheckoutDeps, type CheckoutResult } from './services/checkout.ts';
export { createSagaClients, createServiceCaller, ServiceUnavailableError } from './clients/services.ts';
export { computeTotals, DISCOUNT_CODES, TAX_RATES, FLAT_SHIPPING, FREE_SHIPPING_FROM } from './services/pricing.ts';
