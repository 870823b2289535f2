import { databaseUrl, subgraphPort } from '@storefront/shared';
import { createEventTransport, OutboxRelay } from '@storefront/shared/events';
import { createInventoryDb } from './db.ts';
import { createInventoryServer } from './server.ts';
import { startReservationSweeper } from './services/reservations.ts';

const db = createInventoryDb(databaseUrl('inventory'));
const server = await createInventoryServer({ databaseUrl: databaseUrl('inventory'), db });
const transport = createEventTransport(process.env, server.log);
const relay = new OutboxRelay(db, transport, 'inventory', server.log.child({ component: 'outbox-relay' })).start();
const sweeper = startReservationSweeper(db, server.log.child({ component: 'reservation-sweeper' }), Number(process.env.INVENTORY_SWEEP_INTERVAL_MS ?? 30_000));
const url = await server.listen(subgraphPort('inventory'));
server.log.info(`inventory subgraph at ${url}/graphql`);

async function shutdown() {
  await sweeper.stop();
  await relay.stop();
  await server.close();
  await transport.close();
  await db.$disconnect();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown());
