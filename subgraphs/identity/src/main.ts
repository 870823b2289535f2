import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createIdentityServer } from './server.ts';

const server = await createIdentityServer({ databaseUrl: databaseUrl('identity') });
const url = await server.listen(subgraphPort('identity'));
server.log.info(`identity subgraph at ${url}/graphql (JWKS at ${url}/.well-known/jwks.json)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
