import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createPaymentServer } from './server.ts';

const server = await createPaymentServer({ databaseUrl: databaseUrl('payment') });
const url = await server.listen(subgraphPort('payment'));
server.log.info(`payment subgraph at ${url}/graphql`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
