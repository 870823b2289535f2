import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createCartServer } from './server.ts';

const server = await createCartServer({ databaseUrl: databaseUrl('cart') });
const url = await server.listen(subgraphPort('cart'));
server.log.info(`cart subgraph at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
