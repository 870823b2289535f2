export { createInventoryServer, type InventoryServerOptions } from './server.ts';
export { createInventoryDb, type InventoryDb } from './db.ts';
export { createInventoryContext, type InventoryContext } from './context.ts';
export { seedInventory } from './seed.ts';
export { reserve, commit, release, sweepExpired, startReservationSweeper, type ReserveInput, type ReservePayload, type ReservationPayload } from './services/reservations.ts';
export { restock, adjust, type RestockInput, type AdjustInput } from './services/stock.ts';
export { STOCK_CHANGED, type StockChangedPayload } from './events.ts';
