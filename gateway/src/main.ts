process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
const { loadGatewayConfig } = await import('./config.ts');
const { createGateway } = await import('./server.ts');

const config = loadGatewayConfig();
const gateway = await createGateway(config);
const url = await gateway.listen(config.port);
gateway.log.info(`gateway at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void gateway.close().then(() => process.exit(0)));
