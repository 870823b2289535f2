export { createGateway, type GatewayServer } from './server.ts';
export { loadGatewayConfig, type GatewayConfig } from './config.ts';
