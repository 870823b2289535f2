export { createGateway, type GatewayServer, type GatewayOptions } from './server.ts';
export { loadGatewayConfig, type GatewayConfig } from './config.ts';
export { loadProtectionConfig, type ProtectionConfig } from './protection/config.ts';
export type { Protection, ProtectionStats } from './protection/index.ts';
export type { ApiClientProfile, PersistedQueryPolicy, RateTier } from './auth/authenticate.ts';
