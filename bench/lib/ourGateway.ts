// Runs this project's gateway on a given supergraph file, for side-by-side benches:
//   SUPERGRAPH_PATH=<file> GATEWAY_PORT=<port> npx tsx bench/lib/ourGateway.ts
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
const { loadGatewayConfig } = await import('../../gateway/src/config.ts');
const { createGateway } = await import('../../gateway/src/server.ts');
const { createLogger } = await import('@storefront/shared');

const config = loadGatewayConfig();
const gateway = await createGateway(config, createLogger('bench-gateway', { level: 'warn' }));
console.log(`gateway at ${await gateway.listen(config.port, '127.0.0.1')}`);
