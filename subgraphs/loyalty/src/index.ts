export { createLoyaltyServer, type LoyaltyServerOptions } from './server.ts';
export { createLoyaltyDb, type LoyaltyDb } from './db.ts';
export { createLoyaltyContext, type LoyaltyContext } from './context.ts';
export { seedLoyalty } from './seed.ts';
export { TIER_THRESHOLDS } from './services/tiers.ts';
