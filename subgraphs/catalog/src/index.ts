export { createCatalogServer, type CatalogServerOptions } from './server.ts';
export { createCatalogDb, type CatalogDb } from './db.ts';
export { seedCatalog, demoCollections } from './seed.ts';
export { applyStockChanged, STOCK_CONSUMER, type StockChangedEvent, type StockChangeOutcome } from './services/stock.ts';
