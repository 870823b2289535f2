import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createOrderServer } from './server.ts';

const server = await createOrderServer({ databaseUrl: databaseUrl('order') });
const url = await server.listen(subgraphPort('order'));
server.log.info(`order subgraph at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
