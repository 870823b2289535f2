import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createCatalogServer } from './server.ts';

const server = await createCatalogServer({ databaseUrl: databaseUrl('catalog') });
const url = await server.listen(subgraphPort('catalog'));
server.log.info(`catalog subgraph at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
