import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createLoyaltyServer } from './server.ts';

const server = await createLoyaltyServer({ databaseUrl: databaseUrl('loyalty') });
const url = await server.listen(subgraphPort('loyalty'));
server.log.info(`loyalty subgraph at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
